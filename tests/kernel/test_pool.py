"""Pooling against real PyTorch: values, input gradients, indices (ties included), modules, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch as T
import torch.nn.functional as TF

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.nn.functional as KF

from .parity import assert_close, pair, same_error


def _check(name, xs, *args, data=None, **kw):
    if data is None:
        xk, xt = pair(*xs, seed=1, requires_grad=True)
    else:
        xk, xt = K.tensor(data, requires_grad=True), T.tensor(data, requires_grad=True)
    ok, ot = getattr(KF, name)(xk, *args, **kw), getattr(TF, name)(xt, *args, **kw)
    if kw.get("return_indices"):
        (ok, ik), (ot, it) = ok, ot
        assert str(ik.dtype) == str(it.dtype) == "torch.int64"
        np.testing.assert_array_equal(ik.numpy(), it.numpy())
    assert_close(ok, ot)
    gk, gt = pair(*ot.shape, seed=4)
    (ok * gk).sum().backward()
    (ot * gt).sum().backward()
    assert_close(xk.grad, xt.grad)


MAX2D = [
    ((2, 3, 8, 8), (2,), {}),
    ((2, 3, 9, 7), (2,), {}),  # odd sizes: the last row/column is dropped
    ((2, 3, 9, 7), (3,), {"stride": 2, "padding": 1, "ceil_mode": True}),
    ((3, 9, 7), ((3, 2),), {"stride": (2, 1), "padding": (1, 0), "dilation": (2, 1)}),
    ((2, 3, 5, 5), (3,), {"stride": 2, "ceil_mode": True}),
    ((1, 2, 6, 6), (3,), {"stride": 1}),  # overlapping windows
    ((2, 3, 6, 9), ((2, 3),), {}),  # windows that tile the input exactly, in two stages
    ((2, 3, 6, 6), ((3, 1),), {}),
    ((2, 3, 5, 5), (2,), {"stride": 3}),  # disjoint windows with gaps between them: the gaps get 0
]


@pytest.mark.parametrize("indices", [False, True])
@pytest.mark.parametrize("xs,args,kw", MAX2D)
def test_max_pool2d(xs, args, kw, indices):
    _check("max_pool2d", xs, *args, return_indices=indices, **kw)


def test_max_pool_ties_go_to_the_first_maximum():
    """After a ReLU many windows are all zeros: PyTorch routes each gradient to the first one."""
    data = np.maximum(np.random.default_rng(0).standard_normal((2, 3, 8, 8)), 0).astype(np.float32)
    data[0, 0, :4, :4] = 1.0
    _check("max_pool2d", None, 2, data=data, return_indices=True)
    _check("max_pool2d", None, 3, stride=1, padding=1, data=data, return_indices=True)


@pytest.mark.parametrize("k", [2, (2, 3), (3, 2)])
def test_max_pool_ties_across_rows_and_columns(k):
    """Every placement of two equal maxima in a window (and below them smaller values): the first in raster order wins."""
    kh, kw = (k, k) if isinstance(k, int) else k
    size = kh * kw
    pairs = [(a, b) for a in range(size) for b in range(a + 1, size)]
    data = np.full((len(pairs), 1, kh, kw), -1.0, dtype=np.float32)
    for num, (a, b) in enumerate(pairs):
        data[num, 0].flat[a] = data[num, 0].flat[b] = 2.0
    _check("max_pool2d", None, k, data=data, return_indices=True)


@pytest.mark.parametrize("args,kw", [((2,), {}), ((3,), {"stride": 1, "padding": 1}), ((2,), {"stride": 2, "ceil_mode": True})])
def test_max_pool_nan_and_inf_windows(args, kw):
    """A NaN wins its window (values, indices and gradient, as PyTorch: a later NaN too); infinities are ordinary values."""
    data = np.random.default_rng(2).integers(-2, 3, (2, 3, 7, 7)).astype(np.float32)
    data[0, 0, 1, 1] = data[1, 2, 3, 4] = data[1, 2, 3, 5] = np.nan
    data[0, 1, 2, 2], data[1, 0, 4, 4] = np.inf, -np.inf
    ok, ik = KF.max_pool2d(xk := K.tensor(data, requires_grad=True), *args, return_indices=True, **kw)
    ot, it = TF.max_pool2d(xt := T.tensor(data, requires_grad=True), *args, return_indices=True, **kw)
    np.testing.assert_array_equal(ok.detach().numpy(), ot.detach().numpy())
    np.testing.assert_array_equal(ik.numpy(), it.numpy())
    g = np.arange(ot.numel(), dtype=np.float32).reshape(tuple(ot.shape))
    ok.backward(K.tensor(g))
    ot.backward(T.tensor(g))
    np.testing.assert_array_equal(xk.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("xs,args,kw", [((2, 3, 11), (3,), {"stride": 2, "padding": 1, "ceil_mode": True}),
                                        ((3, 11), (2,), {}), ((2, 2, 10), (3,), {"dilation": 2})])
def test_max_pool1d(xs, args, kw):
    _check("max_pool1d", xs, *args, return_indices=True, **kw)


AVG2D = [
    ((2, 3, 8, 8), (2,), {}),
    ((2, 3, 9, 7), (3,), {"stride": 2, "padding": 1, "ceil_mode": True}),
    ((2, 3, 9, 7), (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
    ((3, 9, 7), ((3, 2),), {"stride": (2, 1), "padding": (1, 0), "divisor_override": 5}),
    ((1, 2, 6, 6), (3,), {"stride": 1, "padding": 1}),
]


@pytest.mark.parametrize("xs,args,kw", AVG2D)
def test_avg_pool2d(xs, args, kw):
    _check("avg_pool2d", xs, *args, **kw)


def test_avg_pool1d():
    _check("avg_pool1d", (2, 3, 11), 3, stride=2, padding=1, ceil_mode=True)
    _check("avg_pool1d", (3, 10), 2)


@pytest.mark.parametrize("xs,size", [((2, 3, 8, 8), 1), ((2, 3, 9, 7), (4, 3)), ((3, 9, 7), (None, 3)),
                                     ((2, 3, 5, 5), 7), ((2, 3, 8, 8), (2, 4))])
def test_adaptive_avg_pool2d(xs, size):
    _check("adaptive_avg_pool2d", xs, size)


@pytest.mark.parametrize("xs,size", [((2, 3, 9, 7), (4, 3)), ((3, 8, 8), 2), ((2, 3, 5, 5), 7)])
def test_adaptive_max_pool2d(xs, size):
    _check("adaptive_max_pool2d", xs, size, return_indices=True)


def test_adaptive_pools_1d():
    _check("adaptive_avg_pool1d", (2, 3, 10), 4)
    _check("adaptive_max_pool1d", (2, 3, 10), 4, return_indices=True)


def test_adaptive_max_ties():
    data = np.zeros((1, 2, 5, 5), dtype=np.float32)
    data[0, 1, 2:, 2:] = 1
    _check("adaptive_max_pool2d", None, (3, 2), data=data, return_indices=True)


MODULES = [
    (lambda nn: nn.MaxPool2d(2), (2, 3, 8, 8)),
    (lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 9, 9)),
    (lambda nn: nn.MaxPool1d(3, 2, 1, ceil_mode=True), (2, 3, 9)),
    (lambda nn: nn.AvgPool2d(2), (2, 3, 8, 8)),
    (lambda nn: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 9, 9)),
    (lambda nn: nn.AvgPool1d(2), (2, 3, 8)),
    (lambda nn: nn.AdaptiveAvgPool2d((1, 1)), (2, 3, 5, 5)),
    (lambda nn: nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    (lambda nn: nn.AdaptiveMaxPool2d(3), (2, 3, 7, 7)),
    (lambda nn: nn.AdaptiveMaxPool1d(2), (2, 3, 7)),
]


@pytest.mark.parametrize("make,xs", MODULES)
def test_pool_modules(make, xs):
    km, tm = make(knn), make(T.nn)
    assert repr(km) == repr(tm)
    assert list(km.state_dict()) == []
    xk, xt = pair(*xs, seed=2, requires_grad=True)
    ok, ot = km(xk), tm(xt)
    assert_close(ok, ot)
    ok.sum().backward()
    ot.sum().backward()
    assert_close(xk.grad, xt.grad)


def test_maxpool_module_return_indices():
    km, tm = knn.MaxPool2d(2, return_indices=True), T.nn.MaxPool2d(2, return_indices=True)
    xk, xt = pair(1, 2, 4, 4, seed=3)
    (ok, ik), (ot, it) = km(xk), tm(xt)
    assert_close(ok, ot)
    np.testing.assert_array_equal(ik.numpy(), it.numpy())


def test_max_pool_integer_input():
    xk, xt = pair(1, 2, 4, 4, dtype=np.int64)
    assert_close(KF.max_pool2d(xk, 2), TF.max_pool2d(xt, 2))


ERRORS = [
    ("max_pool2d", (1, 3, 1, 1), (2,), {}),
    ("max_pool2d", (1, 3, 4, 4), (2,), {"padding": 2}),
    ("max_pool2d", (3, 4), (2,), {}),
    ("max_pool2d", (1, 1, 3, 4, 4), (2,), {}),
    ("max_pool2d", (1, 3, 4, 4), (0,), {}),
    ("max_pool2d", (1, 3, 4, 4), (2,), {"stride": 0}),
    ("max_pool2d", (1, 3, 4, 4), (2,), {"dilation": 0}),
    ("max_pool2d", (1, 3, 4, 4), ((2, 2, 2),), {}),
    ("max_pool2d", (1, 3, 0, 4), (2,), {}),
    ("max_pool1d", (1, 1, 3, 4, 4), (2,), {}),
    ("max_pool1d", (1, 3, 1), (2,), {}),
    ("avg_pool2d", (1, 3, 1, 1), (2,), {}),
    ("avg_pool2d", (3, 4), (2,), {}),
    ("avg_pool2d", (1, 3, 4, 4), (2,), {"padding": 2}),
    ("adaptive_avg_pool2d", (3, 4), (2,), {}),
    ("adaptive_avg_pool2d", (1, 3, 4, 4), ((2, 2, 2),), {}),
    ("adaptive_avg_pool2d", (1, 3, 0, 4), (2,), {}),
    ("adaptive_max_pool2d", (3, 4), (2,), {}),
]


@pytest.mark.parametrize("name,xs,args,kw", ERRORS)
def test_pool_errors(name, xs, args, kw):
    xk, xt = pair(*xs)
    same_error(lambda: getattr(KF, name)(xk, *args, **kw), lambda: getattr(TF, name)(xt, *args, **kw))


def test_seed_program_shape_error_after_pooling():
    """Pooling too far shrinks the map: the Linear layer then reports PyTorch's shape error."""
    kx, tx = pair(4, 3, 8, 8)
    klin, tlin = knn.Linear(3 * 8 * 8, 10), T.nn.Linear(3 * 8 * 8, 10)
    same_error(lambda: klin(KF.max_pool2d(kx, 2).flatten(1)), lambda: tlin(TF.max_pool2d(tx, 2).flatten(1)))
