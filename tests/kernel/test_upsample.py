"""F.interpolate / nn.Upsample against real PyTorch: nearest, nearest-exact, linear, bilinear
(with and without align_corners), area; sizes and scale factors; gradients; errors."""

from __future__ import annotations

import pytest
import torch as T
import torch.nn.functional as TF

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.nn.functional as KF

from .parity import assert_close, pair, same_error

CASES = [
    ((2, 3, 5, 4), {"scale_factor": 2}),
    ((2, 3, 5, 4), {"size": (7, 9)}),
    ((2, 3, 5, 4), {"size": (3, 2)}),
    ((2, 3, 5, 4), {"scale_factor": 1.7, "mode": "nearest-exact"}),
    ((2, 3, 5, 4), {"scale_factor": 2, "mode": "bilinear"}),
    ((2, 3, 5, 4), {"size": (7, 9), "mode": "bilinear", "align_corners": True}),
    ((2, 3, 5, 4), {"size": (3, 2), "mode": "bilinear"}),
    ((2, 3, 5, 4), {"size": (1, 1), "mode": "bilinear", "align_corners": True}),
    ((2, 3, 5, 4), {"scale_factor": (1.5, 2.5), "mode": "bilinear"}),
    ((2, 3, 5, 4), {"scale_factor": 1.5, "mode": "bilinear", "recompute_scale_factor": True}),
    ((2, 3, 5), {"scale_factor": 2.5, "mode": "linear"}),
    ((2, 3, 5), {"size": 8, "mode": "linear", "align_corners": True}),
    ((2, 3, 5), {"scale_factor": 3}),
    ((2, 3, 9, 7), {"size": (4, 3), "mode": "area"}),
]


@pytest.mark.parametrize("xs,kw", CASES)
def test_interpolate(xs, kw):
    xk, xt = pair(*xs, seed=1, requires_grad=True)
    ok, ot = KF.interpolate(xk, **kw), TF.interpolate(xt, **kw)
    assert_close(ok, ot)
    gk, gt = pair(*ot.shape, seed=2)
    (ok * gk).sum().backward()
    (ot * gt).sum().backward()
    assert_close(xk.grad, xt.grad)


@pytest.mark.parametrize("make", [lambda nn: nn.Upsample(scale_factor=2), lambda nn: nn.Upsample(size=(3, 4), mode="bilinear"),
                                  lambda nn: nn.Upsample(scale_factor=(2, 1.5), mode="bilinear", align_corners=False),
                                  lambda nn: nn.UpsamplingNearest2d(scale_factor=2),
                                  lambda nn: nn.UpsamplingBilinear2d(size=5)])
def test_upsample_modules(make):
    km, tm = make(knn), make(T.nn)
    assert repr(km) == repr(tm)
    xk, xt = pair(2, 2, 3, 4, seed=3, requires_grad=True)
    ok, ot = km(xk), tm(xt)
    assert_close(ok, ot)
    ok.sum().backward()
    ot.sum().backward()
    assert_close(xk.grad, xt.grad)


ERRORS = [
    lambda F, t: F.interpolate(t.zeros(1, 3, 4), scale_factor=2, mode="bilinear"),
    lambda F, t: F.interpolate(t.zeros(1, 3, 4, 4), scale_factor=2, mode="bicubicx"),
    lambda F, t: F.interpolate(t.zeros(1, 3, 4, 4)),
    lambda F, t: F.interpolate(t.zeros(1, 3, 4, 4), size=3, scale_factor=2),
    lambda F, t: F.interpolate(t.zeros(1, 3, 4, 4), size=3, align_corners=True),
    lambda F, t: F.interpolate(t.zeros(1, 3, 4, 4), size=(3, 3, 3)),
    lambda F, t: F.interpolate(t.zeros(1, 3, 4, 4), scale_factor=(2, 2, 2)),
    lambda F, t: F.interpolate(t.zeros(4, 4), scale_factor=2),
    lambda F, t: F.interpolate(t.zeros(1, 3, 4, 4), scale_factor=2, mode="linear"),
]


@pytest.mark.parametrize("call", ERRORS)
def test_interpolate_errors(call):
    same_error(lambda: call(KF, K), lambda: call(TF, T))
