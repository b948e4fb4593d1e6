"""APIs tutorials use, against real PyTorch: Variable, default device/dtype, torch.functional,
index_add/copy/fill, bitwise ops, arc* aliases, in-place unary and view ops, cross, unique, dist."""

import warnings

import numpy as np
import pytest
import torch as T

from tests.kernel.opcheck import check, ints, rand
from tests.kernel.parity import K, assert_close, same_error

IDX = np.array([0, 2, 2])


# ---- index_add / index_copy / index_fill ------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_add_values_and_gradients(dim):
    src_shape = (3, 4) if dim == 0 else (4, 3)
    check(lambda t, a, s: t.index_add(a, dim, t.tensor(IDX), s), rand(4, 4, seed=1), rand(*src_shape, seed=2))
    check(lambda t, a, s: a.index_add(dim, t.tensor(IDX), s, alpha=-2.5), rand(4, 4, seed=1), rand(*src_shape, seed=2))


def test_index_copy_and_fill_values_and_gradients():
    idx = np.array([3, 0])
    check(lambda t, a, s: t.index_copy(a, 1, t.tensor(idx), s), rand(2, 4, seed=3), rand(2, 2, seed=4))
    check(lambda t, a: a.index_fill(1, t.tensor(idx), -1.5), rand(2, 4, seed=3))
    check(lambda t, a, v: a.index_fill(0, t.tensor([1]), v), rand(2, 4, seed=3), rand(seed=5))


def test_index_in_place_forms_update_the_tensor():
    for lib in (K, T):
        x = lib.zeros(3, 4)
        r = x.index_add_(1, lib.tensor([0, 0, 3]), lib.ones(3, 3))
        assert r is x
        x.index_copy_(0, lib.tensor([2]), lib.full((1, 4), 7.0)).index_fill_(1, lib.tensor([1]), -1)
        if lib is K:
            k = x
        else:
            assert_close(k, x)
    check(lambda t, a, s: (a * 1).index_add_(0, t.tensor([1, 1]), s), rand(3, 2, seed=6), rand(2, 2, seed=7))
    check(lambda t, a: (a * 1).index_fill_(0, t.tensor([2]), 0.5), rand(3, 2, seed=6))


@pytest.mark.parametrize("case", [
    lambda t, x: x.index_add(1, t.tensor([0, 5]), t.ones(3, 2)),
    lambda t, x: x.index_add(1, t.tensor([0.0, 1.0]), t.ones(3, 2)),
    lambda t, x: x.index_add(1, t.tensor([0, 1]), t.ones(3, 3)),
    lambda t, x: x.index_add(1, t.tensor([[0, 1]]), t.ones(3, 2)),
    lambda t, x: x.index_add(1, t.tensor([0, 1]), t.ones(3, 2, dtype=t.float64)),
    lambda t, x: x.index_add(1, t.tensor([-1, 1]), t.ones(3, 2)),
    lambda t, x: x.index_copy(1, t.tensor([0, 5]), t.ones(3, 2)),
    lambda t, x: x.index_copy(1, t.tensor([0, 1]), t.ones(3, 3)),
    lambda t, x: x.index_fill(1, t.tensor([0, 5]), 2.0),
    lambda t, x: x.index_fill(1, t.tensor([0, 1]), t.ones(2)),
    lambda t, x: t.ones(2, requires_grad=True).index_fill_(0, t.tensor([0]), 1.0),
])
def test_index_update_errors(case):
    same_error(lambda: case(K, K.zeros(3, 4)), lambda: case(T, T.zeros(3, 4)))


# ---- bitwise and logical -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"])
def test_bitwise_ops(name):
    a, b = ints(3, 4, high=64, seed=1) - 20, ints(4, high=4, seed=2)
    for other in (b, 3):
        k = getattr(K, name)(K.tensor(a), K.tensor(other) if isinstance(other, np.ndarray) else other)
        t = getattr(T, name)(T.tensor(a), T.tensor(other) if isinstance(other, np.ndarray) else other)
        assert_close(k, t)
        assert_close(getattr(K.tensor(a), name)(K.tensor(b)), getattr(T.tensor(a), name)(T.tensor(b)))
    masks = (np.array([True, False, True]), np.array([True, True, False]))
    if name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        assert_close(getattr(K, name)(*map(K.tensor, masks)), getattr(T, name)(*map(T.tensor, masks)))


def test_shift_operators_and_in_place_bitwise():
    for lib in (K, T):
        x = lib.tensor([1, 2, -8])
        y = (x << 2, x >> 1, 1 << lib.tensor([0, 3]))
        x.bitwise_and_(lib.tensor([3, 3, 3]))
        x |= lib.tensor([4, 0, 0])
        if lib is K:
            kk = (x, *y)
        else:
            for k, t in zip(kk, (x, *y)):
                assert_close(k, t)


@pytest.mark.parametrize("case", [
    lambda t: t.bitwise_and(t.ones(2), t.ones(2)),
    lambda t: t.bitwise_left_shift(t.ones(2), 1),
    lambda t: t.bitwise_xor(t.tensor([1, 2]), 1.5),
])
def test_bitwise_refuses_floats_as_torch(case):
    same_error(lambda: case(K), lambda: case(T))


def test_logical_in_place_keeps_dtype():
    for lib in (K, T):
        x = lib.tensor([0.0, 2.0, -1.0])
        x.logical_not_()
        y = lib.tensor([1, 0, 3]).logical_and_(lib.tensor([1, 1, 0]))
        if lib is K:
            kx, ky = x, y
    assert_close(kx, x)
    assert_close(ky, y)


# ---- aliases, in-place unary and view ops ----------------------------------------------------------
@pytest.mark.parametrize("name", ["arcsin", "arccos", "arctan", "asinh", "arcsinh", "atanh", "arctanh"])
def test_arc_aliases(name):
    a = rand(3, 4, seed=2) * 0.4
    check(lambda t, x: getattr(t, name)(x), a)
    check(lambda t, x: getattr(x, name)(), a)
    # PyTorch has no derivative for the in-place inverse-hyperbolic forms; their values still match
    check(lambda t, x: getattr(x * 1, name + "_")(), a, grad=not name.endswith("h"))
    check(lambda t, x: t.acosh(x), np.abs(a) + 1.5)


@pytest.mark.parametrize("name", ["asin", "acos", "atan", "tan", "sinh", "cosh", "log2", "log10", "erf"])
def test_in_place_unary(name):
    a = np.abs(rand(2, 3, seed=4)) * 0.2 + 0.1
    out = check(lambda t, x: getattr(x * 2, name + "_")(), a)
    assert out[0].grad_fn.name() == f"{name.capitalize()}Backward0"
    same_error(lambda: getattr(K.ones(2, requires_grad=True), name + "_")(),
               lambda: getattr(T.ones(2, requires_grad=True), name + "_")())


def test_in_place_view_ops():
    check(lambda t, x: (x * 2).unsqueeze_(1), rand(2, 3, seed=1))
    check(lambda t, x: (x * 2).unsqueeze_(-1).squeeze_(), rand(2, 3, seed=1))
    check(lambda t, x: (x * 2).squeeze_(0), rand(1, 3, seed=1))
    check(lambda t, x: (x * 2).t_(), rand(2, 3, seed=1))
    check(lambda t, x: (x * 2).transpose_(0, 2), rand(2, 3, 4, seed=1))
    for lib in (K, T):
        x = lib.arange(6.0).reshape(2, 3)
        assert x.unsqueeze_(0) is x and tuple(x.shape) == (1, 2, 3)
        x.squeeze_().t_()
        if lib is K:
            kx = x
    assert_close(kx, x)
    k = (K.ones(2, requires_grad=True) * 2).unsqueeze_(0)
    t = (T.ones(2, requires_grad=True) * 2).unsqueeze_(0)
    assert k.grad_fn.name() == type(t.grad_fn).__name__


@pytest.mark.parametrize("case", [
    lambda t: t.ones(3, requires_grad=True).unsqueeze_(0),
    lambda t: t.ones(2, 2, 2).t_(),
    lambda t: t.tensor([1, 2]).unsqueeze_(5),
])
def test_in_place_view_errors(case):
    same_error(lambda: case(K), lambda: case(T))


# ---- cross, unique, dist, torch.functional ---------------------------------------------------
def test_cross():
    check(lambda t, a, b: t.cross(a, b, dim=1), rand(4, 3, seed=1), rand(4, 3, seed=2))
    check(lambda t, a, b: t.linalg.cross(a, b), rand(2, 4, 3, seed=1), rand(1, 4, 3, seed=2))
    same_error(lambda: K.linalg.cross(K.ones(2, 3), K.ones(3)), lambda: T.linalg.cross(T.ones(2, 3), T.ones(3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda t, a, b: t.cross(a, b), rand(3, 4, seed=1), rand(3, 4, seed=2))
        same_error(lambda: K.cross(K.ones(2, 2), K.ones(2, 2)), lambda: T.cross(T.ones(2, 2), T.ones(2, 2)))
    same_error(lambda: K.linalg.cross(K.ones(2, 2), K.ones(2, 2)), lambda: T.linalg.cross(T.ones(2, 2), T.ones(2, 2)))


def test_unique():
    a = ints(4, 5, high=6, seed=3)
    for kwargs in ({}, {"return_inverse": True}, {"return_counts": True},
                   {"return_inverse": True, "return_counts": True}, {"dim": 0, "return_inverse": True}):
        k, t = K.unique(K.tensor(a), **kwargs), T.unique(T.tensor(a), **kwargs)
        for kk, tt in zip(k if isinstance(k, tuple) else (k,), t if isinstance(t, tuple) else (t,)):
            assert_close(kk, tt)
    k = K.tensor([1, 1, 2, 2, 3, 1]).unique_consecutive(return_inverse=True, return_counts=True)
    t = T.tensor([1, 1, 2, 2, 3, 1]).unique_consecutive(return_inverse=True, return_counts=True)
    for kk, tt in zip(k, t):
        assert_close(kk, tt)
    assert_close(K.tensor([3.0, 1.0, 3.0]).unique(), T.tensor([3.0, 1.0, 3.0]).unique())


@pytest.mark.parametrize("p", [2, 1, 3, float("inf"), 0])
def test_dist(p):
    check(lambda t, a, b: t.dist(a, b, p), rand(3, 4, seed=1), rand(4, seed=2), grad=p != 0)
    check(lambda t, a, b: a.dist(b, p=p), rand(3, 4, seed=1), rand(3, 4, seed=5), grad=p != 0)


def test_torch_functional_module():
    import torchpad.kernel.functional as kf

    assert kf.einsum is K.einsum and kf.split is K.split and kf.norm is K.norm and kf.unique is K.unique
    for name in kf.__all__:
        assert hasattr(T.functional, name)
    check(lambda t, a: t.functional.einsum("ij,j->i", a, a[0]), rand(3, 3, seed=1))


# ---- Variable, default device and dtype ------------------------------------------------------
def test_variable_is_the_old_wrapper():
    from torchpad.kernel.autograd import Variable as KV
    from torch.autograd import Variable as TV

    for lib, V in ((K, KV), (T, TV)):
        x = lib.ones(2)
        v = V(x, requires_grad=True)
        assert v.is_leaf and v.requires_grad and not x.requires_grad and isinstance(x, V) and type(v) is lib.Tensor
        v.data[0] = 5
        assert x[0].item() == 5.0
        (v * 3).sum().backward()
        assert v.grad.tolist() == [3.0, 3.0]
        w = V(lib.ones(2, requires_grad=True) * 2)
        assert not w.requires_grad and w.is_leaf
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            V(x, volatile=True)
        assert [str(c.message) for c in caught] == ["volatile was removed and now has no effect. Use `with torch.no_grad():` instead."]
    same_error(lambda: KV([1, 2]), lambda: TV([1, 2]))


def test_default_device_and_device_context():
    for lib in (K, T):
        lib.set_default_device("cpu")
        assert lib.get_default_device() == lib.device("cpu")
        with lib.device("cpu") as d:
            assert str(d) == "cpu" and lib.ones(2).device == lib.device("cpu")
        lib.set_default_device(None)
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        K.set_default_device("cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        with K.device("cuda"):
            pass
    assert K.get_default_device() == K.device("cpu")


def test_set_default_dtype():
    try:
        for lib in (K, T):
            lib.set_default_dtype(lib.float64)
            assert lib.get_default_dtype() == lib.float64
            assert lib.tensor([1.0]).dtype == lib.float64 and lib.zeros(2).dtype == lib.float64
            assert lib.nn.Linear(2, 2).weight.dtype == lib.float64 and lib.arange(0.0, 2).dtype == lib.float64
    finally:
        K.set_default_dtype(K.float32)
        T.set_default_dtype(T.float32)
    same_error(lambda: K.set_default_dtype(K.int64), lambda: T.set_default_dtype(T.int64))


def test_default_device_meta_round_trip():
    """device='meta' itself is tested in test_meta.py; here the default device returns to the CPU."""
    for lib in (K, T):
        lib.set_default_device("meta")
        try:
            assert lib.get_default_device() == lib.device("meta") and lib.ones(2).is_meta
        finally:
            lib.set_default_device(None)
        assert lib.get_default_device() == lib.device("cpu") and not lib.ones(2).is_meta
