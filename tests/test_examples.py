"""Every playground example runs under `torchpad run --runtime kernel` and does what its header says.

Each file in web/examples starts with `# Title` and `# Expected: ...`. Examples that train
state "passes N %": their last logged `test_acc` must reach it. The seed programs "as
printed" must stop with the error their header names. Each example runs once per session
(a fixture caches the result); the training ones take most of this file's time:
`pytest tests/test_examples.py -k accuracy` runs just those.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "web" / "examples"
EXAMPLES = sorted(p.name for p in EXAMPLES_DIR.glob("*.py"))
_results: dict = {}


def expected_line(name: str) -> str:
    lines = (EXAMPLES_DIR / name).read_text().splitlines()
    return next(line for line in lines if line.startswith("# Expected:"))


def run_example(name: str) -> subprocess.CompletedProcess:
    if name not in _results:
        cmd = [sys.executable, "-m", "torchpad", "run", "--runtime", "kernel", str(EXAMPLES_DIR / name)]
        # one BLAS thread, as the browser has: on a busy machine spinning BLAS threads slow the kernel tenfold
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        _results[name] = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    return _results[name]


def metric_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_there_are_examples():
    for required in ("cnn_shapes.py", "lstm_sine.py", "mlp_spirals.py", "cnn_digits.py", "autograd_basics.py",
                     "custom_function.py", "seed_cnn_as_printed.py", "seed_lstm_as_printed.py"):
        assert required in EXAMPLES


@pytest.mark.parametrize("name", EXAMPLES)
def test_header(name):
    lines = (EXAMPLES_DIR / name).read_text().splitlines()
    assert re.match(r"# \S", lines[0]), "first line: '# Title'"
    assert expected_line(name).strip() != "# Expected:"


@pytest.mark.parametrize("name", [n for n in EXAMPLES if "as_printed" not in n])
def test_runs_cleanly(name):
    out = run_example(name)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stderr == ""


@pytest.mark.parametrize("name", [n for n in EXAMPLES if "as_printed" in n])
def test_as_printed_stops_with_the_stated_error(name):
    out = run_example(name)
    stated = expected_line(name).split("stops with ", 1)[1].split(", exactly as")[0]
    assert out.returncode == 1
    assert out.stderr.splitlines()[-1] == stated


TRAINING = [n for n in EXAMPLES if re.search(r"passes \d+ %", expected_line(n))]


@pytest.mark.parametrize("name", TRAINING)
def test_training_example_reaches_stated_accuracy(name):
    goal = int(re.search(r"passes (\d+) %", expected_line(name)).group(1)) / 100
    out = run_example(name)
    assert out.returncode == 0, out.stderr[-3000:]
    accs = [m["test_acc"] for m in metric_lines(out.stdout) if "test_acc" in m]
    assert accs, "no test_acc logged with torchpad.log"
    assert accs[-1] >= goal, f"final test accuracy {accs[-1]:.3f} < stated {goal}"


def test_the_seed_examples_are_among_the_training_ones():
    assert {"cnn_shapes.py", "lstm_sine.py"} <= set(TRAINING)
