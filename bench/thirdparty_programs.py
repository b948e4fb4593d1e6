"""The third-party bar (#14): what share of real PyTorch programs written by others run unchanged on
the kernel with equivalent output.

    python bench/thirdparty_programs.py FOLDER [-k NAME] [--timeout S]

Each `*.py` in FOLDER (programs copied from pytorch/tutorials, pytorch/examples, ...: kept out of
this repository, they are not ours) runs with `torchpad run --runtime torch` and `--runtime kernel`,
both at once, each in its own empty folder. A program passes when both exit alike and print the
same output structure: the same text once numbers and addresses are masked (these programs draw
random numbers, which differ between the runtimes) and runs of white space, line breaks included,
are made one space (a tensor's column widths and wrapping follow its values). Prints one line per
program, the first difference or the kernel's error for each failure, then the tally; `--keep DIR`
writes each run's stdout and stderr there.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])|\bnan\b|\binf\b")
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def structure(text: str) -> list[str]:
    """The output as tokens: numbers and addresses masked, white space and line breaks ignored."""
    return NUMBER.sub(" # ", ADDRESS.sub(" at 0x#", text)).split()


def run_both(script: Path, timeout: float) -> dict:
    """The program's CompletedProcess under each runtime (started together, each in a fresh folder)."""
    procs, dirs = {}, {}
    for runtime in ("torch", "kernel"):
        dirs[runtime] = tempfile.TemporaryDirectory(prefix=f"thirdparty-{runtime}-")
        cmd = [sys.executable, "-m", "torchpad", "run", "--runtime", runtime, str(script.resolve())]
        procs[runtime] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                          cwd=dirs[runtime].name)
    results = {}
    for runtime, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += f"\n(timed out after {timeout:.0f} s)"
        results[runtime] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        dirs[runtime].cleanup()
    return results


def last_error(stderr: str) -> str:
    lines = [x for x in stderr.strip().splitlines() if x.strip()]
    return lines[-1].strip() if lines else "(no stderr)"


def verdict(results: dict) -> tuple[str, str]:
    """('pass' | 'fail' | 'skip', why). A program that fails on PyTorch itself is no test of the kernel."""
    real, kernel = results["torch"], results["kernel"]
    if real.returncode != 0:
        return "skip", f"fails on PyTorch itself: {last_error(real.stderr)}"
    if kernel.returncode != real.returncode:
        return "fail", f"kernel exit {kernel.returncode}: {last_error(kernel.stderr)}"
    ks, rs = structure(kernel.stdout), structure(real.stdout)
    if ks != rs:
        i = next(i for i, (a, b) in enumerate(zip(ks + ["<end>"], rs + ["<end>"])) if a != b)
        return "fail", (f"output differs at token {i + 1}:\n      kernel: {' '.join(ks[max(0, i - 8):i + 8])[:160]}"
                        f"\n      torch:  {' '.join(rs[max(0, i - 8):i + 8])[:160]}")
    return "pass", ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("-k", dest="name", default="", help="only programs whose file name contains this")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per program and runtime (default 300)")
    ap.add_argument("--keep", type=Path, help="write each run's stdout and stderr to this folder")
    args = ap.parse_args(argv)
    programs = sorted(p for p in args.folder.glob("*.py") if args.name in p.name)
    if not programs:
        print(f"no programs in {args.folder}", file=sys.stderr)
        return 2
    tally = {"pass": [], "fail": [], "skip": []}
    for program in programs:
        results = run_both(program, args.timeout)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for runtime, r in results.items():
                (args.keep / f"{program.stem}.{runtime}.out").write_text(r.stdout)
                (args.keep / f"{program.stem}.{runtime}.err").write_text(r.stderr)
        outcome, why = verdict(results)
        tally[outcome].append(program.name)
        print(f"{outcome.upper():4} {program.name}" + (f"\n      {why}" if why else ""), flush=True)
    counted = len(tally["pass"]) + len(tally["fail"])
    rate = 100.0 * len(tally["pass"]) / counted if counted else 0.0
    print(f"\n{len(tally['pass'])}/{counted} programs run unchanged with equivalent output on the kernel: {rate:.0f} %"
          f" (bar: 90 %); {len(tally['skip'])} skipped (failing on PyTorch itself)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
