"""Finite-difference checks (float64) of the CNN layers' hand-written backward passes:
convolutions, pooling, interpolation, normalisation and embedding, every differentiable input.

Imports only numpy, pytest and torchpad, so it also runs in WebAssembly CPython."""

from __future__ import annotations

import pytest

import torchpad.kernel as K
import torchpad.kernel.nn as nn
import torchpad.kernel.nn.functional as F

from gradcheck import gradcheck as _gradcheck, leaves  # noqa: E402  (this folder is on sys.path under pytest)


def gradcheck(fn, inputs, samples=12):
    _gradcheck(fn, inputs, samples=samples)


@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 6, 6), (4, 3, 3, 3), {"padding": 1}),
    ((2, 4, 7, 6), (6, 2, 3, 2), {"stride": (2, 1), "padding": (1, 0), "dilation": (2, 1), "groups": 2}),
    ((3, 5, 5), (2, 3, 2, 2), {"padding": "same"}),
])
def test_conv2d(xs, ws, kw):
    x, w, b = leaves([xs, ws, (ws[0],)], 1)
    gradcheck(lambda: F.conv2d(x, w, b, **kw), [x, w, b])


def test_conv1d():
    x, w, b = leaves([(2, 4, 9), (6, 2, 3), (6,)], 2)
    gradcheck(lambda: F.conv1d(x, w, b, stride=2, padding=2, dilation=2, groups=2), [x, w, b])


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "padding": 1, "output_padding": 1}, {"stride": 2, "groups": 2, "dilation": 2}])
def test_conv_transpose2d(kw):
    x, w, b = leaves([(2, 4, 4, 3), (4, 3, 3, 3), (3 * kw.get("groups", 1),)], 3)
    gradcheck(lambda: F.conv_transpose2d(x, w, b, **kw), [x, w, b])


@pytest.mark.parametrize("name,args,kw", [
    ("max_pool2d", (2,), {}),
    ("max_pool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}),
    ("max_pool2d", (2,), {"stride": 1, "dilation": 2}),
    ("avg_pool2d", (2,), {}),
    ("avg_pool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
    ("adaptive_avg_pool2d", ((3, 2),), {}),
    ("adaptive_max_pool2d", ((3, 2),), {}),
    ("interpolate", (), {"scale_factor": 2}),
    ("interpolate", (), {"size": (4, 7), "mode": "bilinear"}),
    ("interpolate", (), {"size": (7, 4), "mode": "bilinear", "align_corners": True}),
])
def test_pool_and_resample(name, args, kw):
    (x,) = leaves([(2, 2, 5, 6)], 4)
    gradcheck(lambda: getattr(F, name)(x, *args, **kw), [x], samples=20)


def test_max_pool1d():
    (x,) = leaves([(2, 3, 9)], 5)
    gradcheck(lambda: F.max_pool1d(x, 3, stride=2, padding=1), [x])


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 2)])
def test_batch_norm_training_and_eval(shape):
    x, w, b = leaves([shape, (3,), (3,)], 6)
    gradcheck(lambda: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    x.grad = w.grad = b.grad = None
    mean, var = K.tensor([0.1, -0.2, 0.3], dtype=K.float64), K.tensor([1.5, 0.5, 2.0], dtype=K.float64)
    gradcheck(lambda: F.batch_norm(x, mean, var, w, b, training=False), [x, w, b])


def test_layer_and_group_norm():
    x, w, b = leaves([(3, 4, 5), (4, 5), (4, 5)], 7)
    gradcheck(lambda: F.layer_norm(x, (4, 5), w, b), [x, w, b])
    x, w, b = leaves([(2, 6, 3), (6,), (6,)], 8)
    gradcheck(lambda: F.group_norm(x, 3, w, b), [x, w, b])


def test_embedding_with_padding_idx():
    (w,) = leaves([(7, 3)], 9)
    idx = K.tensor([[1, 2, 1], [6, 0, 1]])
    gradcheck(lambda: F.embedding(idx, w), [w])
    w.grad = None
    out = F.embedding(idx, w, padding_idx=1)
    out.sum().backward()
    assert (w.grad.array[1] == 0).all() and (w.grad.array[0] == 1).all()


def test_modules_float64():
    K.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2)).double()
    (x,) = leaves([(2, 2, 4, 4)], 10)
    gradcheck(lambda: net(x), [x, *net.parameters()])
