"""Elementwise ops against PyTorch: values, gradients, broadcasting, scalars, dtypes, in-place."""

import numpy as np
import pytest
import torch as T
from hypothesis import given, settings, strategies as st

from tests.kernel.opcheck import NC, check, ints, rand
from tests.kernel.parity import K, assert_close

BINARY = {
    "add": lambda t, a, b: a + b,
    "sub": lambda t, a, b: a - b,
    "mul": lambda t, a, b: a * b,
    "div": lambda t, a, b: a / b,
    "pow": lambda t, a, b: a.abs() ** b,
    "maximum": lambda t, a, b: t.maximum(a, b),
    "minimum": lambda t, a, b: t.minimum(a, b),
    "add_alpha": lambda t, a, b: t.add(a, b, alpha=2.5),
    "sub_alpha": lambda t, a, b: t.sub(a, b, alpha=0.5),
    "atan2": lambda t, a, b: t.atan2(a, b),
    "remainder": lambda t, a, b: t.remainder(a, b + 3),
}

SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((1,), (2, 3)), ((), (2, 3))]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_broadcasting(name, shapes):
    check(BINARY[name], rand(*shapes[0], seed=1), rand(*shapes[1], seed=2))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum"])
def test_binary_non_contiguous(name):
    check(BINARY[name], NC(rand(3, 4, seed=1)), rand(3, 4, seed=2))


SCALAR = {
    "radd": lambda t, a: 2 + a, "rsub": lambda t, a: 2 - a, "rmul": lambda t, a: 3 * a, "rdiv": lambda t, a: 1.5 / a,
    "rpow": lambda t, a: 2 ** a, "pow_s": lambda t, a: a ** 3, "pow_half": lambda t, a: a.abs() ** 0.5,
    "sub_s": lambda t, a: a - 1.5, "div_s": lambda t, a: a / 4, "neg": lambda t, a: -a, "pos": lambda t, a: +a,
    "mod": lambda t, a: a % 0.7,
}


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_scalar_and_reflected(name):
    check(SCALAR[name], rand(3, 4, seed=3))


UNARY = {
    "exp": lambda t, a: t.exp(a), "log": lambda t, a: t.log(a.abs() + 0.1), "log1p": lambda t, a: a.abs().log1p(),
    "log2": lambda t, a: (a.abs() + 0.1).log2(), "log10": lambda t, a: (a.abs() + 0.1).log10(),
    "sqrt": lambda t, a: (a.abs() + 0.1).sqrt(), "rsqrt": lambda t, a: (a.abs() + 0.1).rsqrt(),
    "sin": lambda t, a: t.sin(a), "cos": lambda t, a: a.cos(), "tan": lambda t, a: a.tan(), "tanh": lambda t, a: a.tanh(),
    "sigmoid": lambda t, a: a.sigmoid(), "relu": lambda t, a: t.relu(a), "abs": lambda t, a: a.abs(),
    "square": lambda t, a: a.square(), "reciprocal": lambda t, a: (a.abs() + 0.5).reciprocal(),
    "expm1": lambda t, a: a.expm1(), "erf": lambda t, a: t.erf(a), "sinh": lambda t, a: a.sinh(),
    "cosh": lambda t, a: a.cosh(), "atan": lambda t, a: a.atan(), "asin": lambda t, a: (a * 0.3).asin(),
    "acos": lambda t, a: (a * 0.3).acos(), "clamp": lambda t, a: a.clamp(-0.5, 0.5), "clamp_min": lambda t, a: a.clamp(min=0),
    "clip_max": lambda t, a: t.clip(a, max=0.2), "sign": lambda t, a: a.sign(), "floor": lambda t, a: a.floor(),
    "ceil": lambda t, a: a.ceil(), "round": lambda t, a: (a * 3).round(), "trunc": lambda t, a: (a * 3).trunc(),
    "lerp": lambda t, a: t.lerp(a, a * 2, 0.3),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    check(UNARY[name], rand(3, 5, seed=4))


def test_unary_non_contiguous():
    check(lambda t, a: a.exp() * a.tanh(), NC(rand(4, 3, seed=5)))


def test_sigmoid_saturates_without_overflow():
    check(lambda t, a: a.sigmoid(), np.array([-100.0, -20.0, 0.0, 20.0, 100.0], np.float32))


def test_clamp_with_tensor_bounds():
    check(lambda t, a, lo: a.clamp(min=lo), rand(3, 4, seed=6), rand(4, seed=7))


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_broadcast(op):
    a, b = rand(3, 4, seed=1).round(), rand(4, seed=2).round()
    k = getattr(K.tensor(a), op)(K.tensor(b))
    t = getattr(T.tensor(a), op)(T.tensor(b))
    assert_close(k, t)
    assert_close(K.tensor(a) > 0, T.tensor(a) > 0)


def test_logical_and_bitwise_ops():
    a, b = np.array([True, False, True]), np.array([True, True, False])
    for f in (lambda t, x, y: x & y, lambda t, x, y: x | y, lambda t, x, y: x ^ y, lambda t, x, y: ~x,
              lambda t, x, y: t.logical_and(x, y), lambda t, x, y: t.logical_not(x), lambda t, x, y: t.logical_or(x, y)):
        assert_close(f(K, K.tensor(a), K.tensor(b)), f(T, T.tensor(a), T.tensor(b)))


def test_where_tensors_and_scalars():
    c = rand(3, 4, seed=8) > 0
    check(lambda t, a, b: t.where(t.tensor(c), a, b), rand(3, 4, seed=1), rand(4, seed=2))
    check(lambda t, a: t.where(t.tensor(c), a, 0.0), rand(3, 4, seed=1))
    check(lambda t, a: t.where(t.tensor(c), 1.0, a), rand(3, 4, seed=1))
    check(lambda t, a: a.where(t.tensor(c), -a), rand(3, 4, seed=1))
    assert_close(K.where(K.tensor(c), 1.0, 0.0), T.where(T.tensor(c), 1.0, 0.0))
    assert_close(K.where(K.tensor(c), K.tensor(ints(3, 4)), 0.5), T.where(T.tensor(c), T.tensor(ints(3, 4)), 0.5))


PROMOTIONS = [
    (np.int64, 2.5), (np.int64, 2), (np.int32, np.int64), (np.int64, np.float32), (np.float32, np.float64), (np.bool_, 1),
    (np.bool_, np.int32), (np.float32, True), (np.int32, 1.0),
]


@pytest.mark.parametrize("left,right", PROMOTIONS, ids=str)
@pytest.mark.parametrize("op", ["add", "mul", "div", "sub"])
def test_type_promotion(left, right, op):
    a = (np.arange(6).reshape(2, 3) % 2).astype(left) if left is not np.bool_ else np.array([[True, False, True]] * 2)
    if isinstance(right, type):
        b = (np.arange(3) + 1).astype(right)
        kb, tb = K.tensor(b), T.tensor(b)
    else:
        kb = tb = right
    if op == "sub" and (left is np.bool_ or right is True):
        return
    k = getattr(K, op)(K.tensor(a), kb)
    t = getattr(T, op)(T.tensor(a), tb)
    assert_close(k, t)


def test_zero_dim_tensor_does_not_widen_dtype():
    assert_close(K.ones(3) * K.tensor(2.0, dtype=K.float64), T.ones(3) * T.tensor(2.0, dtype=T.float64))
    assert_close(K.ones(3, dtype=K.int32) + K.tensor(2), T.ones(3, dtype=T.int32) + T.tensor(2))
    assert_close(K.ones(3, dtype=K.int64) * K.tensor(2.5), T.ones(3, dtype=T.int64) * T.tensor(2.5))


def test_integer_floor_div_and_mod_follow_python_signs():
    a, b = np.array([7, -7, 7, -7]), np.array([2, 2, -2, -2])
    assert_close(K.tensor(a) // K.tensor(b), T.tensor(a) // T.tensor(b))
    assert_close(K.tensor(a) % K.tensor(b), T.tensor(a) % T.tensor(b))
    assert_close(K.tensor(a) / K.tensor(b), T.tensor(a) / T.tensor(b))


INPLACE = {
    "add_": lambda x: x.add_(2), "sub_": lambda x: x.sub_(1.5), "mul_": lambda x: x.mul_(3), "div_": lambda x: x.div_(2),
    "zero_": lambda x: x.zero_(), "fill_": lambda x: x.fill_(7), "clamp_": lambda x: x.clamp_(-0.2, 0.3),
    "iadd": lambda x: x.__iadd__(1), "imul": lambda x: x.__imul__(2), "pow_": lambda x: x.pow_(2),
    "exp_": lambda x: x.exp_(), "neg_": lambda x: x.neg_(), "abs_": lambda x: x.abs_(), "relu_": lambda x: x.relu_(),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_values(name):
    a = rand(3, 4, seed=9)
    k, t = K.tensor(a), T.tensor(a)
    rk, rt = INPLACE[name](k), INPLACE[name](t)
    assert rk is k and rt is t
    assert_close(k, t)


@pytest.mark.parametrize("name", ["add_", "mul_", "clamp_", "fill_", "zero_", "exp_"])
def test_inplace_on_a_view_writes_through(name):
    a = rand(4, 5, seed=10)
    k, t = K.tensor(a), T.tensor(a)
    INPLACE[name](k[1:3, ::2])
    INPLACE[name](t[1:3, ::2])
    INPLACE[name](k.t()[0])
    INPLACE[name](t.t()[0])
    assert_close(k, t)


def test_inplace_in_graph_gradients():
    def f(t, x):
        y = x * 2
        y.add_(1)
        y.mul_(x)
        y.clamp_(-1, 2)
        return y

    check(f, rand(3, 4, seed=11))


def test_inplace_copy_keeps_graph():
    def f(t, x, y):
        z = t.zeros(3, 4)
        z.copy_(x * y)
        return z

    check(f, rand(3, 4, seed=1), rand(4, seed=2))


def test_random_fills_on_views_write_into_the_base():
    w = K.zeros(4, 5)
    w[1].uniform_(-1, 1)
    w[:, 0].normal_(0, 1)
    assert (w[1].abs() > 0).all().item() and (w[:, 0].abs() > 0).all().item()
    assert (w[2:, 1:] == 0).all().item() and (w[0, 1:] == 0).all().item()
    assert float(w[1, 1:].abs().max()) <= 1


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=0, max_size=3), st.lists(st.integers(0, 1), min_size=0, max_size=3),
       st.sampled_from(["add", "mul", "sub", "maximum"]))
def test_broadcasting_property(shape, ones_mask, name):
    other = [1 if (i < len(ones_mask) and ones_mask[i]) else n for i, n in enumerate(shape)][1:]
    check(BINARY[name], rand(*shape, seed=1), rand(*other, seed=2))


def test_floor_divide_values():
    check(lambda t, a: a // 0.7, rand(3, 4, seed=3), grad=False)
    check(lambda t, a: 2.0 // (a.abs() + 0.5), rand(3, 4, seed=3), grad=False)


def test_numpy_scalars_promote_like_python_scalars():
    for s in (np.int64(1), np.float64(2.0), np.float32(2.0)):
        assert_close(K.ones(2, dtype=K.long) + s, T.ones(2, dtype=T.long) + s)
        assert_close(K.ones(2) * s, T.ones(2) * s)


def test_inplace_result_keeps_self_dtype():
    k, t = K.ones(2), T.ones(2)
    k.add_(K.ones(2, dtype=K.float64))
    t.add_(T.ones(2, dtype=T.float64))
    assert_close(k, t)
    from tests.kernel.parity import same_error

    same_error(lambda: K.ones(2, dtype=K.long).add_(1.5), lambda: T.ones(2, dtype=T.long).add_(1.5))


def test_relu_of_negatives_and_infinities_prints_and_equals_torch():
    import torch as T

    import torchpad.kernel as K

    values = [-1.0, -float("inf"), 0.0, 2.0, float("inf")]
    k, t = K.relu(K.tensor(values)), T.relu(T.tensor(values))
    assert repr(k) == repr(t)
    assert k.tolist() == t.tolist()
    for values in ([-1.0, float("nan"), 2.0], [float("inf"), -float("inf"), -3.0]):  # a NaN stays NaN; inf - inf sums to NaN
        k, t = K.relu(K.tensor(values)), T.relu(T.tensor(values))
        assert repr(k) == repr(t)
    xk, xt = K.tensor([-1.0, 2.0], requires_grad=True), T.tensor([-1.0, 2.0], requires_grad=True)
    K.relu(xk).backward(K.tensor([float("inf"), 1.0]))  # the gradient is selected, not multiplied: 0, not inf * 0
    T.relu(xt).backward(T.tensor([float("inf"), 1.0]))
    assert xk.grad.tolist() == xt.grad.tolist()


@pytest.mark.parametrize("create_graph", [False, True])
def test_relu_gradient_at_nan_zero_and_infinities(create_graph):
    """PyTorch passes the gradient where the input is not <= 0: a NaN passes it, zeros (either sign) and -inf do not."""
    values = [float("nan"), 0.0, -0.0, -float("inf"), float("inf"), -2.0, 3.0]
    xk, xt = K.tensor(values, requires_grad=True), T.tensor(values, requires_grad=True)
    g = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    (gk,) = K.autograd.grad(K.relu(xk), xk, K.tensor(g), create_graph=create_graph)
    (gt,) = T.autograd.grad(T.relu(xt), xt, T.tensor(g), create_graph=create_graph)
    assert gk.tolist() == gt.tolist()
    yk, yt = K.relu(K.tensor(values)), T.relu(T.tensor(values))
    np.testing.assert_array_equal(yk.numpy(), yt.numpy())
