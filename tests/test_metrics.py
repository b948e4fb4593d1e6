"""torchpad.log / torchpad.autolog and the sink interface hosts rely on (set_sink, reset, on_backward)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import torchpad
import torchpad.kernel as K
from torchpad import metrics


def test_log_sends_metric_events(events):
    torchpad.log(loss=0.5, acc=0.25)
    torchpad.log(loss=0.4)
    torchpad.log(step=10, acc=0.9)
    torchpad.log(acc=1.0)
    assert events == [
        {"kind": "metric", "step": 0, "values": {"loss": 0.5, "acc": 0.25}},
        {"kind": "metric", "step": 1, "values": {"loss": 0.4}},
        {"kind": "metric", "step": 10, "values": {"acc": 0.9}},
        {"kind": "metric", "step": 11, "values": {"acc": 1.0}},
    ]


def test_values_from_tensors_and_numpy(events):
    torchpad.log(step=np.int64(3), a=K.tensor(2.5), b=torch.tensor([1.5]), c=np.float32(0.5), d=7)
    assert events == [{"kind": "metric", "step": 3, "values": {"a": 2.5, "b": 1.5, "c": 0.5, "d": 7.0}}]
    assert all(type(v) is float for v in events[0]["values"].values()) and type(events[0]["step"]) is int


def test_non_finite_values_stay_json(events):
    torchpad.log(loss=float("nan"), big=float("inf"))
    assert events[0]["values"] == {"loss": "nan", "big": "inf"}
    json.dumps(events[0], allow_nan=False)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "give at least one metric"),
    ({"acc": "high"}, "metric 'acc' must be a number"),
    ({"ok": True}, "metric 'ok' must be a number"),
    ({"step": 1.5, "acc": 1.0}, "step must be an int"),
])
def test_mistakes_raise_type_error(events, kwargs, message):
    with pytest.raises(TypeError, match=message):
        torchpad.log(**kwargs)
    assert events == []


def test_reset_restarts_steps_and_autolog(events):
    torchpad.log(a=1)
    torchpad.autolog(False)
    metrics.reset()
    torchpad.log(a=2)
    assert events[-1]["step"] == 0 and metrics.autolog_enabled()


@pytest.fixture
def kernel_autolog(events):
    """The kernel with automatic loss logging installed as the hosts install it (removed afterwards)."""
    original = K.autograd.backward
    metrics.install_autolog(K)
    yield events
    K.autograd.backward = original


def _kernel_loss():
    w = K.tensor([1.0, -2.0], requires_grad=True)
    return (w * w).sum()


def test_kernel_backward_logs_loss(events, kernel_autolog):
    _kernel_loss().backward()
    _kernel_loss().backward()
    torchpad.log(acc=0.5)  # explicit logs keep their own step counter
    assert events == [
        {"kind": "metric", "step": 0, "values": {"loss": 5.0}},
        {"kind": "metric", "step": 1, "values": {"loss": 5.0}},
        {"kind": "metric", "step": 0, "values": {"acc": 0.5}},
    ]


def test_autolog_off(events, kernel_autolog):
    torchpad.autolog(False)
    _kernel_loss().backward()
    _kernel_loss().backward()
    assert events == []
    torchpad.autolog(True)
    _kernel_loss().backward()
    _kernel_loss().backward()
    assert len(events) == 2


def test_a_single_backward_logs_no_loss(events, kernel_autolog):
    """A one-off autograd demo is not a training loop: nothing is charted until a second backward."""
    w = K.tensor([3.0], requires_grad=True)
    (w * w + 4).sum().backward()  # y = 13
    assert events == []
    for target in (2.0, 1.0, 0.5):
        ((w - target) ** 2).sum().backward()
    assert events == [{"kind": "metric", "step": s, "values": {"loss": v}} for s, v in enumerate([13.0, 1.0, 4.0, 6.25])]
    metrics.reset()
    (w * w).sum().backward()
    assert len(events) == 4  # a new run starts over: its single backward is held again


def test_only_scalar_implicit_backward_logs(events, kernel_autolog):
    w = K.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).backward(K.ones(2))
    assert events == []


def test_print_sink_prints_explicit_logs_only(capsys, kernel_autolog):
    metrics.set_sink(None)
    metrics.reset()
    _kernel_loss().backward()
    torchpad.log(step=2, acc=0.75)
    assert capsys.readouterr().out == '{"step": 2, "acc": 0.75}\n'


def test_plain_python_prints_json_lines(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("import torchpad\nfor i in range(3):\n    torchpad.log(loss=1.0 / (i + 1))\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [json.loads(line) for line in out.stdout.splitlines()] == [
        {"step": 0, "loss": 1.0}, {"step": 1, "loss": 0.5}, {"step": 2, "loss": 1.0 / 3}]


@pytest.fixture
def wrapped_torch(events):
    """Real torch with automatic loss logging installed as the server's job runner installs it (removed afterwards)."""
    original = torch.autograd.backward
    metrics.install_autolog(torch)
    metrics.install_autolog(torch)  # a second install keeps the one wrapper: each loss is logged once
    assert torch.autograd.backward.__wrapped__ is original
    yield events
    torch.autograd.backward = original


def test_job_backward_logs_scalar_losses_in_every_spelling(wrapped_torch):
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()
    torch.autograd.backward([(w * 2).sum()])
    (w * 3).backward(torch.ones(2))  # not a scalar: nothing to log
    torchpad.autolog(False)
    (w * w).sum().backward()
    assert wrapped_torch == [{"kind": "metric", "step": 0, "values": {"loss": 5.0}},
                             {"kind": "metric", "step": 1, "values": {"loss": -2.0}}]
    assert w.grad.tolist() == [2 + 2 + 3 + 2, -4 + 2 + 3 - 4]  # every backward still ran


def test_x_names_the_step_axis(events):
    torchpad.log(step=1, x="epoch", loss=0.5)
    torchpad.log(x=0.25)  # a number is a metric called x, as before
    assert events == [{"kind": "metric", "step": 1, "values": {"loss": 0.5}, "x": "epoch"},
                      {"kind": "metric", "step": 2, "values": {"x": 0.25}}]
    with pytest.raises(TypeError, match="at least one metric with x="):
        torchpad.log(x="epoch")


def _imports_outside_the_kernel(source: Path, kernel: Path) -> list[str]:
    """Modules `source` imports from torchpad outside torchpad.kernel (absolute, or relative above kernel/)."""
    found = []
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "torchpad" and not a.name.startswith("torchpad.kernel")]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".")[0] == "torchpad" and not node.module.startswith("torchpad.kernel"):
                found.append(node.module)
            elif node.level > len(source.parent.relative_to(kernel).parts) + 1:  # `from .. import metrics` in kernel/
                found.append("." * node.level + (node.module or ""))
    return found


def test_the_kernel_imports_nothing_from_torchpad_and_logs_nothing_by_itself(events):
    """Automatic logging is the host's hook (install_autolog), not the kernel's: a bare kernel backward logs nothing."""
    kernel = Path(K.__file__).parent
    assert {str(f.relative_to(kernel)): _imports_outside_the_kernel(f, kernel) for f in kernel.rglob("*.py")
            if _imports_outside_the_kernel(f, kernel)} == {}
    for _ in range(3):
        _kernel_loss().backward()
    assert events == []
