"""One implementation of metric logging; each host installs a sink.

A sink is a callable taking one event dict `{"kind": "metric", "step": int, "values": {name: float}}`.
Plain Python prints one JSON line per call; the browser worker, the server's job runner
and the Ray task install their own sinks with `set_sink`.
"""

from __future__ import annotations

import json
import math
import operator
import sys
from typing import Callable

Sink = Callable[[dict], None]


def _print_sink(event: dict) -> None:
    if event["kind"] == "image":  # the picture itself is for the page; a script's output names it
        line = {"step": event["step"], "image": event["name"], "shape": [event["h"], event["w"], event["channels"]]}
    else:
        line = {"step": event["step"], **event["values"]}
    print(json.dumps(line), file=sys.stdout, flush=True)


_sink: Sink = _print_sink
_next_step = 0
_autolog_enabled = True
_autolog_step = 0
_first_loss = None  # the first backward's loss, held until a second one shows a training loop


def set_sink(sink: Sink | None) -> None:
    """Install the host's sink (None restores printing JSON lines)."""
    global _sink
    _sink = sink or _print_sink


def reset() -> None:
    """Forget step counters (a new run starts at step 0)."""
    global _next_step, _autolog_step, _autolog_enabled, _first_loss
    _next_step = 0
    _autolog_step = 0
    _autolog_enabled = True
    _first_loss = None
    _show_steps.clear()


def _scalar(name: str, value) -> float | str:
    """A metric value as a JSON-safe number (non-finite values as the strings "nan", "inf", "-inf")."""
    shape = getattr(value, "shape", None)
    if shape is not None and math.prod(shape) != 1:
        raise TypeError(f"torchpad.log: metric {name!r} must be a number, a one-element tensor or a 2-D to 4-D tensor "
                        f"(shown as an image), got shape {list(shape)}")
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"torchpad.log: metric {name!r} must be a number or a one-element tensor, got {type(value).__name__}")
    v = float(value)
    return v if math.isfinite(v) else str(v)


def _step(step) -> int:
    if isinstance(step, bool) or not hasattr(step, "__index__"):
        raise TypeError(f"torchpad.log: step must be an int, got {type(step).__name__}")
    return operator.index(step)  # NumPy ints and one-element integer tensors too


def log(step: int | None = None, **metrics) -> None:
    """Record named scalar metrics at `step` (default: one past the last logged step).

    A 2-D to 4-D tensor (or nested list) is shown as an image instead (see torchpad/images.py).
    `x="epoch"` (a string) names what the step counts: the charts' x axis title.
    It runs once per step inside training loops, so plain finite floats (what `.item()`
    gives) take a path with no per-value calls; `metrics` is our own dict and becomes the event's.
    """
    global _next_step
    if not metrics:
        raise TypeError("torchpad.log: give at least one metric, e.g. torchpad.log(loss=0.5)")
    if step is None:
        step = _next_step
    elif type(step) is not int:
        step = _step(step)
    pictures = axis = None
    for value in metrics.values():
        if type(value) is not float or value - value != 0.0:  # not a finite float: check and convert each
            from . import images

            if isinstance(metrics.get("x"), str):
                axis = metrics.pop("x")[:100]
                if not metrics:
                    raise TypeError("torchpad.log: give at least one metric with x=..., e.g. torchpad.log(x=\"epoch\", loss=0.5)")
            pictures = [images.image_event(n, v, step) for n, v in metrics.items() if images.is_image(v)]
            metrics = {name: _scalar(name, value) for name, value in metrics.items() if not images.is_image(value)}
            break
    _next_step = step + 1
    if metrics:
        _sink({"kind": "metric", "step": step, "values": metrics, **({"x": axis} if axis else {})})
    for event in pictures or ():
        _sink(event)


_show_steps: dict[str, int] = {}


def show(value, name: str = "image") -> None:
    """Show a 2-D to 4-D tensor once as an image (each call under one `name` is its next step)."""
    from . import images

    step = _show_steps.get(name, 0)
    _sink(images.image_event(name, value, step))
    _show_steps[name] = step + 1


def autolog(enabled: bool = True) -> None:
    """Turn automatic `loss` logging on scalar `.backward()` calls on or off."""
    global _autolog_enabled
    _autolog_enabled = bool(enabled)


def autolog_enabled() -> bool:
    return _autolog_enabled


def install_autolog(torch) -> None:
    """Automatic `loss` logging for a `torch` module, real PyTorch or the kernel: every host (the
    browser worker, the server's job runner, `torchpad run`) installs it this one way.

    Tensor.backward calls torch.autograd.backward through the module attribute in both, so
    wrapping that one function covers both spellings; after it runs, a 0-dim tensor's value goes
    to `on_backward` (a meta tensor has none: shape-only programs log nothing). Installing again on the same module keeps the one wrapper.
    """
    original = torch.autograd.backward
    if getattr(original, "__torchpad_autolog__", False):
        return
    Tensor = torch.Tensor

    def backward(tensors, *args, **kwargs):
        result = original(tensors, *args, **kwargs)
        if type(tensors) in (list, tuple) and len(tensors) == 1:
            tensors = tensors[0]
        if _autolog_enabled and isinstance(tensors, Tensor) and not tensors.dim() and not tensors.is_meta:
            on_backward(tensors.item())  # item() needs no detach(): it only reads the value
        return result

    backward.__doc__, backward.__wrapped__, backward.__torchpad_autolog__ = original.__doc__, original, True
    torch.autograd.backward = backward


def on_backward(loss_value: float) -> None:
    """Called by `install_autolog`'s wrapper when a scalar `.backward()` ran: logs `loss` with its own counter.

    Only repeated backward calls (a training loop) are charted: a one-off autograd demo
    (`y.backward()` once) logs nothing, so its value never sets the scale of a loss chart.
    The first value is held and logged as step 0 when the second call arrives.
    """
    global _autolog_step, _first_loss
    if not _autolog_enabled or _sink is _print_sink:
        return  # plain Python prints explicit logs only, so scripts print what they print under PyTorch
    v = float(loss_value)
    value = v if v - v == 0.0 else str(v)
    if _autolog_step == 0:
        if _first_loss is None:
            _first_loss = value
            return
        _sink({"kind": "metric", "step": 0, "values": {"loss": _first_loss}})
        _first_loss = None
        _autolog_step = 1
    _sink({"kind": "metric", "step": _autolog_step, "values": {"loss": value}})
    _autolog_step += 1
