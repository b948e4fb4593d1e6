"""A job process that dies hard keeps every line it wrote, and the reason says how it died."""

from __future__ import annotations

import pytest

from .conftest import final_status, stream, texts

PRINT_5 = "import os, signal, ctypes\nfor i in range(5):\n    print(i, flush=True)\n"
DEATHS = {
    "kill -9": ("os.kill(os.getpid(), signal.SIGKILL)", "was killed (SIGKILL)"),
    "segfault": ("ctypes.string_at(0)", "segmentation fault (SIGSEGV)"),
    "abort": ("os.abort()", "aborted (SIGABRT)"),
    "_exit(3)": ("os._exit(3)", "exit code 3"),
}


@pytest.mark.parametrize("death", list(DEATHS))
def test_lines_written_just_before_a_hard_death_are_kept_and_the_reason_names_it(server, death):
    code, words = DEATHS[death]
    ws = server.connect()
    job = server.submit(ws, PRINT_5 + code + "\n")
    events = stream(ws, job)
    ws.close()
    status = final_status(events)
    assert status["state"] == "failed" and words in status["reason"], status
    assert "out of memory" not in status["reason"] or death == "kill -9"
    stored = server.events(job)
    assert texts(stored) == ["0", "1", "2", "3", "4"] == texts(events)
    assert server.get(f"/api/jobs/{job}").json()["reason"] == status["reason"]


def test_a_segfault_leaves_the_python_stack_in_stderr(server):
    ws = server.connect()
    job = server.submit(ws, "import ctypes\n\ndef crash():\n    ctypes.string_at(0)\n\ncrash()\n")
    events = stream(ws, job)
    ws.close()
    stderr = "\n".join(texts(events, "stderr"))
    assert "Segmentation fault" in stderr and 'File "main.py", line 4 in crash' in stderr, stderr
