"""Run a user's script the way `python main.py` would, but report through events.

One implementation for every host (browser worker, `torchpad run`, the server's job
runner): the code runs as `__main__` from a file named `main.py`, its prints become
`stdout`/`stderr` events one line at a time, and an uncaught exception becomes one
`error` event whose traceback shows the user's frames only, the way a PyTorch user
sees them (the library frames are noise unless the user's code has no frame at all).
Pure Python on purpose: no NumPy or torch import here. Hosts assign `seq`.
"""

from __future__ import annotations

import builtins
import io
import linecache
import sys
import traceback
import types
from typing import Callable

Emit = Callable[[dict], None]


class LineWriter(io.TextIOBase):
    """A text stream that emits each complete line as `{"kind": kind, "text": line}`."""

    def __init__(self, emit: Emit, kind: str) -> None:
        self._emit, self._kind, self._partial = emit, kind, ""

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        *lines, self._partial = (self._partial + s).split("\n")
        for line in lines:
            self._emit({"kind": self._kind, "text": line})
        return len(s)

    def flush_partial(self) -> None:
        """Emit what is left after the last newline (the program ended mid-line)."""
        if self._partial:
            text, self._partial = self._partial, ""
            self._emit({"kind": self._kind, "text": text})


def _user_stack(stack: traceback.StackSummary, filename: str) -> traceback.StackSummary:
    """The user's frames; every frame but ours when the user's code has none (a library bug)."""
    mine = [f for f in stack if f.filename == filename]
    if not mine:
        mine = [f for f in stack if f.filename != __file__]
    return traceback.StackSummary.from_list(mine)


def _trim(te: traceback.TracebackException, filename: str, seen: set[int]) -> None:
    """Trim the stack of `te` and of every exception chained to it, in place."""
    if id(te) in seen:
        return
    seen.add(id(te))
    te.stack = _user_stack(te.stack, filename)
    for other in (te.__cause__, te.__context__, *(getattr(te, "exceptions", None) or ())):
        if other is not None:
            _trim(other, filename, seen)


def _error_line(exc: BaseException, filename: str) -> int | None:
    """The line of the user's code where the error arose (the deepest user frame)."""
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        return exc.lineno
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def error_event(exc: BaseException, filename: str = "main.py") -> dict:
    """The shared `error` event for an exception raised by code compiled as `filename`."""
    te = traceback.TracebackException.from_exception(exc)
    _trim(te, filename, set())
    return {
        "kind": "error",
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(te.format()).rstrip("\n"),
        "line": _error_line(exc, filename),
    }


def run_user_code(code: str, emit: Emit, filename: str = "main.py") -> str:
    """Exec `code` as `__main__`; returns "succeeded", "failed" or "cancelled" (KeyboardInterrupt)."""
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=filename, __builtins__=builtins)
    out, err = LineWriter(emit, "stdout"), LineWriter(emit, "stderr")
    saved = sys.stdout, sys.stderr, sys.argv, sys.modules.get("__main__")
    # Registering the source lets tracebacks quote the user's lines (and point carets at them).
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    sys.stdout, sys.stderr, sys.argv = out, err, [filename]
    sys.modules["__main__"] = module
    state, error = "succeeded", None
    try:
        exec(compile(code, filename, "exec"), module.__dict__)
    except KeyboardInterrupt:
        state = "cancelled"
    except SystemExit as exc:
        if exc.code not in (None, 0):
            state, error = "failed", exc
    except BaseException as exc:  # noqa: BLE001 - everything the user's code raises is reported
        state, error = "failed", exc
    finally:
        out.flush_partial()
        err.flush_partial()
        sys.stdout, sys.stderr, sys.argv = saved[:3]
        if saved[3] is not None:
            sys.modules["__main__"] = saved[3]
    try:
        if error is not None:
            emit(error_event(error, filename))
    finally:
        linecache.cache.pop(filename, None)
    return state
