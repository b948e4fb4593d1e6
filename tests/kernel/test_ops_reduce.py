"""Reductions, scans, sorting and the softmax family against PyTorch (values, indices, gradients)."""

import numpy as np
import pytest
import torch as T

from tests.kernel.opcheck import NC, check, ints, rand
from tests.kernel.parity import K, assert_close

REDUCE = {
    "sum": lambda t, a: a.sum(), "sum0": lambda t, a: a.sum(0), "sum_keep": lambda t, a: a.sum(-1, keepdim=True),
    "sum_tuple": lambda t, a: a.sum((0, 2)), "mean": lambda t, a: a.mean(), "mean1": lambda t, a: t.mean(a, 1),
    "mean_keep": lambda t, a: a.mean((1, 2), keepdim=True),
    "std": lambda t, a: a.std(), "std0": lambda t, a: a.std(0), "std_biased": lambda t, a: a.std(1, unbiased=False),
    "std_corr": lambda t, a: t.std(a, dim=(0, 1), correction=0, keepdim=True), "std_pos": lambda t, a: a.std(2, True, True),
    "var": lambda t, a: a.var(), "var1": lambda t, a: t.var(a, 1), "var_keep": lambda t, a: a.var(-1, keepdim=True),
    "prod": lambda t, a: a.prod(), "prod1": lambda t, a: a.prod(1), "prod_keep": lambda t, a: t.prod(a, 2, keepdim=True),
    "amax": lambda t, a: a.amax(1), "amin": lambda t, a: t.amin(a, (0, 2)), "max_all": lambda t, a: a.max(),
    "min_all": lambda t, a: t.min(a), "max_dim": lambda t, a: a.max(1), "min_dim": lambda t, a: t.min(a, -1, keepdim=True),
    "max_kw": lambda t, a: t.max(a, dim=0), "logsumexp": lambda t, a: a.logsumexp(1),
    "logsumexp_t": lambda t, a: t.logsumexp(a, (0, 1), keepdim=True), "softmax": lambda t, a: a.softmax(-1),
    "softmax0": lambda t, a: t.softmax(a, 0), "log_softmax": lambda t, a: a.log_softmax(1),
    "cumsum": lambda t, a: a.cumsum(1), "cumsum_t": lambda t, a: t.cumsum(a, dim=-1), "cumprod": lambda t, a: a.cumprod(2),
    "norm": lambda t, a: a.norm(), "norm_dim": lambda t, a: t.norm(a, dim=1), "norm_p1": lambda t, a: a.norm(p=1),
    "norm_p3": lambda t, a: a.norm(p=3, dim=2, keepdim=True), "median": lambda t, a: a.median(),
    "median_dim": lambda t, a: a.median(1), "std_mean": lambda t, a: t.std_mean(a, 1), "var_mean": lambda t, a: t.var_mean(a, 0),
}


@pytest.mark.parametrize("name", sorted(REDUCE))
def test_reduction(name):
    check(REDUCE[name], rand(3, 4, 5, seed=1))


@pytest.mark.parametrize("name", ["sum0", "mean1", "std0", "max_dim", "softmax", "cumsum", "prod1", "norm_dim"])
def test_reduction_non_contiguous(name):
    check(REDUCE[name], NC(rand(3, 4, 5, seed=2)))


def test_prod_gradient_with_zeros():
    a = rand(3, 4, seed=3)
    a[0, 1] = 0
    a[2, 0] = a[2, 3] = 0
    check(lambda t, x: x.prod(1), a)
    check(lambda t, x: x.prod(), a)


def test_max_min_ties_split_gradient_like_torch():
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], np.float32)
    check(lambda t, x: x.max(), a)
    check(lambda t, x: x.amax(1), a)
    check(lambda t, x: t.max(x, 1).values, a)


def test_max_returns_named_tuple_with_torch_repr():
    a = np.array([[1.0, 3.0], [2.0, 0.0]], np.float32)
    k, t = K.tensor(a).max(1), T.tensor(a).max(1)
    assert repr(k) == repr(t)
    values, indices = k
    assert_close(values, t.values)
    assert_close(k.indices, t.indices)


@pytest.mark.parametrize("dim,descending", [(-1, False), (0, True), (1, True)])
def test_sort(dim, descending):
    out = check(lambda t, a: t.sort(a, dim=dim, descending=descending), rand(4, 6, seed=4))
    assert type(out).__name__ in ("list", "tuple")
    assert_close(K.tensor(rand(4, 6, seed=4)).argsort(dim, descending), T.tensor(rand(4, 6, seed=4)).argsort(dim, descending))


@pytest.mark.parametrize("k,dim,largest", [(2, -1, True), (3, 0, False), (1, 1, True)])
def test_topk(k, dim, largest):
    check(lambda t, a: a.topk(k, dim=dim, largest=largest), rand(5, 6, seed=5))
    res = K.tensor(rand(5, 6)).topk(k, dim=dim)
    assert res.values.shape == res.indices.shape and repr(res).startswith("torch.return_types.topk(")


def test_argmax_argmin():
    a = rand(3, 4, 5, seed=6)
    for f in (lambda t, x: x.argmax(), lambda t, x: x.argmax(1), lambda t, x: t.argmin(x, -1, keepdim=True),
              lambda t, x: x.argmin()):
        assert_close(f(K, K.tensor(a)), f(T, T.tensor(a)))


def test_all_any_count_nonzero():
    a = ints(3, 4, high=3, seed=1)
    for f in (lambda x: x.all(), lambda x: x.any(), lambda x: x.all(1), lambda x: x.any(0, keepdim=True),
              lambda x: (x > 0).all(), lambda x: (x > 1).any(-1), lambda x: x.bool().all(1),
              lambda x: x.count_nonzero(), lambda x: x.count_nonzero(1)):
        assert_close(f(K.tensor(a)), f(T.tensor(a)))


def test_integer_reductions_keep_torch_dtypes():
    a = ints(3, 4, seed=2)
    for f in (lambda x: x.sum(), lambda x: x.sum(0), lambda x: x.prod(1), lambda x: x.cumsum(0), lambda x: x.max(),
              lambda x: x.int().sum(), lambda x: x.int().cumsum(1), lambda x: x.bool().sum(), lambda x: x.mean(dtype=T.float32 if isinstance(x, T.Tensor) else K.float32)):
        assert_close(f(K.tensor(a)), f(T.tensor(a)))


def test_softmax_is_stable_for_large_inputs():
    check(lambda t, a: a.softmax(-1), np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 5.0]], np.float32))
    check(lambda t, a: a.log_softmax(-1), np.array([[1000.0, 1001.0, 999.0], [-1000.0, 0.0, 5.0]], np.float32))


def test_float64_reductions():
    check(lambda t, a: (a.std(0) + a.var(1).sum() + a.logsumexp(0)).sum(), rand(4, 3, dtype=np.float64, seed=7))


def test_std_of_one_element_is_nan_like_torch():
    assert np.isnan(K.tensor([1.0]).std().item())
    assert K.tensor([1.0]).std(unbiased=False).item() == 0


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data(),
       st.sampled_from(["sum", "mean", "amax", "std", "logsumexp", "softmax", "cumsum", "prod"]), st.booleans())
def test_reduction_property_random_shapes_and_dims(shape, data, name, keepdim):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    if name == "std" and shape[dim % len(shape)] == 1:
        return
    fns = {
        "sum": lambda t, a: a.sum(dim, keepdim=keepdim), "mean": lambda t, a: a.mean(dim, keepdim=keepdim),
        "amax": lambda t, a: a.amax(dim, keepdim=keepdim), "std": lambda t, a: a.std(dim, keepdim=keepdim),
        "logsumexp": lambda t, a: a.logsumexp(dim, keepdim=keepdim), "softmax": lambda t, a: a.softmax(dim),
        "cumsum": lambda t, a: a.cumsum(dim), "prod": lambda t, a: a.prod(dim, keepdim=keepdim),
    }
    check(fns[name], rand(*shape, seed=len(shape)))
