"""Finite-difference checks (float64) of the hand-written backward passes in nn.functional and
the losses: activations, linear, pad, and every loss with each reduction.

Imports only numpy, pytest and torchpad, so it also runs in WebAssembly CPython."""

from __future__ import annotations

import numpy as np
import pytest

import torchpad.kernel as K
import torchpad.kernel.nn.functional as F

from gradcheck import gradcheck as _gradcheck, leaf  # noqa: E402  (this folder is on sys.path under pytest)


def gradcheck(fn, inputs, seed=0):
    """Every entry of every input, for fn(*inputs)."""
    _gradcheck(lambda: fn(*inputs), inputs, seed)


ACTIVATIONS = [
    (F.leaky_relu, {"negative_slope": 0.1}), (F.elu, {}), (F.celu, {"alpha": 0.5}), (F.selu, {}), (F.gelu, {}),
    (F.gelu, {"approximate": "tanh"}), (F.silu, {}), (F.mish, {}), (F.softplus, {"beta": 1.5}), (F.hardtanh, {}),
    (F.hardswish, {}), (F.hardsigmoid, {}), (F.logsigmoid, {}), (F.softsign, {}), (F.tanhshrink, {}),
    (F.softshrink, {}), (F.hardshrink, {}), (F.threshold, {"threshold": 0.2, "value": 1.0}),
]


@pytest.mark.parametrize("fn,kw", ACTIVATIONS, ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(ACTIVATIONS)])
def test_activation_gradients(fn, kw):
    x = leaf((3, 5), 1, scale=2.0)
    x.array[np.abs(np.abs(x.array) - 0.5) < 1e-3] += 0.01  # keep away from kinks
    gradcheck(lambda a: fn(a, **kw), [x])


def test_linear_gradients():
    gradcheck(F.linear, [leaf((2, 3, 4), 2), leaf((5, 4), 3), leaf((5,), 4)])
    gradcheck(F.linear, [leaf((4,), 5), leaf((5, 4), 6)])


@pytest.mark.parametrize("mode,pad", [("constant", (1, 2, -1, 1)), ("reflect", (2, 1)), ("replicate", (1, 3)),
                                      ("circular", (2, 1))])
def test_pad_gradients(mode, pad):
    gradcheck(lambda a: F.pad(a, pad, mode=mode), [leaf((2, 3, 4), 7)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss"])
def test_regression_loss_gradients(name, reduction):
    fn = getattr(F, name)
    inputs = [leaf((3, 4), 8), leaf((3, 4), 9)]
    gradcheck(lambda x, y: fn(x, y, reduction=reduction), inputs)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_gradients(reduction):
    p = K.tensor(np.random.default_rng(10).uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    y = K.tensor(np.random.default_rng(11).uniform(0, 1, (3, 4)), requires_grad=True)
    w = K.tensor(np.random.default_rng(12).uniform(0.5, 2, (4,)))
    gradcheck(lambda a, b: F.binary_cross_entropy(a, b, weight=w, reduction=reduction), [p, y])
    pw = K.tensor(np.random.default_rng(13).uniform(0.5, 2, (4,)))
    y2 = K.tensor(y.array.copy(), requires_grad=True)
    gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw, reduction=reduction),
              [leaf((3, 4), 14, scale=3), y2])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_gradients(reduction, smoothing):
    target = K.tensor([0, 3, -100, 1, 2])
    w = K.tensor(np.random.default_rng(15).uniform(0.5, 2, (4,)))
    gradcheck(lambda x: F.cross_entropy(x, target, weight=w, reduction=reduction, label_smoothing=smoothing),
              [leaf((5, 4), 16)])
    probs = K.tensor(np.random.default_rng(17).dirichlet(np.ones(4), 5))
    gradcheck(lambda x: F.cross_entropy(x, probs, reduction=reduction, label_smoothing=smoothing), [leaf((5, 4), 18)])
    gradcheck(lambda x: F.cross_entropy(x, K.tensor([[0, 2], [1, 1]]), reduction=reduction), [leaf((2, 3, 2), 19)])


def test_kl_div_gradients():
    target = K.tensor(np.random.default_rng(20).uniform(0, 1, (3, 4)), requires_grad=True)
    gradcheck(lambda x, t: F.kl_div(x, t, reduction="batchmean"), [leaf((3, 4), 21), target])


def test_nll_loss_values():
    logp = F.log_softmax(leaf((4, 3), 22), 1)
    target = K.tensor([2, 0, 1, 1])
    expected = -logp.array[np.arange(4), target.array].mean()
    assert abs(F.nll_loss(logp, target).item() - expected) < 1e-12
