"""Shape ops against PyTorch: views, expand/repeat, joins and splits, with their gradients."""

import numpy as np
import pytest
import torch as T

from tests.kernel.opcheck import NC, check, ints, rand
from tests.kernel.parity import K, assert_close

SHAPE = {
    "reshape": lambda t, a: a.reshape(4, -1), "reshape_tuple": lambda t, a: t.reshape(a, (2, 2, 6)),
    "view": lambda t, a: a.view(-1), "view_as": lambda t, a: a.view(2, 12).view_as(t.zeros(6, 4)),
    "reshape_as": lambda t, a: a.reshape_as(t.zeros(24)), "flatten": lambda t, a: a.flatten(),
    "flatten1": lambda t, a: t.flatten(a, 1), "unflatten": lambda t, a: a.unflatten(2, (2, 2)),
    "squeeze": lambda t, a: a.unsqueeze(0).squeeze(), "squeeze_dim": lambda t, a: a.unsqueeze(1).squeeze(1),
    "unsqueeze": lambda t, a: t.unsqueeze(a, -1), "permute": lambda t, a: a.permute(2, 0, 1),
    "permute_t": lambda t, a: t.permute(a, (1, 2, 0)), "transpose": lambda t, a: a.transpose(0, 2),
    "mT": lambda t, a: a.mT, "T2": lambda t, a: a[0].T, "t": lambda t, a: a[0].t(), "swapaxes": lambda t, a: t.swapaxes(a, 0, 1),
    "contiguous": lambda t, a: a.transpose(0, 1).contiguous().view(-1),
    "expand": lambda t, a: a[:, :1].expand(3, 5, 4), "expand_neg": lambda t, a: a[:1].expand(2, -1, -1),
    "expand_new_dims": lambda t, a: a.expand(2, 3, 2, 4), "expand_as": lambda t, a: a[:1].expand_as(a),
    "broadcast_to": lambda t, a: t.broadcast_to(a[0], (5, 2, 4)), "repeat": lambda t, a: a.repeat(2, 1, 3),
    "repeat_more": lambda t, a: a.repeat(2, 1, 1, 2), "tile": lambda t, a: t.tile(a, (2,)),
    "repeat_interleave": lambda t, a: a.repeat_interleave(2, dim=1), "repeat_interleave_flat": lambda t, a: t.repeat_interleave(a, 2),
    "flip": lambda t, a: a.flip(0, 2), "flip_t": lambda t, a: t.flip(a, [1]), "roll": lambda t, a: a.roll(1, 2),
    "roll_multi": lambda t, a: t.roll(a, (1, -1), (0, 1)), "roll_flat": lambda t, a: a.roll(3),
    "movedim": lambda t, a: t.movedim(a, 0, -1), "narrow": lambda t, a: a.narrow(2, 1, 2), "select": lambda t, a: a.select(1, 0),
}


@pytest.mark.parametrize("name", sorted(SHAPE))
def test_shape_op(name):
    check(SHAPE[name], rand(3, 2, 4, seed=1))


@pytest.mark.parametrize("name", ["reshape", "flatten", "permute", "expand", "repeat", "flip", "unflatten"])
def test_shape_op_non_contiguous(name):
    check(SHAPE[name], NC(rand(3, 2, 4, seed=2)))


def test_view_shares_memory_and_reshape_copies_when_needed():
    x = K.zeros(2, 3)
    x.view(6)[0] = 5
    assert x[0, 0].item() == 5
    y = x.t().reshape(6)
    assert_close(y, T.zeros(2, 3).index_put_((T.tensor([0]), T.tensor([0])), T.tensor(5.0)).t().reshape(6))


JOIN = {
    "cat0": lambda t, a, b: t.cat([a, b], 0), "cat1": lambda t, a, b: t.cat((a, b, a), dim=1),
    "cat_neg": lambda t, a, b: t.cat([a, b], -1), "concat": lambda t, a, b: t.concat([a, b]),
    "stack0": lambda t, a, b: t.stack([a, b]), "stack1": lambda t, a, b: t.stack((a, b), dim=1),
    "stack_last": lambda t, a, b: t.stack([a, b, a], -1), "hstack": lambda t, a, b: t.hstack([a, b]),
    "vstack": lambda t, a, b: t.vstack([a, b]),
}


@pytest.mark.parametrize("name", sorted(JOIN))
def test_join(name):
    check(JOIN[name], rand(3, 4, seed=1), rand(3, 4, seed=2))


def test_cat_different_sizes_in_the_cat_dim_and_non_contiguous():
    check(lambda t, a, b: t.cat([a, b], 1), NC(rand(3, 2, seed=1)), rand(3, 5, seed=2))


def test_cat_promotes_dtypes_and_skips_legacy_empty():
    assert_close(K.cat([K.ones(2), K.tensor([1, 2])]), T.cat([T.ones(2), T.tensor([1, 2])]))
    assert_close(K.cat([K.tensor([]), K.ones(2, 3)]), T.cat([T.tensor([]), T.ones(2, 3)]))


SPLIT = {
    "split": lambda t, a: a.split(2), "split_dim": lambda t, a: t.split(a, 3, dim=1),
    "split_sizes": lambda t, a: a.split([1, 4], 1), "chunk": lambda t, a: a.chunk(3), "chunk_dim": lambda t, a: t.chunk(a, 2, 1),
    "chunk_uneven": lambda t, a: a.chunk(4, 1), "unbind": lambda t, a: a.unbind(), "unbind1": lambda t, a: t.unbind(a, 1),
}


@pytest.mark.parametrize("name", sorted(SPLIT))
def test_split(name):
    outs = check(SPLIT[name], rand(5, 5, seed=3))
    assert len(outs) == len(SPLIT[name](T, T.tensor(rand(5, 5, seed=3))))


def test_lstm_style_gate_chunk_gradient():
    def f(t, x, w):
        i, f_, g, o = (x @ w).chunk(4, 1)
        return i.sigmoid() * g.tanh() + f_.sigmoid() * o

    check(f, rand(3, 5, seed=1), rand(5, 8, seed=2))


def test_size_and_shape():
    x = K.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == T.Size([2, 3, 4]) and x.size(-1) == 4
    assert repr(x.shape) == "torch.Size([2, 3, 4])" and x.shape.numel() == 24
    assert isinstance(x.shape, tuple) and x.shape[1:] == (3, 4)
    assert K.zeros(3, 4).reshape(x.shape[1:]).shape == (3, 4)


def test_int_tensor_shape_ops():
    a = ints(3, 4)
    for f in (lambda t, x: x.t(), lambda t, x: t.cat([x, x]), lambda t, x: x.flip(0), lambda t, x: x.repeat(2, 1),
              lambda t, x: t.stack([x, x], 1), lambda t, x: x.view(-1)):
        assert_close(f(K, K.tensor(a)), f(T, T.tensor(a)))
