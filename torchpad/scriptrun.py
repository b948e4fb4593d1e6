"""`torchpad run [--runtime kernel|torch] SCRIPT.py [ARGS...]`: run a script as `python SCRIPT.py` would.

With `--runtime kernel` (the default) `torch` is TorchPad's NumPy kernel, aliased the same
way the browser worker does it; with `--runtime torch` it is real PyTorch. Everything else
is plain Python's behaviour, so the two runtimes can be compared output for output: the
script runs as `__main__` with `sys.argv = [SCRIPT, ARGS...]` and its folder first on
`sys.path`; an uncaught exception prints the traceback (from the script's frame down) to
stderr and exits 1; `SystemExit` codes pass through.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys

RUNTIMES = ("kernel", "torch")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="torchpad run", description="Run a PyTorch script on the kernel or on real PyTorch.")
    p.add_argument("--runtime", choices=RUNTIMES, default="kernel",
                   help="kernel: TorchPad's NumPy kernel as `torch` (what the browser runs); torch: real PyTorch")
    p.add_argument("script", help="the Python file to run")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script as sys.argv[1:]")
    return p


def _select_runtime(runtime: str) -> str | None:
    """Make `import torch` give the chosen runtime, with automatic loss logging as in the other hosts
    (it logs only where a host installed a sink: a plain run prints explicit logs only); returns an
    error message or None."""
    from torchpad import metrics

    if runtime == "kernel":
        from torchpad.kernel import alias

        alias.install()
    try:
        import torch
    except ImportError as exc:
        return f"torchpad run: --runtime torch needs PyTorch installed ({exc})"
    metrics.install_autolog(torch)
    return None


def _from_script(tb, script: str):
    """The traceback from the script's first frame on, as `python SCRIPT.py` shows it."""
    start = tb
    while start is not None and start.tb_frame.f_code.co_filename != script:
        start = start.tb_next
    return start or tb


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def run_script(script: str, args: list[str]) -> int:
    """Run `script` as `__main__`; returns the exit status plain Python would give."""
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [script, *args]
    script = os.path.abspath(script)
    sys.path.insert(0, os.path.dirname(script))
    try:
        runpy.run_path(script, run_name="__main__")
        return 0
    except SystemExit as exc:
        return _exit_code(exc)
    except BaseException as exc:  # noqa: BLE001 - report any uncaught exception like the interpreter does
        tb = _from_script(exc.__traceback__, script)
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    ns = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.isfile(ns.script):
        print(f"torchpad run: can't open file {os.path.abspath(ns.script)!r}: [Errno 2] No such file or directory",
              file=sys.stderr)
        return 2
    error = _select_runtime(ns.runtime)
    if error:
        print(error, file=sys.stderr)
        return 2
    return run_script(ns.script, ns.args)
