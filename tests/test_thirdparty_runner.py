"""bench/thirdparty_programs.py's verdicts: the same output structure under both runtimes passes,
a missing API or a different structure fails, a program that fails on PyTorch itself is skipped."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "thirdparty_programs.py"
spec = importlib.util.spec_from_file_location("thirdparty_programs", BENCH)
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)


def done(code: int, out: str = "", err: str = "") -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess([], code, out, err)


def test_values_layout_and_addresses_are_masked():
    real = done(0, "tensor([[ 0.1234, -1.5000],\n        [ 2.0000,  3.0000]]) <AddBackward0 object at 0x7f01>\n")
    kernel = done(0, "tensor([[-0.9, 1.25], [7.0, -3.5]]) <AddBackward0 object at 0x55aa>\n")
    assert runner.verdict({"torch": real, "kernel": kernel}) == ("pass", "")


def test_a_different_word_or_exit_status_fails_with_the_reason():
    real = done(0, "<AccumulateGrad object at 0x1>\n")
    outcome, why = runner.verdict({"torch": real, "kernel": done(0, "<ReluBackward0 object at 0x2>\n")})
    assert outcome == "fail" and "<ReluBackward0" in why and "<AccumulateGrad" in why
    outcome, why = runner.verdict({"torch": real, "kernel": done(1, "", "Traceback\nAttributeError: no sin_\n")})
    assert outcome == "fail" and "AttributeError: no sin_" in why


def test_a_program_failing_on_pytorch_is_skipped():
    outcome, why = runner.verdict({"torch": done(1, "", "TypeError: old API\n"), "kernel": done(1)})
    assert outcome == "skip" and "TypeError: old API" in why


def test_the_runner_runs_a_folder(tmp_path):
    (tmp_path / "ok.py").write_text("import torch\nprint(torch.ones(2) * 3, torch.ones(2).shape)\n")
    out = subprocess.run([sys.executable, str(BENCH), str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "PASS ok.py" in out.stdout and "1/1 programs" in out.stdout
