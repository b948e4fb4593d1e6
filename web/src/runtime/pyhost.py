"""The worker's Python side: makes `torch` the kernel, runs user code, posts events in batches.

Loaded by worker.js into its own namespace after the kernel zip is unpacked. `post` is a
JavaScript function taking a JSON string (a list of events); the page assigns `seq`.
Events are batched by torchpad.outbox, as in the server's job runner: output lines and errors
go out at once, metrics at most once per 50 ms (a tight training loop cannot flood the page);
held metrics also go out before a sleep.
"""

import sys

# Taken before this file's own imports: the modules the interpreter already had (restored with the build's memory
# snapshot, or from a plain start), so setup() can report which standard-library modules a boot still imports.
BOOT_MODULES = frozenset(sys.modules)

import builtins  # noqa: E402
import importlib.abc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402

from torchpad import metrics
from torchpad.outbox import Outbox
from torchpad.usercode import run_user_code

class Unavailable(importlib.abc.MetaPathFinder):
    """Makes `import numpy` / `import torch` fail with the reason and the ways out."""

    def __init__(self, names, message):
        self.names, self.message = set(names), message

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(self.message, name=name)
        return None


def stdlib_imported():
    """Standard-library modules imported since this file began (NumPy's, the kernel's and this host's own): at a
    boot from the memory snapshot, what the snapshot could have held (web/build/pyodideSnapshot.mjs imports them)."""
    ours = {"numpy", "torch", "torchpad"}
    return sorted(name for name in set(sys.modules) - BOOT_MODULES
                  if name.partition(".")[0] not in ours and not name.startswith(("_cython_", "cython_runtime")))


def reseed_random():
    """Seeds `random` from the OS, as Python's start does. A boot from the memory snapshot restores the state that
    Python's start at build time gave it, so without this every visit would draw the same numbers."""
    import random

    random.seed()


def setup(numpy_ok, numpy_message):
    """Alias `torch` to the kernel; returns {"torch": bool, "message": str, "importNumpyMs", "stdlibImported"}
    for the boot report."""
    reseed_random()
    if not numpy_ok:
        sys.meta_path.insert(0, Unavailable(["numpy", "torch"], numpy_message))
        return {"torch": False, "message": numpy_message}
    try:
        started = time.perf_counter()
        import numpy  # noqa: F401  (timed alone: the boot report splits NumPy's import from the kernel's)

        numpy_ms = (time.perf_counter() - started) * 1000
        from torchpad.kernel import alias

        alias.install()
        import torch  # proves the alias works before the user's first run

        metrics.install_autolog(torch)  # automatic `loss` logging, as the server's runner and `torchpad run` do
    except Exception as exc:  # the kernel is unfinished or broken: pure Python still runs
        message = f"The kernel could not be installed as `torch`: {type(exc).__name__}: {exc}"
        for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
            del sys.modules[name]
        sys.meta_path.insert(0, Unavailable(["torch"], message))
        return {"torch": False, "message": message}
    return {"torch": True, "message": "", "importNumpyMs": numpy_ms, "stdlibImported": stdlib_imported()}


SIGINT = 2
SLEEP_SLICE_S = 0.05


def interruptible_sleep(real_sleep, outbox, interrupt):
    """time.sleep that flushes held events first and wakes for Stop (Pyodide's own sleep ignores it)."""

    def sleep(seconds):
        outbox.flush()
        if seconds < 0:
            return real_sleep(seconds)  # the same ValueError as Python's
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            real_sleep(min(left, SLEEP_SLICE_S))
            if interrupt is not None and interrupt[0] == SIGINT:
                interrupt[0] = 0
                raise KeyboardInterrupt

    return sleep


NO_INPUT = ("input() cannot read from the keyboard in a browser run (the program runs in a background "
            "worker with no console). Put the value in the code instead, e.g. `answer = \"yes\"`.")


def no_input(prompt=""):
    """input() for browser runs: Pyodide's stdin fails with `OSError: [Errno 29]`; say why instead."""
    if prompt:
        print(prompt, end="", flush=True)
    raise EOFError(NO_INPUT)


def written_files(since):
    """Files in the working directory the run created or changed (what the page offers to download)."""
    found = []
    try:
        with os.scandir(".") as entries:
            for entry in entries:
                if entry.is_file() and not entry.name.startswith(".") and entry.stat().st_mtime >= since:
                    found.append({"name": entry.name, "size": entry.stat().st_size})
    except OSError:
        return []
    return sorted(found, key=lambda f: f["name"])[:100]


def run(code, name, post, interrupt=None):
    """Run `code` as main.py, posting events; returns the final state. `interrupt` is Stop's Int32Array."""
    outbox = Outbox(lambda batch: post(json.dumps(batch)))
    real_sleep = time.sleep
    metrics.reset()
    metrics.set_sink(outbox.send)
    time.sleep = interruptible_sleep(real_sleep, outbox, interrupt)
    real_input, builtins.input = builtins.input, no_input
    started = time.time() - 1  # file times have whole-second precision in Pyodide's file system
    try:
        outbox.send({"kind": "status", "state": "running", "device": "browser"})
        return run_user_code(code, outbox.send, filename="main.py")
    finally:
        time.sleep = real_sleep
        builtins.input = real_input
        metrics.set_sink(None)
        files = written_files(started)
        if files:
            outbox.send({"kind": "files", "files": files})
        outbox.flush()
