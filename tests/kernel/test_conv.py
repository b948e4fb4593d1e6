"""Convolutions against real PyTorch: forward values and every gradient (input, weight, bias),
modules (parameters, init bounds, state_dict, repr), and the error messages word for word."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch as T
import torch.nn.functional as TF

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.nn.functional as KF
import torchpad.kernel.optim as kopt

from .parity import assert_close, pair, same_error

CONV2D = [
    ((2, 3, 8, 8), (4, 3, 3, 3), {}),
    ((2, 3, 8, 9), (4, 3, 3, 2), {"stride": 2, "padding": 1}),
    ((2, 4, 9, 8), (6, 2, 3, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 2}),
    ((2, 6, 7, 7), (6, 1, 3, 3), {"groups": 6, "padding": 1}),  # depthwise
    ((2, 3, 8, 8), (4, 3, 4, 4), {"padding": "same"}),  # even kernel: the extra padding goes right/bottom
    ((2, 3, 9, 9), (4, 3, 3, 3), {"padding": "same", "dilation": 2}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"padding": "valid", "stride": 3}),
    ((3, 8, 8), (4, 3, 3, 3), {"padding": 1}),  # unbatched
    ((1, 2, 5, 5), (3, 2, 5, 5), {}),  # kernel as large as the input
]
CONV1D = [
    ((2, 3, 10), (4, 3, 3), {"stride": 2, "padding": 1}),
    ((3, 10), (6, 1, 3), {"groups": 3, "padding": "same", "dilation": 2}),
    ((2, 4, 11), (4, 2, 4), {"groups": 2, "stride": 3, "dilation": 2}),
]
TRANSPOSED = [
    ((2, 4, 5, 5), (4, 3, 3, 3), {}),
    ((2, 4, 5, 6), (4, 3, 3, 2), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((2, 4, 5, 6), (4, 3, 3, 3), {"stride": 2, "padding": 1, "output_padding": (1, 0), "groups": 2, "dilation": 2}),
    ((4, 5, 6), (4, 3, 3, 3), {"output_padding": 1, "dilation": 2}),
]
TRANSPOSED1D = [((2, 4, 7), (4, 3, 3), {"stride": 3, "padding": 1, "output_padding": 2})]


def _check(kfn, tfn, xs, ws, kw, bias, transposed=False):
    xk, xt = pair(*xs, seed=1, requires_grad=True)
    wk, wt = pair(*ws, seed=2, requires_grad=True)
    bk = bt = None
    if bias:
        out_c = ws[1] * kw.get("groups", 1) if transposed else ws[0]
        bk, bt = pair(out_c, seed=3, requires_grad=True)
    ot = tfn(xt, wt, bt, **kw)
    ok = kfn(xk, wk, bk, **kw)
    assert_close(ok, ot)
    gk, gt = pair(*ot.shape, seed=4)
    (ok * gk).sum().backward()
    (ot * gt).sum().backward()
    assert_close(xk.grad, xt.grad)
    assert_close(wk.grad, wt.grad)
    if bias:
        assert_close(bk.grad, bt.grad)


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: even kernel with padding='same'
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs,ws,kw", CONV2D)
def test_conv2d_parity(xs, ws, kw, bias):
    _check(KF.conv2d, TF.conv2d, xs, ws, kw, bias)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs,ws,kw", CONV1D)
def test_conv1d_parity(xs, ws, kw, bias):
    _check(KF.conv1d, TF.conv1d, xs, ws, kw, bias)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xs,ws,kw", TRANSPOSED)
def test_conv_transpose2d_parity(xs, ws, kw, bias):
    _check(KF.conv_transpose2d, TF.conv_transpose2d, xs, ws, kw, bias, transposed=True)


@pytest.mark.parametrize("xs,ws,kw", TRANSPOSED1D)
def test_conv_transpose1d_parity(xs, ws, kw):
    _check(KF.conv_transpose1d, TF.conv_transpose1d, xs, ws, kw, True, transposed=True)


def test_conv_float64_and_no_grad_input():
    xk, xt = pair(2, 3, 6, 6, seed=1, dtype=np.float64)  # input without grad: only weight/bias gradients
    wk, wt = pair(4, 3, 3, 3, seed=2, dtype=np.float64, requires_grad=True)
    ok, ot = KF.conv2d(xk, wk, padding=1), TF.conv2d(xt, wt, padding=1)
    assert_close(ok, ot)
    ok.sum().backward()
    ot.sum().backward()
    assert xk.grad is None
    assert_close(wk.grad, wt.grad)


@pytest.mark.parametrize("weight_grad", [True, False])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("xs", [(2, 4, 7, 6), (3, 4, 9, 7), (4, 4, 16, 16)])
def test_conv2d_bias_gradient(xs, weight_grad, groups):
    """The bias gradient (a sum over N*Ho*Wo rows, in runs of rows when there are many: 84, 189 and 1024 rows
    here), with the weight gradient and for a frozen weight."""
    xk, xt = pair(*xs, seed=1, requires_grad=True)
    wk, wt = pair(6, 4 // groups, 3, 3, seed=2, requires_grad=weight_grad)
    bk, bt = pair(6, seed=3, requires_grad=True)
    ok, ot = KF.conv2d(xk, wk, bk, padding=1, groups=groups), TF.conv2d(xt, wt, bt, padding=1, groups=groups)
    gk, gt = pair(*ot.shape, seed=4)
    (ok * gk).sum().backward()
    (ot * gt).sum().backward()
    assert_close(bk.grad, bt.grad)
    assert_close(xk.grad, xt.grad)
    assert (wk.grad is None) == (not weight_grad)
    if weight_grad:
        assert_close(wk.grad, wt.grad)


SAME_WIDTH = [  # stride 1, output as wide as the input: the weight gradient's columns are shifted runs of each plane
    ((2, 4, 7, 6), (6, 4, 3, 3), {"padding": 1}),
    ((2, 4, 7, 6), (6, 2, 3, 4), {"padding": "same", "groups": 2}),  # W padding 1 left, 2 right
    ((2, 3, 6, 9), (4, 3, 2, 3), {"padding": "same", "dilation": (2, 3)}),
    ((2, 3, 5, 5), (4, 3, 3, 1), {"padding": (2, 0)}),
    ((3, 2, 9), (4, 2, 5), {"padding": 2}),
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: even kernel with padding='same'
@pytest.mark.parametrize("xs,ws,kw", SAME_WIDTH)
def test_conv_same_width_gradients(xs, ws, kw):
    kfn, tfn = (KF.conv1d, TF.conv1d) if len(xs) == 3 else (KF.conv2d, TF.conv2d)
    _check(kfn, tfn, xs, ws, kw, True)


FIRST_LAYER = [  # an input without a gradient, at least as many output channels (per group) as columns
    (KF.conv2d, TF.conv2d, (2, 2, 7, 6), (20, 2, 3, 3), {"padding": 1}),
    (KF.conv2d, TF.conv2d, (2, 2, 7, 6), (20, 1, 3, 3), {"padding": (1, 0), "groups": 2, "dilation": (1, 2)}),
    (KF.conv2d, TF.conv2d, (2, 3, 9, 8), (32, 3, 3, 3), {"stride": 2}),
    (KF.conv1d, TF.conv1d, (3, 2, 9), (8, 2, 3), {"padding": "same"}),
    (KF.conv2d, TF.conv2d, (2, 7, 6), (20, 2, 3, 3), {"padding": 1}),  # unbatched
    (KF.conv2d, TF.conv2d, (2, 3, 6, 6), (4, 3, 3, 3), {}),  # more columns than channels: the usual path
]


@pytest.mark.parametrize("bias", ["grad", "no grad", None])
@pytest.mark.parametrize("kfn,tfn,xs,ws,kw", FIRST_LAYER)
def test_conv_first_layer_weight_and_bias_gradients(kfn, tfn, xs, ws, kw, bias):
    """A first layer's weight (and bias) gradient comes from the forward's columns; an in-place change of the
    input after the call does not reach it."""
    _check_first_layer(kfn, tfn, xs, ws, kw, bias)


def test_conv_first_layer_float64():
    _check_first_layer(KF.conv2d, TF.conv2d, (2, 2, 7, 6), (20, 2, 3, 3), {"padding": 1}, "grad", dtype=np.float64)


def _check_first_layer(kfn, tfn, xs, ws, kw, bias, atol=1e-5, dtype=np.float32):
    xk, xt = pair(*xs, seed=1, dtype=dtype)
    wk, wt = pair(*ws, seed=2, requires_grad=True, dtype=dtype)
    bk = bt = None
    if bias:
        bk, bt = pair(ws[0], seed=3, requires_grad=bias == "grad", dtype=dtype)
    ok, ot = kfn(xk, wk, bk, **kw), tfn(xt, wt, bt, **kw)
    assert_close(ok, ot)
    xk.array[...] = 0  # after the call: the gradients still use the input as it was
    gk, gt = pair(*ot.shape, seed=4)
    (ok * gk).sum().backward()
    (ot * gt).sum().backward()
    assert xk.grad is None
    assert_close(wk.grad, wt.grad, atol=atol)
    if bias == "grad":
        assert_close(bk.grad, bt.grad, atol=atol)
    elif bias:
        assert bk.grad is None


@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("kw", [{"padding": 1}, {"padding": (0, 2), "dilation": (1, 2)}])
def test_conv2d_weight_gradient_with_a_non_finite_input(value, kw):
    """An infinity or NaN in the input reaches exactly the weight gradients PyTorch's does (and no others)."""
    data = np.random.default_rng(1).standard_normal((2, 3, 7, 8)).astype(np.float32)
    data[1, 2, 3, 7] = value  # the last column: outside every window's row of the wider rows' extra places
    xk, xt = K.tensor(data), T.tensor(data)
    wk, wt = pair(4, 3, 3, 3, seed=2, requires_grad=True)
    bk, bt = pair(4, seed=3, requires_grad=True)
    ok, ot = KF.conv2d(xk, wk, bk, **kw), TF.conv2d(xt, wt, bt, **kw)
    gk, gt = pair(*ot.shape, seed=4)
    (ok * gk).sum().backward()
    (ot * gt).sum().backward()
    np.testing.assert_array_equal(np.isnan(wk.grad.numpy()), np.isnan(wt.grad.numpy()))
    np.testing.assert_array_equal(np.isinf(wk.grad.numpy()), np.isinf(wt.grad.numpy()))
    assert_close(wk.grad, wt.grad)
    assert_close(bk.grad, bt.grad)


@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_gradients_through_a_host_library(groups):
    """The browser's path: products through a host that reads raw memory (tests/kernel/test_compute.py's), bias included."""
    from torchpad.kernel import compute

    from .test_compute import RawHost

    host = RawHost()
    compute.use_host_gemm(host)
    try:
        _check(KF.conv2d, TF.conv2d, (4, 4, 16, 16), (8, 4 // groups, 3, 3), {"padding": 1, "groups": groups}, True)
        # the host sums in float64: PyTorch's float32 sums of 1024 terms differ by more than 1e-5 near 0
        _check_first_layer(KF.conv2d, TF.conv2d, (4, groups, 16, 16), (32, 1, 3, 3), {"padding": 1, "groups": groups},
                           "grad", atol=1e-4)
    finally:
        compute.use_host_gemm(None)
    assert len(host.calls) >= 3


def _copy_params(kmod, tmod):
    for (name, kp), (_, tp) in zip(kmod.named_parameters(), tmod.named_parameters()):
        kp.array[...] = tp.detach().numpy()


MODULES = [
    (lambda nn: nn.Conv2d(3, 6, 5), (2, 3, 12, 12)),
    (lambda nn: nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2, bias=False), (2, 4, 9, 9)),
    (lambda nn: nn.Conv2d(3, 4, 3, padding="same", padding_mode="reflect"), (2, 3, 7, 7)),
    (lambda nn: nn.Conv2d(3, 4, 3, padding=2, padding_mode="replicate"), (2, 3, 7, 7)),
    (lambda nn: nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular"), (2, 3, 7, 7)),
    (lambda nn: nn.Conv1d(4, 6, 3, padding="same", dilation=2), (2, 4, 9)),
    (lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1), (2, 4, 5, 5)),
    (lambda nn: nn.ConvTranspose1d(4, 2, 3, stride=2, padding=1, groups=2), (2, 4, 5)),
]


@pytest.mark.parametrize("make,xs", MODULES)
def test_conv_modules(make, xs):
    km, tm = make(knn), make(T.nn)
    assert repr(km) == repr(tm)
    assert list(km.state_dict()) == list(tm.state_dict())
    for (kn, kp), (tn, tp) in zip(km.named_parameters(), tm.named_parameters()):
        assert kn == tn and tuple(kp.shape) == tuple(tp.shape) and kp.requires_grad
    _copy_params(km, tm)
    xk, xt = pair(*xs, seed=5, requires_grad=True)
    ok, ot = km(xk), tm(xt)
    assert_close(ok, ot)
    ok.square().sum().backward()
    ot.square().sum().backward()
    assert_close(xk.grad, xt.grad, rtol=1e-4, atol=1e-4)
    for kp, tp in zip(km.parameters(), tm.parameters()):
        assert_close(kp.grad, tp.grad, rtol=1e-4, atol=1e-4)


def test_conv_transpose_output_size():
    km, tm = knn.ConvTranspose2d(2, 3, 3, stride=2), T.nn.ConvTranspose2d(2, 3, 3, stride=2)
    _copy_params(km, tm)
    xk, xt = pair(1, 2, 4, 4, seed=1)
    assert_close(km(xk, output_size=[10, 9]), tm(xt, output_size=[10, 9]))


def test_conv_default_init_bounds():
    K.manual_seed(0)
    m = knn.Conv2d(8, 16, 3)
    bound = 1 / math.sqrt(8 * 9)  # kaiming_uniform_(a=sqrt(5)) and the bias both give 1/sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound  # uniform(-b, b) has std b/sqrt(3)
    t = knn.ConvTranspose2d(8, 4, 3)  # fan_in from weight.size(1) = out_channels
    assert np.abs(t.weight.detach().numpy()).max() <= 1 / math.sqrt(4 * 9)
    assert m.weight.dtype == K.float32


def test_seed_cnn_trains():
    """The seed CNN's layers learn a trivial task in a few SGD steps (loss falls)."""
    K.manual_seed(0)
    net = knn.Sequential(knn.Conv2d(3, 8, 3, padding=1), knn.ReLU(), knn.MaxPool2d(2), knn.Conv2d(8, 8, 3, padding=1),
                         knn.ReLU(), knn.MaxPool2d(2), knn.Flatten(), knn.Linear(8 * 4 * 4, 2))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 3, 16, 16)).astype(np.float32)
    y = (x[:, 0].mean(axis=(1, 2)) > 0).astype(np.int64)
    x[:, 0] += np.where(y == 1, 1.0, -1.0)[:, None, None]
    opt = kopt.SGD(net.parameters(), lr=0.05, momentum=0.9)
    xs, ys = K.tensor(x), K.tensor(y)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = knn.CrossEntropyLoss()(net(xs), ys)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


ERRORS = [
    ((4, 1, 32, 32), (6, 3, 5, 5), {}),  # the seed program's channel mismatch
    ((1, 32, 32), (6, 3, 5, 5), {}),  # unbatched: reported with the batch dimension added
    ((1, 3, 2, 2), (4, 3, 3, 3), {}),  # kernel larger than input
    ((1, 3, 2, 2), (4, 3, 3, 3), {"dilation": 2}),
    ((3, 2), (4, 3, 3, 3), {}),
    ((1, 1, 3, 2, 2), (4, 3, 3, 3), {}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"padding": "same", "stride": 2}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"padding": "foo"}),
    ((1, 4, 8, 8), (4, 3, 3, 3), {"groups": 2}),
    ((1, 6, 8, 8), (5, 3, 3, 3), {"groups": 2}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"stride": 0}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"padding": -1}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"dilation": 0}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"groups": 0}),
    ((1, 3, 8, 8), (4, 3, 3, 3), {"padding": (1, 1, 1)}),
]


@pytest.mark.parametrize("xs,ws,kw", ERRORS)
def test_conv2d_errors(xs, ws, kw):
    xk, xt = pair(*xs)
    wk, wt = pair(*ws)
    same_error(lambda: KF.conv2d(xk, wk, **kw), lambda: TF.conv2d(xt, wt, **kw))


@pytest.mark.parametrize("xs,ws", [((1, 3, 8, 8), (4, 3, 3, 3)), ((2, 3, 8, 8), (4, 3, 3, 3)), ((1, 3, 8, 8), (4, 3, 5, 5))])
def test_conv_dtype_and_dilation_errors(xs, ws):
    """PyTorch's message depends on whether its CPU build picks oneDNN for the shapes: both kinds."""
    xk, xt = pair(*xs)
    wk, wt = pair(*ws)
    same_error(lambda: KF.conv2d(xk.double(), wk), lambda: TF.conv2d(xt.double(), wt))
    same_error(lambda: KF.conv2d(xk, wk.double()), lambda: TF.conv2d(xt, wt.double()))
    same_error(lambda: KF.conv2d(xk, wk, dilation=0), lambda: TF.conv2d(xt, wt, dilation=0))


def test_conv_bias_and_dim_errors():
    xk, xt = pair(1, 3, 8, 8)
    wk, wt = pair(4, 3, 3, 3)
    same_error(lambda: KF.conv2d(xk, wk, K.zeros(4).double()), lambda: TF.conv2d(xt, wt, T.zeros(4).double()))
    same_error(lambda: KF.conv2d(xk, wk, K.zeros(5)), lambda: TF.conv2d(xt, wt, T.zeros(5)))
    same_error(lambda: KF.conv1d(K.zeros(3, 2, 2, 2), K.zeros(4, 2, 3)), lambda: TF.conv1d(T.zeros(3, 2, 2, 2), T.zeros(4, 2, 3)))
    same_error(lambda: KF.conv1d(K.zeros(2, 3, 4), K.zeros(6, 3, 5)), lambda: TF.conv1d(T.zeros(2, 3, 4), T.zeros(6, 3, 5)))


def test_conv_transpose_errors():
    same_error(lambda: KF.conv_transpose2d(K.zeros(1, 3, 8, 8), K.zeros(4, 3, 3, 3)),
               lambda: TF.conv_transpose2d(T.zeros(1, 3, 8, 8), T.zeros(4, 3, 3, 3)))
    same_error(lambda: KF.conv_transpose2d(K.zeros(1, 4, 8, 8), K.zeros(4, 3, 3, 3), output_padding=1),
               lambda: TF.conv_transpose2d(T.zeros(1, 4, 8, 8), T.zeros(4, 3, 3, 3), output_padding=1))
    same_error(lambda: KF.conv_transpose2d(K.zeros(4, 8), K.zeros(4, 3, 3, 3)),
               lambda: TF.conv_transpose2d(T.zeros(4, 8), T.zeros(4, 3, 3, 3)))


@pytest.mark.parametrize("kw", [
    {"in_channels": 3, "out_channels": 6, "kernel_size": 5, "groups": 2},
    {"in_channels": 4, "out_channels": 6, "kernel_size": 5, "groups": 4},
    {"in_channels": 4, "out_channels": 6, "kernel_size": 5, "padding": "same", "stride": 2},
])
def test_conv_module_errors(kw):
    same_error(lambda: knn.Conv2d(**kw), lambda: T.nn.Conv2d(**kw))


@pytest.mark.parametrize("kw", [{"padding": "foo"}, {"padding_mode": "foo"}])
def test_conv_module_choice_errors(kw):
    """The message lists a Python set, whose order varies from process to process: compare it as a set."""
    def parts(fn):
        with pytest.raises(ValueError) as info:
            fn()
        head, rest = str(info.value).split("{", 1)
        choices, tail = rest.split("}", 1)
        return head, set(choices.split(", ")), tail

    assert parts(lambda: knn.Conv2d(4, 6, 5, **kw)) == parts(lambda: T.nn.Conv2d(4, 6, 5, **kw))


def test_conv_module_wrong_input():
    km, tm = knn.Conv2d(3, 6, 5), T.nn.Conv2d(3, 6, 5)
    same_error(lambda: km(K.zeros(4, 1, 32, 32)), lambda: tm(T.zeros(4, 1, 32, 32)))
