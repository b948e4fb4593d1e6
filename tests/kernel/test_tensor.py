"""Tensor attributes, conversions, creation functions and repr against PyTorch."""

import numpy as np
import pytest

from tests.kernel.parity import K, T, assert_close

REPR_ARRAYS = {
    "signed_2d": np.array([[0.4609, 1.5785], [-1.6188, -2.0453]], np.float32),
    "zeros": np.zeros(3, np.float32), "nan_inf": np.array([1.0, np.nan, np.inf, -np.inf], np.float32),
    "scalar": np.array(3.5, np.float32), "int_scalar": np.array(2, np.int64), "bool": np.array([True, False]),
    "tiny": np.array([[1e-5, 2e-6], [3e-5, -4e-7]], np.float32), "big_range": np.array([1e9, 1.0], np.float32),
    "int_valued_floats": np.array([12345.0, 1.0, -3.0], np.float32), "float64": np.array([1.5, 100000.0], np.float64),
    "empty_2d": np.zeros((0, 3), np.float32), "empty_int": np.zeros(0, np.int64), "int32": np.arange(12, dtype=np.int32).reshape(3, 4),
    "long_row": np.arange(30, dtype=np.int64), "neg_zero": np.array([-0.0, 1.0], np.float32),
}
_rng = np.random.default_rng(0)
REPR_ARRAYS.update({
    "wrapped_rows": _rng.standard_normal((3, 25)).astype(np.float32),
    "summarised_1d": _rng.standard_normal(2000).astype(np.float32),
    "summarised_2d": _rng.standard_normal((40, 40)).astype(np.float32),
    "3d": _rng.standard_normal((2, 3, 4)).astype(np.float32),
    "4d": _rng.standard_normal((2, 2, 2, 3)).astype(np.float32),
    "large_values": (_rng.standard_normal((4, 6)) * 1000).astype(np.float32),
})


@pytest.mark.parametrize("name", sorted(REPR_ARRAYS))
def test_repr_matches_torch(name):
    a = REPR_ARRAYS[name]
    assert repr(K.tensor(a)) == repr(T.tensor(a))
    assert str(K.tensor(a)) == str(T.tensor(a))


def test_repr_of_the_issue_example_aligns_signed_values():
    text = repr(K.tensor([[0.4609, 1.5785], [-1.6188, -2.0453]]))
    assert text == "tensor([[ 0.4609,  1.5785],\n        [-1.6188, -2.0453]])"


def test_repr_suffixes_requires_grad_grad_fn_and_dtype():
    a = REPR_ARRAYS["signed_2d"]
    k, t = K.tensor(a, requires_grad=True), T.tensor(a, requires_grad=True)
    assert repr(k) == repr(t)
    assert repr(k * 2) == repr(t * 2)
    assert repr(k.sum()) == repr(t.sum())
    wide = _rng.standard_normal((3, 9)).astype(np.float64)
    assert repr(K.tensor(wide, requires_grad=True)) == repr(T.tensor(wide, requires_grad=True))


def test_set_printoptions_precision():
    a = REPR_ARRAYS["signed_2d"]
    try:
        K.set_printoptions(precision=2)
        T.set_printoptions(precision=2)
        assert repr(K.tensor(a)) == repr(T.tensor(a))
    finally:
        K.set_printoptions(profile="default")
        T.set_printoptions(profile="default")


def test_attributes():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    k, t = K.tensor(a), T.tensor(a)
    assert k.shape == t.shape and k.size() == t.size() and k.size(1) == t.size(1) and k.dim() == t.dim() == k.ndim
    assert k.numel() == t.numel() and str(k.dtype) == str(t.dtype) and str(k.device) == str(t.device) == "cpu"
    assert k.is_leaf and k.grad_fn is None and not k.requires_grad and k.is_floating_point()
    assert_close(k[0].T, t[0].T)
    assert k.stride() == t.stride() and k[0].t().stride() == t[0].t().stride()
    assert k.is_contiguous() and not k[0].t().is_contiguous()


def test_conversions():
    k = K.tensor([[1.5, -2.0], [3.0, 4.0]])
    assert k.tolist() == [[1.5, -2.0], [3.0, 4.0]] and k[0, 0].item() == 1.5 and isinstance(k.sum().item(), float)
    assert k.long().dtype == K.int64 and k.int().dtype == K.int32 and k.bool().dtype == K.bool and k.double().dtype == K.float64
    assert k.to(K.float64).dtype == K.float64 and k.to("cpu") is k and k.cpu() is k and k.float() is k
    assert k.to(K.long).tolist() == [[1, -2], [3, 4]] and k.type(K.int64).dtype == K.int64 and k.type() == "torch.FloatTensor"
    n = k.numpy()
    n[0, 0] = 9
    assert k[0, 0].item() == 9  # numpy() shares memory, as in PyTorch
    c = k.clone()
    c[0, 0] = 0
    assert k[0, 0].item() == 9
    x = K.ones(2, requires_grad=True)
    assert x.detach().numpy().tolist() == [1.0, 1.0] and K.tensor(3).item() == 3 and int(K.tensor([7])) == 7
    assert float(K.tensor(2.5)) == 2.5 and K.tensor([4])[0].__index__() == 4 and len(K.zeros(5, 2)) == 5


def test_device_and_cuda():
    assert not K.cuda.is_available() and K.cuda.device_count() == 0
    d = K.device("cuda" if K.cuda.is_available() else "cpu")
    assert str(d) == "cpu" and repr(d) == repr(T.device("cpu")) and K.zeros(2, device=d).device == d
    assert K.device("cuda:1").index == 1 and str(K.device("cuda", 0)) == "cuda:0"


CREATION = {
    "zeros": lambda t: t.zeros(2, 3), "zeros_tuple": lambda t: t.zeros((2, 3), dtype=t.int64), "ones": lambda t: t.ones(4),
    "full": lambda t: t.full((2, 2), 7.0), "full_int": lambda t: t.full((2,), 3), "full_bool": lambda t: t.full((2,), True),
    "eye": lambda t: t.eye(3), "eye_rect": lambda t: t.eye(2, 4), "arange": lambda t: t.arange(5),
    "arange_float": lambda t: t.arange(0, 1, 0.25), "arange_step": lambda t: t.arange(1, 10, 3),
    "linspace": lambda t: t.linspace(0, 1, 5), "linspace_neg": lambda t: t.linspace(-2, 2, steps=9),
    "tensor_int": lambda t: t.tensor([1, 2]), "tensor_float": lambda t: t.tensor([1, 2.5]), "tensor_bool": lambda t: t.tensor([True]),
    "tensor_nested": lambda t: t.tensor([[1, 2], [3, 4]], dtype=t.float32), "tensor_scalar": lambda t: t.tensor(3.0),
    "as_tensor_list": lambda t: t.as_tensor([1.0, 2.0]), "from_numpy64": lambda t: t.from_numpy(np.arange(3.0)),
    "from_numpy32": lambda t: t.from_numpy(np.arange(3, dtype=np.int32)), "tensor_numpy": lambda t: t.tensor(np.ones(2)),
    "zeros_like": lambda t: t.zeros_like(t.ones(2, 3, dtype=t.int32)), "ones_like": lambda t: t.ones_like(t.zeros(3)),
    "full_like": lambda t: t.full_like(t.zeros(2), 4.0), "empty_shape": lambda t: t.empty(2, 3).zero_(),
    "tensor_of_tensors": lambda t: t.tensor([t.tensor(1.0), t.tensor(2.0)]), "int_div": lambda t: t.tensor([1, 2]) / 2,
    "new_zeros": lambda t: t.ones(2, dtype=t.float64).new_zeros(3), "new_tensor": lambda t: t.ones(1).new_tensor([1, 2]),
}


@pytest.mark.parametrize("name", sorted(CREATION))
def test_creation(name):
    assert_close(CREATION[name](K), CREATION[name](T))


def test_random_creation_shapes_dtypes_and_seed():
    K.manual_seed(0)
    a = K.rand(3, 4)
    K.manual_seed(0)
    assert K.equal(a, K.rand(3, 4)) and a.dtype == K.float32 and (a >= 0).all() and (a < 1).all()
    assert K.randn(2, 3, dtype=K.float64).dtype == K.float64 and K.randn(1000).std().item() == pytest.approx(1, abs=0.1)
    r = K.randint(0, 5, (100,))
    assert r.dtype == K.int64 and r.min() >= 0 and r.max() < 5
    assert sorted(K.randperm(10).tolist()) == list(range(10))
    assert K.randint(3, (2, 2)).shape == (2, 2) and K.rand_like(K.zeros(2, 2)).shape == (2, 2)
    w = K.empty(200, 3).uniform_(-2, 2)
    assert float(w.min()) >= -2 and float(w.max()) <= 2
    n = K.empty(5000).normal_(1.0, 0.5)
    assert float(n.mean()) == pytest.approx(1.0, abs=0.05) and float(n.std()) == pytest.approx(0.5, abs=0.05)


def test_is_tensor_numel_and_size_type():
    assert K.is_tensor(K.ones(1)) and not K.is_tensor([1]) and K.numel(K.ones(2, 3)) == 6
    assert repr(K.Size([2, 3])) == repr(T.Size([2, 3])) and K.Size([2, 3]) == (2, 3)


LEGACY = ["t.Tensor([1, 2])", "t.Tensor([[1.5], [2]])", "t.FloatTensor([1, 2])", "t.LongTensor([1, 2])",
          "t.DoubleTensor([1, 2])", "t.IntTensor([3])", "t.BoolTensor([1, 0])", "t.Tensor(np.arange(3))"]


@pytest.mark.parametrize("expr", LEGACY)
def test_legacy_constructors(expr):
    assert_close(eval(expr, {"t": K, "np": np}), eval(expr, {"t": T, "np": np}))


def test_legacy_constructor_with_sizes():
    for expr in ("t.Tensor(2, 3)", "t.Tensor()", "t.DoubleTensor(4)", "t.Tensor(t.Size([2, 2]))"):
        k, t = eval(expr, {"t": K}), eval(expr, {"t": T})
        assert k.shape == t.shape and str(k.dtype) == str(t.dtype), expr
    assert isinstance(K.ones(1), K.Tensor) and isinstance(K.ones(1), K.FloatTensor)
