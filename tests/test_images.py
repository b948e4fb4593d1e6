"""torchpad.log(name=tensor) and torchpad.show(tensor): tensors as bounded image events (torchpad/images.py)."""

import numpy as np
import pytest
import torch

import torchpad
import torchpad.kernel as K
from torchpad import images, metrics


def r4(x):
    return float(f"{x:.4g}")


def test_a_2d_tensor_is_a_heatmap_next_to_the_step_metrics(events):
    torch.manual_seed(0)
    img = torch.rand(8, 8)
    torchpad.log(step=3, acc=0.5, image=img)
    assert events[0] == {"kind": "metric", "step": 3, "values": {"acc": 0.5}}
    ev = events[1]
    assert (ev["kind"], ev["step"], ev["name"], ev["h"], ev["w"], ev["channels"]) == ("image", 3, "image", 8, 8, 1)
    assert ev["data"] == [r4(v) for v in img.flatten().tolist()]
    assert ev["min"] == r4(img.min().item()) and ev["max"] == r4(img.max().item())


def test_the_kernel_numpy_and_lists_give_the_same_image(events):
    rows = [[0.0, 1.5, -2.0], [3.25, 4.0, 5.0]]
    for value in (torch.tensor(rows), K.tensor(rows), np.array(rows), rows):
        torchpad.show(value, name="m")
    assert [e["step"] for e in events] == [0, 1, 2, 3]
    assert all(e["data"] == [0.0, 1.5, -2.0, 3.25, 4.0, 5.0] and (e["h"], e["w"]) == (2, 3) for e in events)


def test_rgb_is_channels_last_and_other_channel_counts_are_a_grid(events):
    rgb = torch.arange(12.0).reshape(3, 2, 2)
    torchpad.log(step=0, rgb=rgb)
    ev = events[-1]
    assert (ev["h"], ev["w"], ev["channels"]) == (2, 2, 3)
    assert ev["data"][:3] == [0.0, 4.0, 8.0]  # pixel (0, 0): R, G, B
    maps = torch.arange(16.0).reshape(4, 2, 2)  # 4 feature maps -> a 2 x 2 grid with 1-pixel gaps
    torchpad.log(step=0, maps=maps)
    ev = events[-1]
    assert (ev["h"], ev["w"], ev["channels"]) == (5, 5, 1)
    assert ev["data"][:5] == [0.0, 1.0, None, 4.0, 5.0]
    assert ev["data"][10:15] == [None] * 5
    assert ev["data"][15:17] == [8.0, 9.0]


def test_conv_filters_n_c_h_w_are_a_grid_of_their_first_channel(events):
    w = torch.randn(6, 2, 3, 3)
    torchpad.show(w, name="filters")
    ev = events[-1]
    assert (ev["h"], ev["w"], ev["channels"]) == (2 * 3 + 1, 3 * 3 + 2, 1)
    assert ev["data"][:3] == [r4(v) for v in w[0, 0, 0].tolist()]


def test_large_tensors_are_bounded_by_striding(events):
    big = torch.rand(1000, 600)
    torchpad.log(step=0, big=big)
    ev = events[-1]
    assert max(ev["h"], ev["w"]) <= images.MAX_SIDE
    assert (ev["h"], ev["w"]) == (125, 75)  # every 8th row and column
    assert ev["data"][1] == r4(big[0, 8].item())


def test_non_finite_pixels_are_gaps_and_bad_shapes_are_named(events):
    torchpad.log(step=0, m=torch.tensor([[1.0, float("nan")], [float("inf"), 2.0]]))
    assert events[-1]["data"] == [1.0, None, None, 2.0] and events[-1]["min"] == 1.0
    torchpad.log(step=1, one=torch.tensor([[0.5]]))  # a 1x1 tensor stays a number
    assert events[-1] == {"kind": "metric", "step": 1, "values": {"one": 0.5}}
    with pytest.raises(TypeError, match="metric 'v' must be a number"):
        torchpad.log(v=torch.zeros(2, 2, 2, 2, 2))
    with pytest.raises(ValueError, match="'e' is empty"):
        torchpad.log(e=torch.zeros(0, 3))


def test_plain_python_prints_the_image_name_and_shape(capsys):
    metrics.set_sink(None)
    metrics.reset()
    torchpad.log(step=2, img=[[1, 2], [3, 4]])
    assert capsys.readouterr().out == '{"step": 2, "image": "img", "shape": [2, 2, 1]}\n'
