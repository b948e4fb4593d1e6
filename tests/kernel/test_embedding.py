"""Embedding against real PyTorch: lookup, weight gradient with repeated indices, padding_idx,
max_norm, scale_grad_by_freq, the module (init, repr, from_pretrained) and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch as T
import torch.nn.functional as TF

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.nn.functional as KF

from .parity import assert_close, pair, same_error

IDX = [[1, 2, 1, 7], [0, 9, 1, 1]]


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 1}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                {"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0, "padding_idx": 0}])
@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_embedding_functional(kw, dtype):
    wk, wt = pair(10, 4, seed=3, requires_grad=True)
    ik, it = K.tensor(np.array(IDX, dtype=dtype)), T.tensor(np.array(IDX, dtype=dtype))
    pad = kw.get("padding_idx")
    if pad is not None and pad < 0:  # the functional form takes the index as given; the module normalises it
        kw = dict(kw, padding_idx=10 + pad)
    ok, ot = KF.embedding(ik, wk, **kw), TF.embedding(it, wt, **kw)
    assert_close(ok, ot)
    assert_close(wk.detach(), wt.detach())  # max_norm renormalises rows in place
    gk, gt = pair(*ot.shape, seed=4)
    (ok * gk).sum().backward()
    (ot * gt).sum().backward()
    assert_close(wk.grad, wt.grad)


def test_embedding_module():
    km, tm = knn.Embedding(10, 3, padding_idx=-2), T.nn.Embedding(10, 3, padding_idx=-2)
    assert repr(km) == repr(tm) and km.padding_idx == tm.padding_idx == 8
    assert list(km.state_dict()) == ["weight"]
    w = km.weight.detach().numpy()
    assert (w[8] == 0).all() and abs(w.std() - 1) < 0.5  # normal(0, 1) init, padding row zeroed
    km.weight.array[...] = tm.weight.detach().numpy()
    ik, it = K.tensor(IDX), T.tensor(IDX)
    ok, ot = km(ik), tm(it)
    assert_close(ok, ot)
    ok.sum().backward()
    ot.sum().backward()
    assert_close(km.weight.grad, tm.weight.grad)
    for kw in ({"max_norm": 2.0, "scale_grad_by_freq": True}, {"norm_type": 1.0}, {"sparse": True}):
        assert repr(knn.Embedding(5, 2, **kw)) == repr(T.nn.Embedding(5, 2, **kw))


def test_embedding_from_pretrained():
    wk, wt = pair(4, 3, seed=1)
    km, tm = knn.Embedding.from_pretrained(wk), T.nn.Embedding.from_pretrained(wt)
    assert not km.weight.requires_grad and not tm.weight.requires_grad
    assert_close(km(K.tensor([3, 0])), tm(T.tensor([3, 0])))
    assert knn.Embedding.from_pretrained(wk, freeze=False).weight.requires_grad


def test_embedding_empty_and_nd_indices():
    wk, wt = pair(6, 2, seed=2, requires_grad=True)
    idx = np.array([[[1, 5], [5, 5]], [[0, 0], [2, 3]]])
    ok, ot = KF.embedding(K.tensor(idx), wk), TF.embedding(T.tensor(idx), wt)
    assert_close(ok, ot)
    ok.sum().backward()
    ot.sum().backward()
    assert_close(wk.grad, wt.grad)
    assert tuple(KF.embedding(K.tensor(np.zeros((0,), np.int64)), wk).shape) == (0, 2)


ERRORS = [
    lambda F, t: F.embedding(t.tensor([1, 10]), t.zeros(10, 3)),
    lambda F, t: F.embedding(t.tensor([1, -1]), t.zeros(10, 3)),
    lambda F, t: F.embedding(t.tensor([1.0, 2.0]), t.zeros(10, 3)),
    lambda F, t: F.embedding(t.tensor([1, 2]), t.zeros(10, 3), padding_idx=12),
]


@pytest.mark.parametrize("call", ERRORS)
def test_embedding_errors(call):
    same_error(lambda: call(KF, K), lambda: call(TF, T))


@pytest.mark.parametrize("call", [lambda nn, t: nn.Embedding(10, 3, padding_idx=10),
                                  lambda nn, t: nn.Embedding(10, 3, padding_idx=-11),
                                  lambda nn, t: nn.Embedding(10, 3)(t.tensor([1, 12]))])
def test_embedding_module_errors(call):
    same_error(lambda: call(knn, K), lambda: call(T.nn, T))
