"""Autograd semantics against PyTorch: accumulation, backward(gradient=...), retain_graph,
autograd.grad, retain_grad, grad modes, custom Functions, deep graphs without recursion."""

import warnings

import numpy as np
import pytest

from tests.kernel.opcheck import check, rand
from tests.kernel.parity import K, T, assert_close


def _both(fn):
    return fn(K), fn(T)


def test_gradients_accumulate_across_backward_calls():
    def run(t):
        x = t.tensor(rand(3, seed=1), requires_grad=True)
        (x * x).sum().backward()
        (x * 3).sum().backward()
        return x.grad

    assert_close(*_both(run))


def test_grad_zeroing_and_set_to_none():
    x = K.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x.grad = None
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_backward_with_gradient_argument():
    def run(t):
        x = t.tensor(rand(2, 3, seed=2), requires_grad=True)
        y = x.exp() * 2
        y.backward(gradient=t.tensor(rand(2, 3, seed=3)))
        return x.grad

    assert_close(*_both(run))


def test_retain_graph_allows_second_backward():
    def run(t):
        x = t.tensor(rand(3, seed=4), requires_grad=True)
        y = (x.tanh() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    assert_close(*_both(run))


def test_shared_subgraph_and_diamond():
    def f(t, x):
        h = x.sigmoid()
        return h * h.exp() + h.sum() * x

    check(f, rand(4, seed=5))


def test_autograd_grad_returns_without_accumulating():
    def run(t):
        x = t.tensor(rand(3, seed=6), requires_grad=True)
        w = t.tensor(rand(3, seed=7), requires_grad=True)
        y = (x * w).sin().sum()
        gx, gw = t.autograd.grad(y, [x, w])
        assert x.grad is None and w.grad is None
        return gx, gw

    (kx, kw), (tx, tw) = _both(run)
    assert_close(kx, tx)
    assert_close(kw, tw)


def test_autograd_grad_of_intermediate_and_allow_unused():
    def run(t):
        x = t.tensor(rand(3, seed=8), requires_grad=True)
        unused = t.ones(2, requires_grad=True)
        h = x * 2
        y = (h ** 2).sum()
        gh, gu = t.autograd.grad(y, (h, unused), allow_unused=True)
        assert gu is None
        return gh

    assert_close(*_both(run))


def test_retain_grad_on_non_leaf():
    def run(t):
        x = t.tensor(rand(3, seed=9), requires_grad=True)
        h = x * 3
        h.retain_grad()
        (h * h).sum().backward()
        return h.grad

    assert_close(*_both(run))


def test_non_leaf_grad_access_warns_like_torch():
    x = K.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert (x * 2).grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None


def test_no_grad_enable_grad_and_set_grad_enabled():
    x = K.ones(2, requires_grad=True)
    with K.no_grad():
        y = x * 2
        with K.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad
    with K.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert K.is_grad_enabled()

    @K.no_grad()
    def f():
        return x * 2

    @K.set_grad_enabled(False)
    def g():
        return x * 2

    @K.enable_grad()
    def h():
        return x * 2

    assert not f().requires_grad and not g().requires_grad and K.is_grad_enabled()
    with K.no_grad():
        assert h().requires_grad
    K.set_grad_enabled(False)
    assert not K.is_grad_enabled()
    K.set_grad_enabled(True)
    with K.inference_mode():
        assert not (x * 2).requires_grad


def test_inplace_updates_under_no_grad_like_an_optimizer_step():
    def run(t):
        w = t.tensor(rand(3, seed=10), requires_grad=True)
        for _ in range(3):
            loss = ((w * 2 - 1) ** 2).sum()
            loss.backward()
            with t.no_grad():
                w -= 0.1 * w.grad
                w.grad.zero_()
        return w

    assert_close(*_both(run))


def test_detach_and_data_break_the_graph():
    x = K.ones(2, requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert not x.data.requires_grad
    y = x * 2
    assert y.grad_fn.name() == "MulBackward0" and not y.is_leaf and x.is_leaf


def test_custom_function_with_ctx_save_for_backward():
    def make(t):
        class MyExp(t.autograd.Function):
            @staticmethod
            def forward(ctx, i):
                result = i.exp()
                ctx.save_for_backward(result)
                return result

            @staticmethod
            def backward(ctx, grad_output):
                (result,) = ctx.saved_tensors
                return grad_output * result

        class LegendrePolynomial3(t.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                (input,) = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

        return MyExp, LegendrePolynomial3

    def f(t, x, w):
        my_exp, p3 = make(t)
        return p3.apply(my_exp.apply(x) * w)

    check(f, rand(3, 4, seed=11), rand(4, seed=12))


def test_deep_graph_does_not_recurse():
    x = K.ones(1, requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001 ** 20000, rtol=1e-3)


def test_leaf_backward_and_mixed_dtype_graph():
    def f(t, x):
        return (x.double() * 2).sum().float() + x.sum()

    check(f, rand(3, seed=13))
    x = K.ones(3, requires_grad=True)
    x.sum().backward()
    assert x.grad.dtype == K.float32


def test_inplace_ops_in_graph_keep_earlier_uses_intact():
    def f(t, x):
        y = x * 2
        z = y * 3
        y.add_(1)
        y.mul_(x)
        return z + y

    check(f, rand(3, seed=14))


GRAD_FN_EXPRS = [
    "x + y", "x - y", "1 - x", "x * 2", "x / y", "2 / x", "x ** 2", "x ** y", "2 ** x", "-x", "x.exp()", "x.relu()",
    "x.sigmoid()", "x.clamp(0, 1)", "t.where(x > 0, x, y)", "x.sum()", "x.sum(0)", "x.mean()", "x.mean(1)", "x.std()",
    "x.var(0)", "x.max()", "x.max(1).values", "x.amax(1)", "x.softmax(1)", "x.log_softmax(1)", "x.logsumexp(1)",
    "x @ y", "x @ y[0]", "x[None] @ y", "t.bmm(x[None], y[None])", "x.view(-1)", "x.reshape(9)", "x.flatten()",
    "x.squeeze()", "x.unsqueeze(0)", "x.permute(1, 0)", "x.t()", "x.transpose(0, 1)", "x.expand(2, 3, 3)",
    "x.repeat(2, 1)", "t.cat([x, y])", "t.stack([x, y])", "x.split(1)[0]", "x.chunk(3)[0]", "x.unbind()[0]", "x[0]",
    "x[:, 1:]", "x[[0, 1]]", "x[x > 0]", "x[None]", "x.gather(1, t.tensor([[0], [1], [2]]))",
    "x.index_select(0, t.tensor([0]))", "x.masked_fill(x > 0, 0.0)", "x.clone()", "x.double()", "x.norm()",
    "x.sort(0).values", "x.topk(2).values", "x.floor()", "x.tril()", "x.median()", "x.cumsum(0)", "x.prod()",
]


def test_grad_fn_names_match_torch_before_and_after_backward():
    a = rand(3, 3, seed=15)
    for expr in GRAD_FN_EXPRS:
        names = []
        for t in (K, T):
            x, y = t.tensor(a, requires_grad=True), t.tensor(a + 1, requires_grad=True)
            out = eval(expr, {"t": t, "x": x, "y": y})
            names.append(out.grad_fn.name())
            out.sum().backward()
            names.append(out.grad_fn.name())
        assert names[:2] == names[2:], expr
    x = K.ones(2, requires_grad=True)
    loss = (x * 3).sum()
    loss.backward()
    assert repr(loss) == repr((T.ones(2, requires_grad=True) * 3).sum())
