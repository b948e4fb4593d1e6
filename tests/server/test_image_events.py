"""Image events from a job (torchpad.log(name=tensor)): checked like every event, and counted against the limits."""

import torch

from torchpad import images
from torchpad.server.events import clean
from torchpad.server.limits import OutputLimiter


def event(value=None, **over):
    ev = images.image_event("img", torch.arange(6.0).reshape(2, 3) if value is None else value, 4)
    return {**ev, **over}


def test_a_real_image_event_passes_unchanged():
    ev = event()
    assert clean(ev) == ev
    rgb = event(torch.rand(3, 128, 128))
    assert clean(rgb) == rgb and len(rgb["data"]) == 128 * 128 * 3


def test_malformed_images_are_refused():
    ev = event()
    bad = [
        {**ev, "data": ev["data"][:-1]},           # wrong length
        {**ev, "data": [True] + ev["data"][1:]},   # a bool is not a pixel
        {**ev, "data": ["x"] + ev["data"][1:]},
        {**ev, "data": [float("nan")] + ev["data"][1:]},
        {**ev, "h": 129, "data": [0.0] * (129 * 3)},  # over the size bound
        {**ev, "channels": 2, "data": ev["data"] * 2},
        {**ev, "name": ""},
        {**ev, "step": "4"},
        {**ev, "max": float("inf")},
    ]
    assert [clean(b) for b in bad] == [None] * len(bad)


def test_images_spend_the_output_byte_budget():
    limiter = OutputLimiter(lines_per_s=1000, burst_lines=1000, max_bytes=8 * 6 * 3, metrics_per_s=1000, metrics_burst=1000)
    ev = event()
    kept = [limiter.admit(ev) for _ in range(5)]
    assert kept[:3] == [[ev]] * 3
    assert kept[3:] == [[], []]
    assert any("over the limit" in n["text"] for n in limiter.finish())


def test_a_metric_keeps_its_x_axis_name():
    assert clean({"kind": "metric", "step": 0, "values": {"loss": 1.0}, "x": "epoch"})["x"] == "epoch"
    assert "x" not in clean({"kind": "metric", "step": 0, "values": {"loss": 1.0}, "x": 3})
    assert "x" not in clean({"kind": "metric", "step": 0, "values": {"loss": 1.0}, "x": "e" * 101})
