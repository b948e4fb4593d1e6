"""The programs suite: complete PyTorch programs in tests/programs/, written the way the official
tutorials use the API, each run under both runtimes (`torchpad run --runtime kernel|torch`).

Both runs must exit alike and print the same output structure: the same text once numbers and
object addresses are masked. A program whose first line is `# compare: values` is
deterministic (its data and weights come from arithmetic, not from the random generator), so its
numbers must also agree within a printing tolerance; `# compare: structure` programs draw random
numbers, which differ between the runtimes, and check their own invariants (printing "ok" lines).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.py"))
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])|\bnan\b|\binf\b")
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def run_both(script: Path, tmp_path: Path) -> dict:
    """Start the program under both runtimes at once (each in its own folder); their results by runtime."""
    procs = {}
    for runtime in ("torch", "kernel"):
        cwd = tmp_path / runtime
        cwd.mkdir()
        cmd = [sys.executable, "-m", "torchpad", "run", "--runtime", runtime, str(script)]
        procs[runtime] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    results = {}
    for runtime, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        results[runtime] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


def mode(program: Path) -> str:
    first = program.read_text().splitlines()[0]
    found = re.match(r"# compare: (values|structure)$", first)
    assert found, f"{program.name} must start with '# compare: values' or '# compare: structure'"
    return found.group(1)


def structure(text: str) -> str:
    return NUMBER.sub("#", ADDRESS.sub(" at 0x#", text))


def numbers(text: str) -> list[float]:
    return [float(m.group(0)) for m in NUMBER.finditer(ADDRESS.sub("", text))]


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 2e-3 + 2e-3 * abs(b)


def test_the_suite_has_at_least_thirty_programs():
    assert len(PROGRAMS) >= 30


def test_masking_and_tolerance():
    assert structure("loss 0.1234 at step 3 <AddBackward0 object at 0x7f12>") == "loss # at step # <AddBackward0 object at 0x#>"
    assert numbers("tensor([ 1.5000, -2.0000e-03]) Linear2d x3") == [1.5, -0.002]
    assert close(0.1234, 0.1235) and not close(0.1234, 0.1334)


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_program_runs_alike_under_both_runtimes(program, tmp_path):
    results = run_both(program, tmp_path)
    real, kernel = results["torch"], results["kernel"]
    assert real.returncode == 0, f"the program fails on PyTorch itself:\n{real.stderr}"
    assert kernel.returncode == real.returncode, kernel.stderr
    kernel_lines, real_lines = kernel.stdout.splitlines(), real.stdout.splitlines()
    assert [structure(x) for x in kernel_lines] == [structure(x) for x in real_lines]
    if mode(program) == "values":
        for k_line, r_line in zip(kernel_lines, real_lines):
            ks, rs = numbers(k_line), numbers(r_line)
            assert all(close(a, b) for a, b in zip(ks, rs)), f"kernel: {k_line}\ntorch:  {r_line}"
