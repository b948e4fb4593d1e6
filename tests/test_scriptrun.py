"""`torchpad run`: plain `python SCRIPT.py` behaviour, and the same output under the kernel and PyTorch."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def torchpad_run(script, *args, runtime="kernel", cwd=None):
    cmd = [sys.executable, "-m", "torchpad", "run", "--runtime", runtime, str(script), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)


def write(tmp_path, name, code):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


DETERMINISTIC = """
    import numpy as np
    import torch
    import torch.nn as nn

    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    state = {k: torch.from_numpy(rng.standard_normal(tuple(v.shape)).astype(np.float32) * 0.5)
             for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    x = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, 3, 16))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(5):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")
    with torch.no_grad():
        print("predictions", model(x).argmax(dim=1).tolist())
        print("weight sum", f"{model[0].weight.sum().item():.4f}")
    print(torch.tensor([[1.5, -2.0], [0.25, 3.0]]))
    print(torch.arange(6).reshape(2, 3).sum(dim=0))
"""


def test_same_output_under_kernel_and_torch(tmp_path):
    script = write(tmp_path, "train.py", DETERMINISTIC)
    kernel, real = torchpad_run(script), torchpad_run(script, runtime="torch")
    assert real.returncode == 0, real.stderr
    assert kernel.returncode == 0, kernel.stderr
    assert kernel.stdout == real.stdout
    assert kernel.stdout.count("step") == 5


@pytest.mark.parametrize("runtime, name", [("kernel", "torchpad.kernel"), ("torch", "torch")])
def test_runtime_selects_torch(tmp_path, runtime, name):
    script = write(tmp_path, "which.py", "import torch\nprint(torch.__name__)\n")
    out = torchpad_run(script, runtime=runtime)
    assert out.returncode == 0, out.stderr
    assert out.stdout == name + "\n"


def test_default_runtime_is_the_kernel(tmp_path):
    script = write(tmp_path, "which.py", "import torch\nprint(torch.__name__)\n")
    out = subprocess.run([sys.executable, "-m", "torchpad", "run", str(script)], capture_output=True, text=True, timeout=60)
    assert out.stdout == "torchpad.kernel\n"


def test_runs_as_main_with_argv_and_its_folder_on_path(tmp_path):
    write(tmp_path, "helper.py", "VALUE = 42\n")
    script = write(tmp_path, "main.py", """
        import sys, helper
        print(__name__, helper.VALUE, sys.argv[1:], __file__ == sys.argv[0] or __file__)
    """)
    out = torchpad_run(script, "--lr", "0.1", "x")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"__main__ 42 ['--lr', '0.1', 'x'] True\n"


@pytest.mark.parametrize("code, status, stderr", [
    ("import sys\nsys.exit(3)\n", 3, ""),
    ("import sys\nsys.exit()\n", 0, ""),
    ("raise SystemExit('bad input')\n", 1, "bad input\n"),
    ("print('fine')\n", 0, ""),
])
def test_exit_status_like_python(tmp_path, code, status, stderr):
    script = write(tmp_path, "exit.py", code)
    out, plain = torchpad_run(script), subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert (out.returncode, out.stderr) == (status, stderr)
    assert (plain.returncode, plain.stderr) == (status, stderr)


def test_traceback_is_the_one_python_prints(tmp_path):
    script = write(tmp_path, "boom.py", """
        print("before")

        def divide(a, b):
            return a / b

        divide(1, 0)
    """)
    ours = torchpad_run(script)
    plain = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert ours.returncode == plain.returncode == 1
    assert ours.stdout == plain.stdout == "before\n"
    assert ours.stderr == plain.stderr
    assert ours.stderr.startswith(f'Traceback (most recent call last):\n  File "{script}", line 7, in <module>')
    assert "scriptrun" not in ours.stderr and "runpy" not in ours.stderr


def user_view(stderr: str, script) -> list[str]:
    """The script's own frames and the exception line: what must agree between runtimes."""
    lines = stderr.splitlines()
    return [line for line in lines if line.startswith(f'  File "{script}"')] + lines[-1:]


def test_kernel_error_traceback_ends_like_torch(tmp_path):
    script = write(tmp_path, "shape.py", """
        import torch
        a = torch.ones(2, 3)
        b = torch.ones(2, 4)
        print(a @ b)
    """)
    kernel, real = torchpad_run(script), torchpad_run(script, runtime="torch")
    assert kernel.returncode == real.returncode == 1
    assert user_view(kernel.stderr, script) == user_view(real.stderr, script) == [
        f'  File "{script}", line 5, in <module>',
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x4)",
    ]
    assert kernel.stderr.startswith("Traceback (most recent call last):\n")


def test_missing_script(tmp_path):
    out = torchpad_run(tmp_path / "nope.py")
    assert out.returncode == 2
    assert "can't open file" in out.stderr and "nope.py" in out.stderr


def test_console_script_and_help():
    exe = Path(sys.executable).with_name("torchpad")
    out = subprocess.run([exe, "run", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--runtime" in out.stdout
