"""The job process: real PyTorch, the user's code as `main.py`, events to the server.

Started by the local executor as `python -m torchpad.server.runner SERVER_PID` *before* a job exists:
it imports torch (the slow part) and then waits for one JSON job spec on stdin, so a
job's first event arrives quickly. The spec is `{"code": str, "env": {name: value},
"rank": int, "world_size": int, "files": [{"name": str, "data": base64}]}`; the files go into the
working directory and `env` (CUDA_VISIBLE_DEVICES, RANK, MASTER_PORT, ...) is applied before user
code runs, which is early enough because CUDA reads it on first use.

Channels: the original stdout carries JSON lines, each a list of events (the shared event
model without seq, plus a final `{"kind": "result", "state": ...}`); fd 1 and 2 both go to the
stderr pipe, so output written below Python (C libraries) still reaches the user.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sys
import tempfile
import threading
import time

from torchpad.outbox import INTERVAL_S, Outbox

from . import jobns
from .containment import descendants
from .jobfiles import write_inputs
from .wire import encode_lines

MAX_LINE = 64 * 1024


class EventChannel(Outbox):
    """Events to the server, one JSON list of events per line on the runner's original stdout.

    The batching is torchpad.outbox's (only metrics wait, at most `interval` s); what a sender
    that went quiet left held is written by a thread, so the last metrics of a step arrive too.
    """

    def __init__(self, fd: int, interval: float = INTERVAL_S):
        self._file = os.fdopen(fd, "w", buffering=1 << 16, encoding="utf-8", errors="backslashreplace")
        super().__init__(self._write_line, interval)
        threading.Thread(target=self._writer, daemon=True).start()

    def _write_line(self, batch: list[dict]) -> None:
        self._file.writelines(line + "\n" for line in encode_lines(batch))
        self._file.flush()

    def _writer(self) -> None:
        """Flushes what a sender that went quiet left held."""
        while True:
            time.sleep(self._interval)
            if self._held and time.monotonic() - self._last_flush > self._interval:
                self.flush()


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL us when the server dies, so a crashed server leaves no jobs behind, and
    to make us the parent of our descendants' orphans (a daemon that double-forked stays ours to sweep)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        libc.prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(1)


def run_job(spec: dict, channel: EventChannel) -> tuple[str, str | None]:
    import torch

    import torchpad.metrics as metrics
    from torchpad.usercode import run_user_code

    os.environ.update(spec.get("env", {}))
    rank = int(spec.get("rank", 0))
    metrics.reset()
    # Metrics come from rank 0 only; other ranks' lines are labelled with their rank.
    metrics.set_sink(channel.send if rank == 0 else (lambda event: None))
    metrics.install_autolog(torch)
    prefix = f"[rank {rank}] " if rank else ""
    errors = []

    def emit(event: dict) -> None:
        if event["kind"] in ("stdout", "stderr"):
            text = prefix + event["text"]
            event = {**event, "text": text if len(text) <= MAX_LINE else text[:MAX_LINE] + " [line truncated]"}
        elif event["kind"] == "error":
            errors.append(f"{prefix}{event['type']}: {event['message']}"[:500])
        # Output lines and errors go to the pipe at once (torchpad.outbox): a line the program wrote is
        # the server's even if the process dies the next instant (kill -9, a segfault).
        channel.send(event)

    try:
        write_inputs(spec.get("files", []))  # the user's files, in the working directory before the program starts
    except OSError as e:
        return "failed", f"the files sent with the job could not be written into its directory: {e}"
    if spec.get("world_size", 1) > 1 and os.environ.get("TORCHPAD_DEVICE") == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    state = run_user_code(spec["code"], emit, "main.py")
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        try:
            dist.destroy_process_group()
        except Exception:  # noqa: BLE001 - the job's outcome is already decided
            pass
    return state, (errors[-1] if errors else None)


def main() -> int:
    server_pid = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()  # the server's pid, from its argv
    parent = jobns.enter(sys.argv[2:], server_pid)  # the namespaces the server asks for (may fork: before any thread)
    channel = EventChannel(os.dup(1))
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    die_with_parent(parent)
    faulthandler.enable(sys.__stderr__)  # a segfault or abort leaves the Python stack in the job's stderr
    os.makedirs(os.environ.get("TMPDIR") or tempfile.gettempdir(), mode=0o700, exist_ok=True)  # jobenv's hidden one
    import torch  # noqa: F401 - the warm part: paid before the job arrives

    import torchpad.usercode  # noqa: F401

    channel.send({"kind": "warm"})
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    state, reason = run_job(json.loads(line), channel)
    channel.send({"kind": "result", "state": state, "reason": reason})
    sys.stdout.flush()
    sys.stderr.flush()
    for pid in descendants(os.getpid()):  # what the program left running ends with it
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(0)  # don't wait on threads the user's code may have left running


if __name__ == "__main__":
    sys.exit(main())
