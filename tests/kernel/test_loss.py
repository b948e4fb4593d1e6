"""Losses (functional and modules) against real PyTorch: every reduction, weights, errors."""

import warnings

import numpy as np
import pytest
import torch as T
import torch.nn.functional as TF

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.nn.functional as KF

from .parity import assert_close, assert_grads_close, pair, same_error

REDUCTIONS = ["mean", "sum", "none"]


def _backward_both(yk, yt, seed=0):
    g = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(np.float32)
    yk.backward(K.tensor(g))
    yt.backward(T.tensor(g))


def _ints(values, dtype=np.int64):
    a = np.asarray(values, dtype=dtype)
    return K.tensor(a), T.tensor(a)


@pytest.mark.parametrize("name,kw", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                                     ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}),
                                     ("huber_loss", {"delta": 0.7}), ("soft_margin_loss", {})])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(name, kw, reduction):
    x_k, x_t = pair(6, 5, seed=1, requires_grad=True)
    y_k, y_t = pair(6, 5, seed=2, requires_grad=name != "soft_margin_loss")
    yk, yt = getattr(KF, name)(x_k, y_k, reduction=reduction, **kw), getattr(TF, name)(x_t, y_t, reduction=reduction, **kw)
    assert_close(yk, yt)
    _backward_both(yk, yt)
    assert_grads_close([x_k, y_k], [x_t, y_t])


def test_mse_broadcast_warning_matches():
    x_k, x_t = pair(8, 1, seed=3, requires_grad=True)
    y_k, y_t = pair(8, seed=4)
    with warnings.catch_warnings(record=True) as wk:
        warnings.simplefilter("always")
        yk = KF.mse_loss(x_k, y_k)
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        yt = TF.mse_loss(x_t, y_t)
    assert [str(w.message) for w in wk] == [str(w.message) for w in wt]
    assert_close(yk, yt)
    yk.backward()
    yt.backward()
    assert_grads_close([x_k], [x_t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 2])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_class_indices(reduction, weighted, ignore_index, label_smoothing):
    x_k, x_t = pair(7, 5, seed=5, requires_grad=True)
    t_k, t_t = _ints([0, 2, 4, 1, 2, 3, 2])
    w_k, w_t = pair(5, seed=6, positive=True) if weighted else (None, None)
    kw = dict(reduction=reduction, ignore_index=ignore_index, label_smoothing=label_smoothing)
    yk, yt = KF.cross_entropy(x_k, t_k, weight=w_k, **kw), TF.cross_entropy(x_t, t_t, weight=w_t, **kw)
    assert_close(yk, yt)
    _backward_both(yk, yt)
    assert_grads_close([x_k], [x_t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_k_dimensional(reduction, label_smoothing):
    x_k, x_t = pair(3, 4, 5, 2, seed=7, requires_grad=True)
    t = np.random.default_rng(8).integers(0, 4, (3, 5, 2))
    t[0, 0, 0] = -100
    t_k, t_t = _ints(t)
    kw = dict(reduction=reduction, label_smoothing=label_smoothing)
    yk, yt = KF.cross_entropy(x_k, t_k, **kw), TF.cross_entropy(x_t, t_t, **kw)
    assert_close(yk, yt)
    _backward_both(yk, yt)
    assert_grads_close([x_k], [x_t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
def test_cross_entropy_probabilities(reduction, weighted, label_smoothing):
    x_k, x_t = pair(6, 4, seed=9, requires_grad=True)
    p = np.random.default_rng(10).random((6, 4)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    w_k, w_t = pair(4, seed=11, positive=True) if weighted else (None, None)
    kw = dict(reduction=reduction, label_smoothing=label_smoothing)
    yk, yt = KF.cross_entropy(x_k, K.tensor(p), weight=w_k, **kw), TF.cross_entropy(x_t, T.tensor(p), weight=w_t, **kw)
    assert_close(yk, yt)
    _backward_both(yk, yt)
    assert_grads_close([x_k], [x_t])


def test_cross_entropy_unbatched():
    x_k, x_t = pair(5, seed=12, requires_grad=True)
    yk, yt = KF.cross_entropy(x_k, K.tensor(3)), TF.cross_entropy(x_t, T.tensor(3))
    assert_close(yk, yt)
    yk.backward()
    yt.backward()
    assert_grads_close([x_k], [x_t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    x_k, x_t = pair(6, 4, seed=13, requires_grad=True)
    t_k, t_t = _ints([3, 0, 1, 1, -100, 2])
    w_k, w_t = pair(4, seed=14, positive=True) if weighted else (None, None)
    yk, yt = KF.nll_loss(x_k, t_k, weight=w_k, reduction=reduction), TF.nll_loss(x_t, t_t, weight=w_t, reduction=reduction)
    assert_close(yk, yt)
    _backward_both(yk, yt)
    assert_grads_close([x_k], [x_t])


def test_cross_entropy_all_ignored_is_nan():
    x_k, x_t = pair(3, 4, seed=15)
    t_k, t_t = _ints([-100, -100, -100])
    assert_close(KF.cross_entropy(x_k, t_k), TF.cross_entropy(x_t, t_t))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted):
    p = np.random.default_rng(16).uniform(0.05, 0.95, (5, 3)).astype(np.float32)
    x_k, x_t = K.tensor(p, requires_grad=True), T.tensor(p, requires_grad=True)
    y_k, y_t = pair(5, 3, seed=17, positive=True)
    y_k.array[...] = np.clip(y_k.array, 0, 1)
    y_t.data = T.clamp(y_t.data, 0, 1)
    y_k.requires_grad_()
    y_t.requires_grad_()
    w_k, w_t = pair(3, seed=18, positive=True) if weighted else (None, None)
    yk = KF.binary_cross_entropy(x_k, y_k, weight=w_k, reduction=reduction)
    yt = TF.binary_cross_entropy(x_t, y_t, weight=w_t, reduction=reduction)
    assert_close(yk, yt)
    _backward_both(yk, yt)
    assert_grads_close([x_k, y_k], [x_t, y_t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits(reduction, pos_weight, weighted):
    x_k, x_t = pair(5, 3, seed=19, requires_grad=True)
    x_k.array *= 4
    x_t.data *= 4
    y = (np.random.default_rng(20).random((5, 3)) > 0.5).astype(np.float32)
    y_k, y_t = K.tensor(y, requires_grad=True), T.tensor(y, requires_grad=True)
    pw_k, pw_t = pair(3, seed=21, positive=True) if pos_weight else (None, None)
    w_k, w_t = pair(3, seed=22, positive=True) if weighted else (None, None)
    yk = KF.binary_cross_entropy_with_logits(x_k, y_k, w_k, reduction=reduction, pos_weight=pw_k)
    yt = TF.binary_cross_entropy_with_logits(x_t, y_t, w_t, reduction=reduction, pos_weight=pw_t)
    assert_close(yk, yt)
    _backward_both(yk, yt)
    assert_grads_close([x_k, y_k], [x_t, y_t])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x_k, x_t = pair(4, 5, seed=23, requires_grad=True)
    y = np.random.default_rng(24).random((4, 5)).astype(np.float32)
    y[0, 0] = 0
    if log_target:
        y = np.log(y + 0.1)
    y_k, y_t = K.tensor(y), T.tensor(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yk = KF.kl_div(x_k, y_k, reduction=reduction, log_target=log_target)
        yt = TF.kl_div(x_t, y_t, reduction=reduction, log_target=log_target)
    assert_close(yk, yt)
    _backward_both(yk, yt)
    assert_grads_close([x_k], [x_t])


LOSS_MODULES = [
    ("MSELoss", {}), ("L1Loss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.5}), ("HuberLoss", {"delta": 2.0}),
    ("CrossEntropyLoss", {"label_smoothing": 0.1}), ("NLLLoss", {}), ("BCELoss", {}), ("BCEWithLogitsLoss", {}),
    ("KLDivLoss", {"reduction": "batchmean"}), ("SoftMarginLoss", {}),
]


@pytest.mark.parametrize("name,kw", LOSS_MODULES, ids=[n for n, _ in LOSS_MODULES])
def test_loss_modules(name, kw):
    mk, mt = getattr(knn, name)(**kw), getattr(T.nn, name)(**kw)
    assert repr(mk) == repr(mt)
    assert list(mk.state_dict()) == list(mt.state_dict())
    x_k, x_t = pair(6, 4, seed=25, requires_grad=True)
    if name in ("CrossEntropyLoss", "NLLLoss"):
        y_k, y_t = _ints([0, 3, 2, 1, 1, 0])
    elif name == "BCELoss":
        x_k, x_t = KF.sigmoid(x_k), TF.sigmoid(x_t)
        y_k, y_t = _ints(np.eye(6, 4), np.float32)
    else:
        y_k, y_t = pair(6, 4, seed=26)
    yk, yt = mk(x_k, y_k), mt(x_t, y_t)
    assert_close(yk, yt)
    yk.backward()
    yt.backward()


def test_weighted_loss_modules_register_weight_buffer():
    w = np.array([1.0, 2.0, 0.5], np.float32)
    mk, mt = knn.CrossEntropyLoss(weight=K.tensor(w)), T.nn.CrossEntropyLoss(weight=T.tensor(w))
    assert list(mk.state_dict()) == list(mt.state_dict()) == ["weight"]
    x_k, x_t = pair(4, 3, seed=27)
    t_k, t_t = _ints([0, 1, 2, 1])
    assert_close(mk(x_k, t_k), mt(x_t, t_t))


# ---- PyTorch's errors, word for word ----------------------------------------------------------
def _ce_error(x_shape, target_k, target_t, **kw):
    return same_error(lambda: knn.CrossEntropyLoss(**kw)(K.zeros(*x_shape), target_k),
                      lambda: T.nn.CrossEntropyLoss(**kw)(T.zeros(*x_shape), target_t))


def test_error_batch_size_mismatch():
    msg = _ce_error((64, 10), K.zeros(32, dtype=K.long), T.zeros(32, dtype=T.long))
    assert msg == "Expected input batch_size (64) to match target batch_size (32)."


def test_error_target_out_of_bounds():
    assert _ce_error((64, 10), K.full((64,), 10), T.full((64,), 10)) == "Target 10 is out of bounds."
    _ce_error((4, 10), K.tensor([1, -1, 2, 3]), T.tensor([1, -1, 2, 3]))
    same_error(lambda: KF.nll_loss(K.zeros(3, 5), K.tensor([1, 7, 2])), lambda: TF.nll_loss(T.zeros(3, 5), T.tensor([1, 7, 2])))


def test_error_target_is_max_result_tuple():
    # the seed programs' mistake: criterion(outputs, torch.max(labels, 0)) passes (values, indices)
    msg = same_error(lambda: knn.CrossEntropyLoss()(K.zeros(64, 10), K.max(K.randint(0, 10, (64,)), 0)),
                     lambda: T.nn.CrossEntropyLoss()(T.zeros(64, 10), T.max(T.randint(0, 10, (64,)), 0)))
    assert "torch.return_types.max" in msg
    _ce_error((4, 3), [1, 2, 0, 1], [1, 2, 0, 1])


def test_error_target_dtype_and_shape():
    _ce_error((8, 4), K.zeros(8), T.zeros(8))
    _ce_error((8, 4), K.zeros(8, dtype=K.int32), T.zeros(8, dtype=T.int32))
    _ce_error((8, 4), K.zeros(8, 1, dtype=K.long), T.zeros(8, 1, dtype=T.long))
    _ce_error((8, 4, 3), K.zeros(8, dtype=K.long), T.zeros(8, dtype=T.long))
    _ce_error((4, 3), K.rand(4, 3), T.rand(4, 3), ignore_index=1)
    _ce_error((4, 3), K.zeros(4, dtype=K.long), T.zeros(4, dtype=T.long), label_smoothing=1.5)
    _ce_error((4, 3), K.zeros(4, dtype=K.long), T.zeros(4, dtype=T.long), weight=None, reduction="avg")
    same_error(lambda: KF.nll_loss(K.zeros(4, 3), K.zeros(4, dtype=K.long), weight=K.ones(2)),
               lambda: TF.nll_loss(T.zeros(4, 3), T.zeros(4, dtype=T.long), weight=T.ones(2)))
    same_error(lambda: KF.nll_loss(K.zeros(4), K.zeros(4, dtype=K.long)), lambda: TF.nll_loss(T.zeros(4), T.zeros(4, dtype=T.long)))


def test_error_bce_shapes_and_ranges():
    same_error(lambda: KF.binary_cross_entropy(K.rand(64, 1), K.rand(64)), lambda: TF.binary_cross_entropy(T.rand(64, 1), T.rand(64)))
    same_error(lambda: KF.binary_cross_entropy(K.randn(64) + 5, K.rand(64)), lambda: TF.binary_cross_entropy(T.randn(64) + 5, T.rand(64)))
    same_error(lambda: KF.binary_cross_entropy(K.rand(6), K.zeros(6, dtype=K.long)),
               lambda: TF.binary_cross_entropy(T.rand(6), T.zeros(6, dtype=T.long)))
    same_error(lambda: KF.binary_cross_entropy_with_logits(K.rand(64, 1), K.rand(64)),
               lambda: TF.binary_cross_entropy_with_logits(T.rand(64, 1), T.rand(64)))
    same_error(lambda: KF.binary_cross_entropy_with_logits(K.rand(6), K.zeros(6, dtype=K.long)),
               lambda: TF.binary_cross_entropy_with_logits(T.rand(6), T.zeros(6, dtype=T.long)))
    same_error(lambda: KF.mse_loss(K.rand(3), K.rand(3), reduction="foo"), lambda: TF.mse_loss(T.rand(3), T.rand(3), reduction="foo"))


def test_error_beginner_shape_and_type_mistakes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_error(lambda: KF.mse_loss(K.zeros(64, 10), K.zeros(64, dtype=K.long)),
                   lambda: TF.mse_loss(T.zeros(64, 10), T.zeros(64, dtype=T.long)))
        same_error(lambda: knn.L1Loss()(K.zeros(64, 10), K.zeros(32)), lambda: T.nn.L1Loss()(T.zeros(64, 10), T.zeros(32)))
    same_error(lambda: KF.mse_loss(K.zeros(3), K.max(K.zeros(3), 0)), lambda: TF.mse_loss(T.zeros(3), T.max(T.zeros(3), 0)))
    same_error(lambda: KF.mse_loss(K.zeros(3), (1, 2)), lambda: TF.mse_loss(T.zeros(3), (1, 2)))
    _ce_error((64, 10), K.zeros(64, 10, dtype=K.long), T.zeros(64, 10, dtype=T.long))
    same_error(lambda: KF.cross_entropy(K.zeros(8, 4, dtype=K.long), K.zeros(8, dtype=K.long)),
               lambda: TF.cross_entropy(T.zeros(8, 4, dtype=T.long), T.zeros(8, dtype=T.long)))
    same_error(lambda: KF.cross_entropy(K.zeros(8, 4, 2, dtype=K.long), K.zeros(8, 2, dtype=K.long)),
               lambda: TF.cross_entropy(T.zeros(8, 4, 2, dtype=T.long), T.zeros(8, 2, dtype=T.long)))
