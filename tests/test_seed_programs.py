"""The two seed programs stop under the kernel exactly where, and how, real PyTorch stops them.

Each program (verbatim from ../shared/seed, then with its bugs fixed one at a time) runs
through `torchpad run --runtime kernel` and `--runtime torch`: same exit status, same stdout,
the same frames of the user's script in the traceback, and the same final exception line.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed"  # ../shared, beside the checkout
EXAMPLES = ROOT / "web" / "examples"

ADD_F = ("import torch.optim as optim\n", "import torch.optim as optim\nimport torch.nn.functional as F\n")
FIX_VIEW = ("64 * 6 * 6", "64 * 8 * 8")
FIX_INPUT = ("input_size=100", "input_size=10")
TARGET_ERROR = ("TypeError: cross_entropy_loss(): argument 'target' (position 2) must be Tensor, "
                "not torch.return_types.max")

# name -> (seed file, edits applied in order, the exception line both runtimes must end with)
PROGRAMS = {
    "cnn_as_printed": ("seed_cnn.py", [], "NameError: name 'F' is not defined"),
    "cnn_with_F": ("seed_cnn.py", [ADD_F], "RuntimeError: shape '[-1, 2304]' is invalid for input of size 262144"),
    "cnn_with_F_and_view": ("seed_cnn.py", [ADD_F, FIX_VIEW], TARGET_ERROR),
    "lstm_as_printed": ("seed_lstm.py", [],
                        "RuntimeError: input.size(-1) must be equal to input_size. Expected 100, got 10"),
    "lstm_with_input_size": ("seed_lstm.py", [FIX_INPUT], TARGET_ERROR),
}


def torchpad_run(script, runtime):
    cmd = [sys.executable, "-m", "torchpad", "run", "--runtime", runtime, str(script)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def user_view(stderr: str, script) -> list[str]:
    """The script's own frames (file, line, function) and the exception line."""
    lines = stderr.splitlines()
    return [line for line in lines if line.startswith(f'  File "{script}"')] + lines[-1:]


@pytest.mark.parametrize("name", PROGRAMS)
def test_stops_like_pytorch(tmp_path, name):
    source_name, edits, last_line = PROGRAMS[name]
    code = (SEED / source_name).read_text()
    for old, new in edits:
        assert old in code
        code = code.replace(old, new)
    script = tmp_path / source_name
    script.write_text(code)
    kernel, real = torchpad_run(script, "kernel"), torchpad_run(script, "torch")
    assert real.returncode == 1 and real.stderr.splitlines()[-1] == last_line, real.stderr
    assert kernel.returncode == 1, kernel.stderr
    assert kernel.stdout == real.stdout
    assert user_view(kernel.stderr, script) == user_view(real.stderr, script), kernel.stderr


@pytest.mark.parametrize("example, seed", [("seed_cnn_as_printed.py", "seed_cnn.py"),
                                           ("seed_lstm_as_printed.py", "seed_lstm.py")])
def test_examples_hold_the_seed_verbatim(example, seed):
    text, original = (EXAMPLES / example).read_text(), (SEED / seed).read_text()
    header = text[: len(text) - len(original)]
    assert text.endswith(original)
    assert all(line.startswith("#") for line in header.splitlines())
    assert header.splitlines()[1].startswith("# Expected: stops with ")


def test_as_printed_example_names_the_right_line():
    """The example's comment points at the line the traceback shows (the header shifts the seed's lines)."""
    script = EXAMPLES / "seed_cnn_as_printed.py"
    out = torchpad_run(script, "kernel")
    frames = user_view(out.stderr, script)[:-1]
    assert frames[-1] == f'  File "{script}", line 25, in forward'
    assert "NameError at line 25, in forward" in script.read_text()
