"""torchpad.usercode: the one way every runtime runs a user's script and reports it."""

import sys
import textwrap

import pytest

from torchpad.usercode import LineWriter, run_user_code


def run(code: str):
    events = []
    state = run_user_code(textwrap.dedent(code), events.append)
    return state, events


def texts(events, kind="stdout"):
    return [e["text"] for e in events if e["kind"] == kind]


def the_error(events):
    errors = [e for e in events if e["kind"] == "error"]
    assert len(errors) == 1, events
    return errors[0]


def test_prints_become_one_event_per_line():
    state, events = run("""
        print("a")
        print("b\\nc", end="")
        print(" d")
        import sys
        print("oops", file=sys.stderr)
    """)
    assert state == "succeeded"
    assert texts(events) == ["a", "b", "c d"]
    assert texts(events, "stderr") == ["oops"]


def test_lines_are_emitted_while_running_not_at_the_end():
    seen_during_run = []
    events = []

    def emit(e):
        events.append(e)

    code = "print('first')\nimport builtins\nbuiltins._probe()\nprint('second')\n"
    import builtins

    builtins._probe = lambda: seen_during_run.extend(texts(events))
    try:
        assert run_user_code(code, emit) == "succeeded"
    finally:
        del builtins._probe
    assert seen_during_run == ["first"]
    assert texts(events) == ["first", "second"]


def test_partial_last_line_is_flushed_at_the_end():
    state, events = run("print('no newline', end='')")
    assert state == "succeeded"
    assert texts(events) == ["no newline"]


def test_runs_as_main_with_file_and_argv():
    state, events = run("""
        import sys
        print(__name__, __file__, sys.argv)
        if __name__ == "__main__":
            print("main guard ran")
    """)
    assert state == "succeeded"
    assert texts(events) == ["__main__ main.py ['main.py']", "main guard ran"]


def test_dataclasses_and_pickle_find_the_main_module():
    state, events = run("""
        import dataclasses, pickle
        @dataclasses.dataclass
        class P:
            x: int
        print(pickle.loads(pickle.dumps(P(3))))
    """)
    assert state == "succeeded", events
    assert texts(events) == ["P(x=3)"]


def test_streams_and_main_are_restored():
    before = sys.stdout, sys.stderr, sys.modules["__main__"], sys.argv
    run("raise ValueError('x')")
    run("print('ok')")
    assert (sys.stdout, sys.stderr, sys.modules["__main__"], sys.argv) == before


def test_error_event_has_type_message_line_and_user_traceback():
    state, events = run("""
        def f(x):
            return x["missing"]

        print("before")
        f({})
    """)
    assert state == "failed"
    err = the_error(events)
    assert err["type"] == "KeyError"
    assert err["message"] == "'missing'"
    assert err["line"] == 3
    tb = err["traceback"]
    assert tb.startswith("Traceback (most recent call last):\n")
    assert 'File "main.py", line 6, in <module>' in tb
    assert 'File "main.py", line 3, in f' in tb
    assert 'return x["missing"]' in tb  # the user's source line is quoted
    assert tb.endswith("KeyError: 'missing'")
    assert "usercode" not in tb
    assert texts(events) == ["before"]


def test_library_frames_are_dropped_but_the_exception_line_is_kept():
    state, events = run("""
        import json
        json.loads("{not json")
    """)
    assert state == "failed"
    err = the_error(events)
    assert err["type"] == "JSONDecodeError"
    assert err["line"] == 3
    assert "json/decoder.py" not in err["traceback"] and "json/__init__.py" not in err["traceback"]
    assert err["traceback"].splitlines()[-1].startswith("json.decoder.JSONDecodeError: Expecting property name")


def test_syntax_error_reports_its_line():
    state, events = run("""
        x = 1
        y = (2 +
    """)
    assert state == "failed"
    err = the_error(events)
    assert err["type"] == "SyntaxError"
    assert err["line"] == 3
    assert 'File "main.py", line 3' in err["traceback"]
    assert "usercode" not in err["traceback"]


def test_chained_exceptions_are_trimmed_too():
    state, events = run("""
        try:
            int("x")
        except ValueError as e:
            raise RuntimeError("wrapped") from e
    """)
    assert state == "failed"
    tb = the_error(events)["traceback"]
    assert "The above exception was the direct cause" in tb
    assert "usercode" not in tb
    assert tb.count('File "main.py"') == 2


def test_keyboard_interrupt_is_cancelled_without_error_event():
    state, events = run("""
        print("started")
        raise KeyboardInterrupt
    """)
    assert state == "cancelled"
    assert [e["kind"] for e in events] == ["stdout"]


@pytest.mark.parametrize("code,state,errors", [("import sys; sys.exit()", "succeeded", 0),
                                                ("import sys; sys.exit(0)", "succeeded", 0),
                                                ("import sys; sys.exit(3)", "failed", 1)])
def test_sys_exit(code, state, errors):
    got, events = run(code)
    assert got == state
    assert len([e for e in events if e["kind"] == "error"]) == errors


def test_linewriter_rejects_bytes_like_a_text_stream():
    w = LineWriter(lambda e: None, "stdout")
    with pytest.raises(TypeError):
        w.write(b"x")
    assert not w.isatty() and w.writable()
