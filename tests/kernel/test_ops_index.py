"""Indexing and index ops against PyTorch: values and gradients, including integer-tensor
indexing with repeats, bool masks, index assignment with broadcasting, gather/scatter."""

import numpy as np
import pytest
import torch as T

from tests.kernel.opcheck import NC, check, ints, rand
from tests.kernel.parity import K, assert_close

IDX = np.array([0, 2, 2, 1])
IDX2 = np.array([[0, 1], [3, 3]])

GETITEM = {
    "int": lambda t, a: a[1], "neg_int": lambda t, a: a[-1, 2], "slice": lambda t, a: a[1:3, ::2],
    "neg_step_free": lambda t, a: a[:, -3:], "none": lambda t, a: a[None, :, 1], "ellipsis": lambda t, a: a[..., 1],
    "ellipsis_none": lambda t, a: a[0, ..., None], "int_tensor": lambda t, a: a[t.tensor(IDX)],
    "int_list": lambda t, a: a[[0, 2, 2]], "int_tensor_2d": lambda t, a: a[:, t.tensor(IDX2)],
    "two_int_tensors": lambda t, a: a[t.tensor([0, 1, 1]), t.tensor([2, 0, 2])],
    "int_tensor_and_slice": lambda t, a: a[t.tensor([2, 0]), 1:],
    "bool_mask": lambda t, a: a[a > 0], "bool_row_mask": lambda t, a: a[t.tensor([True, False, True])],
    "bool_list": lambda t, a: a[:, [True, False, True, True, False]],
    "scalar_tensor": lambda t, a: a[t.tensor(1)],
}


@pytest.mark.parametrize("name", sorted(GETITEM))
def test_getitem(name):
    check(GETITEM[name], rand(3, 5, seed=1))


@pytest.mark.parametrize("name", ["slice", "int_tensor", "bool_mask", "two_int_tensors"])
def test_getitem_non_contiguous(name):
    check(GETITEM[name], NC(rand(3, 5, seed=2)))


def test_getitem_repeated_indices_accumulate_gradient():
    check(lambda t, a: a[t.tensor([1, 1, 1, 0])] * 2, rand(4, 3, seed=3))
    check(lambda t, a: a[[0, 0], [1, 1]], rand(4, 3, seed=3))


def _setitem_case(name):
    def f(t, a, v):
        y = a * 1
        if name == "int":
            y[1] = v[0]
        elif name == "slice_broadcast":
            y[:, 1:3] = v[0, :2]
        elif name == "bool_mask_scalar":
            y[y > 0] = 0.0
        elif name == "int_tensor":
            y[t.tensor([0, 2])] = v[:2]
        elif name == "column_from_leading_one":
            y[:, 0] = v[:1, :3].sum(1, keepdim=True).t().expand(1, 3)
        elif name == "scalar_tensor_value":
            y[0, 0] = v.sum()
        return y

    return f


@pytest.mark.parametrize("name", ["int", "slice_broadcast", "bool_mask_scalar", "int_tensor", "column_from_leading_one",
                                  "scalar_tensor_value"])
def test_setitem_gradients(name):
    check(_setitem_case(name), rand(3, 4, seed=4), rand(3, 4, seed=5))


def test_setitem_without_grad_broadcasts_and_casts():
    k, t = K.zeros(3, 4), T.zeros(3, 4)
    for idx, v in [((slice(None),), np.arange(4.0)), ((0,), np.ones((1, 4))), ((slice(None), 1), np.ones((3,))), ((1, 2), 7)]:
        k[idx] = K.tensor(v) if isinstance(v, np.ndarray) else v
        t[idx] = T.tensor(v) if isinstance(v, np.ndarray) else v
    k[k > 2] = -1
    t[t > 2] = -1
    k[K.tensor([0, 2]), 3] = 9
    t[T.tensor([0, 2]), 3] = 9
    assert_close(k, t)
    ki, ti = K.zeros(3, dtype=K.long), T.zeros(3, dtype=T.long)
    ki[0], ti[0] = 2.7, 2.7
    assert_close(ki, ti)


GATHER = {
    "gather1": lambda t, a: a.gather(1, t.tensor([[0, 0, 3], [1, 2, 2], [4, 4, 4]])),
    "gather0": lambda t, a: t.gather(a, 0, t.tensor([[2, 1, 0, 0, 1]])),
    "gather_small": lambda t, a: a.gather(1, t.tensor([[1], [0]])),
    "take_along_dim": lambda t, a: t.take_along_dim(a, t.tensor([[0], [4], [2]]), 1),
    "index_select0": lambda t, a: a.index_select(0, t.tensor([2, 0, 2])),
    "index_select1": lambda t, a: t.index_select(a, 1, t.tensor([4, 1])),
    "masked_fill": lambda t, a: a.masked_fill(a > 0.5, -1.0), "masked_fill_bcast": lambda t, a: a.masked_fill(t.tensor([True, False, True, False, False]), 0.0),
    "masked_fill_tensor_value": lambda t, a: a.masked_fill(a < 0, a.sum()),
    "masked_select": lambda t, a: a.masked_select(a > 0), "masked_select_bcast": lambda t, a: t.masked_select(a, t.tensor([True, False, True, True, False])),
    "scatter_src": lambda t, a: t.zeros(3, 5).scatter(1, t.tensor([[0, 1], [2, 3], [4, 0]]), a[:, :2]),
    "scatter_into_input": lambda t, a: a.scatter(0, t.tensor([[0, 1, 2, 0, 1]]), a[:1] * 3),
    "scatter_value": lambda t, a: a.scatter(1, t.tensor([[0], [1], [2]]), 5.0),
    "scatter_add": lambda t, a: a.scatter_add(1, t.tensor([[0, 0], [1, 1], [2, 2]]), a[:, 3:]),
}


@pytest.mark.parametrize("name", sorted(GATHER))
def test_index_ops(name):
    check(GATHER[name], rand(3, 5, seed=6))


def test_gather_non_contiguous_and_repeated():
    check(lambda t, a: a.gather(1, t.tensor([[0, 0], [2, 2], [1, 3]])), NC(rand(3, 4, seed=7)))


def test_inplace_index_ops():
    for f in (lambda t, x: x.masked_fill_(x > 0, 0.0), lambda t, x: x.scatter_(1, t.tensor([[0], [1], [2]]), -1.0),
              lambda t, x: x.scatter_add_(0, t.tensor([[0, 1, 2, 0]]), t.ones(1, 4))):
        a = rand(3, 4, seed=8)
        k, tt = K.tensor(a), T.tensor(a)
        assert f(K, k) is k and f(T, tt) is tt
        assert_close(k, tt)


def test_nonzero_and_where_single_argument():
    a = ints(3, 4, high=2, seed=3)
    assert_close(K.tensor(a).nonzero(), T.tensor(a).nonzero())
    assert_close(K.argwhere(K.tensor(a)), T.argwhere(T.tensor(a)))
    for k, t in zip(K.where(K.tensor(a) > 0), T.where(T.tensor(a) > 0)):
        assert_close(k, t)
    for k, t in zip(K.tensor(a).nonzero(as_tuple=True), T.tensor(a).nonzero(as_tuple=True)):
        assert_close(k, t)


def test_one_hot_style_scatter_of_labels():
    labels = ints(6, high=4, seed=9)
    k = K.zeros(6, 4).scatter_(1, K.tensor(labels).unsqueeze(1), 1.0)
    t = T.zeros(6, 4).scatter_(1, T.tensor(labels).unsqueeze(1), 1.0)
    assert_close(k, t)


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_scatter_reduce_add_values():
    check(lambda t, a: a.scatter(1, t.tensor([[0, 0], [1, 1], [2, 2]]), a[:, 3:], reduce="add"), rand(3, 5), grad=False)
