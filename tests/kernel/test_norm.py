"""Batch, layer, group and instance norm against real PyTorch: outputs, all gradients, running
statistics over several training steps, eval mode, modules and errors; channel dropout."""

from __future__ import annotations

import numpy as np
import pytest
import torch as T
import torch.nn.functional as TF

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.nn.functional as KF

from .parity import assert_close, pair, same_error

ATOL = 1e-4  # gradients of normalised outputs sum many terms


def _grads(ok, ot, leaves):
    gk, gt = pair(*ot.shape, seed=9)
    (ok * gk).sum().backward()
    (ot * gt).sum().backward()
    for k, t in leaves:
        assert_close(k.grad, t.grad, atol=ATOL)


@pytest.mark.parametrize("shape", [(8, 5), (8, 5, 7), (6, 5, 4, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_functional_training_and_eval(shape, affine):
    rmk, rvk, rmt, rvt = K.zeros(5), K.ones(5), T.zeros(5), T.ones(5)
    for step in range(3):
        xk, xt = pair(*shape, seed=step, requires_grad=True)
        xk, xt = xk * 2 + 1, xt * 2 + 1  # statistics away from (0, 1), so the running ones move
        pk, pt = [], []
        if affine:
            (wk, wt), (bk, bt) = pair(5, seed=20, requires_grad=True), pair(5, seed=21, requires_grad=True)
            pk, pt = [wk, bk], [wt, bt]
        ok = KF.batch_norm(xk, rmk, rvk, *pk, training=True, momentum=0.2)
        ot = TF.batch_norm(xt, rmt, rvt, *pt, training=True, momentum=0.2)
        assert_close(ok, ot)
        assert_close(rmk, rmt)
        assert_close(rvk, rvt)
        xk.retain_grad()
        xt.retain_grad()
        _grads(ok, ot, [(xk, xt)] + list(zip(pk, pt)))
    xk, xt = pair(*shape, seed=7, requires_grad=True)
    ok = KF.batch_norm(xk, rmk, rvk, *pk, training=False)
    ot = TF.batch_norm(xt, rmt, rvt, *pt, training=False)
    assert_close(ok, ot)
    for p in pk + pt:
        p.grad = None
    _grads(ok, ot, [(xk, xt)] + list(zip(pk, pt)))


@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 4)), ("BatchNorm1d", (8, 4, 5)), ("BatchNorm2d", (6, 4, 3, 3))])
@pytest.mark.parametrize("kw", [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False}, {"bias": False}])
def test_batch_norm_modules(cls, shape, kw):
    km, tm = getattr(knn, cls)(4, **kw), getattr(T.nn, cls)(4, **kw)
    assert repr(km) == repr(tm)
    assert list(km.state_dict()) == list(tm.state_dict())
    for step in range(3):
        xk, xt = pair(*shape, seed=step, requires_grad=True)
        ok, ot = km(xk * 3 - 1), tm(xt * 3 - 1)
        assert_close(ok, ot)
        _grads(ok, ot, [(xk, xt)] + list(zip(km.parameters(), tm.parameters())))
        for p in list(km.parameters()) + list(tm.parameters()):
            p.grad = None
    for (name, kb), (_, tb) in zip(km.state_dict().items(), tm.state_dict().items()):
        assert_close(kb, tb)
    km.eval()
    tm.eval()
    xk, xt = pair(*shape, seed=11)
    assert_close(km(xk), tm(xt))


def test_batch_norm_state_dict_round_trip():
    km, tm = knn.BatchNorm2d(3), T.nn.BatchNorm2d(3)
    tm.train()
    tm(T.randn(4, 3, 2, 2) * 5 + 2)
    km.load_state_dict({k: K.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    km.eval()
    tm.eval()
    xk, xt = pair(2, 3, 2, 2, seed=1)
    assert_close(km(xk), tm(xt))
    assert km.num_batches_tracked.item() == 1 and str(km.num_batches_tracked.dtype) == "torch.int64"


@pytest.mark.parametrize("xs,ns,affine", [((4, 5, 6), (6,), "both"), ((4, 5, 6), (5, 6), "weight"),
                                          ((4, 5, 6), (5, 6), "bias"), ((3, 6), (6,), "none")])
def test_layer_norm(xs, ns, affine):
    xk, xt = pair(*xs, seed=1, requires_grad=True)
    wk = wt = bk = bt = None
    if affine in ("both", "weight"):
        wk, wt = pair(*ns, seed=2, requires_grad=True)
    if affine in ("both", "bias"):
        bk, bt = pair(*ns, seed=3, requires_grad=True)
    ok, ot = KF.layer_norm(xk, ns, wk, bk, 1e-5), TF.layer_norm(xt, ns, wt, bt, 1e-5)
    assert_close(ok, ot)
    _grads(ok, ot, [(a, b) for a, b in [(xk, xt), (wk, wt), (bk, bt)] if a is not None])


@pytest.mark.parametrize("xs,groups,affine", [((4, 6, 5), 3, True), ((4, 6, 5, 3), 2, True), ((4, 6), 6, False),
                                               ((2, 4, 3, 3), 1, True)])
def test_group_norm(xs, groups, affine):
    xk, xt = pair(*xs, seed=1, requires_grad=True)
    pk, pt = [], []
    if affine:
        (wk, wt), (bk, bt) = pair(xs[1], seed=2, requires_grad=True), pair(xs[1], seed=3, requires_grad=True)
        pk, pt = [wk, bk], [wt, bt]
    ok, ot = KF.group_norm(xk, groups, *pk, eps=1e-3), TF.group_norm(xt, groups, *pt, eps=1e-3)
    assert_close(ok, ot)
    _grads(ok, ot, [(xk, xt)] + list(zip(pk, pt)))


NORM_MODULES = [
    (lambda nn: nn.LayerNorm(6), (4, 5, 6)),
    (lambda nn: nn.LayerNorm([5, 6], elementwise_affine=False), (4, 5, 6)),
    (lambda nn: nn.LayerNorm(6, bias=False), (4, 6)),
    (lambda nn: nn.GroupNorm(2, 6), (4, 6, 5)),
    (lambda nn: nn.GroupNorm(3, 6, affine=False), (4, 6, 2, 2)),
    (lambda nn: nn.InstanceNorm2d(3), (2, 3, 4, 4)),
    (lambda nn: nn.InstanceNorm1d(3, affine=True), (2, 3, 5)),
]


@pytest.mark.parametrize("make,xs", NORM_MODULES)
def test_norm_modules(make, xs):
    km, tm = make(knn), make(T.nn)
    assert repr(km) == repr(tm)
    assert list(km.state_dict()) == list(tm.state_dict())
    for kp, tp in zip(km.parameters(), tm.parameters()):  # move away from the ones/zeros init
        kp.array[...] = np.linspace(0.5, 1.5, kp.numel()).reshape(kp.array.shape)
        tp.data = T.tensor(kp.array.copy())
    xk, xt = pair(*xs, seed=1, requires_grad=True)
    ok, ot = km(xk), tm(xt)
    assert_close(ok, ot)
    _grads(ok, ot, [(xk, xt)] + list(zip(km.parameters(), tm.parameters())))


def test_dropout2d_zeroes_whole_channels():
    K.manual_seed(0)
    x = K.ones(8, 16, 4, 4, requires_grad=True)
    m = knn.Dropout2d(0.5)
    y = m(x)
    per_channel = y.detach().numpy().reshape(8, 16, -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()  # a channel is kept or dropped whole
    assert 0.2 < (per_channel[:, :, 0] == 0).mean() < 0.8
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())
    m.eval()
    assert m(x) is x
    assert repr(m) == repr(T.nn.Dropout2d(0.5))


ERRORS = [
    (lambda F, t: F.batch_norm(t.randn(1, 10), t.zeros(10), t.ones(10), training=True)),
    (lambda F, t: F.batch_norm(t.randn(1, 10, 1), t.zeros(10), t.ones(10), training=True)),
    (lambda F, t: F.batch_norm(t.randn(4, 10), t.zeros(5), t.ones(5), training=True)),
    (lambda F, t: F.batch_norm(t.randn(4, 10), t.zeros(10), t.ones(10), t.ones(5), training=True)),
    (lambda F, t: F.batch_norm(t.randn(4, 10), None, None, training=False)),
    (lambda F, t: F.layer_norm(t.randn(3, 5), (10,))),
    (lambda F, t: F.layer_norm(t.randn(3, 5), (3, 5), t.ones(5))),
    (lambda F, t: F.layer_norm(t.randn(3, 5), 5)),
    (lambda F, t: F.group_norm(t.randn(2, 6, 4), 4)),
    (lambda F, t: F.group_norm(t.randn(2, 6, 4), 3, t.ones(5))),
]


@pytest.mark.parametrize("call", ERRORS)
def test_norm_functional_errors(call):
    same_error(lambda: call(KF, K), lambda: call(TF, T))


MODULE_ERRORS = [
    lambda nn, t: nn.BatchNorm1d(10)(t.randn(4, 5)),
    lambda nn, t: nn.BatchNorm1d(10)(t.randn(4, 10, 3, 3)),
    lambda nn, t: nn.BatchNorm2d(10)(t.randn(4, 10, 3)),
    lambda nn, t: nn.BatchNorm2d(10)(t.randn(4, 5, 3, 3)),
    lambda nn, t: nn.BatchNorm1d(10)(t.randn(1, 10)),
    lambda nn, t: nn.LayerNorm(10)(t.randn(3, 5)),
    lambda nn, t: nn.LayerNorm([2, 5])(t.randn(3, 5)),
    lambda nn, t: nn.GroupNorm(4, 6),
    lambda nn, t: nn.GroupNorm(2, 6)(t.randn(2, 4, 3)),
    lambda nn, t: nn.Dropout2d(1.5),
]


@pytest.mark.parametrize("call", MODULE_ERRORS)
def test_norm_module_errors(call):
    same_error(lambda: call(knn, K), lambda: call(T.nn, T))
