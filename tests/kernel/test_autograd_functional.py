"""torch.autograd.functional, torch.func and gradcheck against real PyTorch (first order), and the
clear error where an op has no second-order formula (second order: test_double_backward.py)."""

import numpy as np
import pytest
import torch as T
import torch.autograd.functional as TAF
import torch.func as TF

import torchpad.kernel.autograd_functional as KAF
import torchpad.kernel.func as KF
from tests.kernel.opcheck import rand
from tests.kernel.parity import K, assert_close, same_error


def _each(k, t):
    if isinstance(t, (tuple, list)):
        assert isinstance(k, (tuple, list)) and len(k) == len(t)
        for a, b in zip(k, t):
            _each(a, b)
    else:
        assert_close(k, t)


FUNCS = {
    "square": (lambda lib, x: x ** 2 * 3, 1),
    "matvec": (lambda lib, x: lib.tanh(x.reshape(2, 3) @ lib.linspace(-1, 1, 3)), 1),
    "two_in": (lambda lib, a, b: (a * b).sum(), 2),
    "two_out": (lambda lib, a: (a.exp(), a.sum()), 1),
    "two_in_two_out": (lambda lib, a, b: (a * b, a.sin() + b.cos()), 2),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_jacobian_vjp_jvp(name):
    fn, n = FUNCS[name]
    arrays = [rand(6, seed=i) for i in range(n)]
    kin = tuple(K.tensor(a) for a in arrays)
    tin = tuple(T.tensor(a) for a in arrays)
    kin1 = kin if n > 1 else kin[0]
    tin1 = tin if n > 1 else tin[0]
    kf, tf = (lambda *x: fn(K, *x)), (lambda *x: fn(T, *x))
    _each(KAF.jacobian(kf, kin1), TAF.jacobian(tf, tin1))
    _each(KAF.jacobian(kf, kin), TAF.jacobian(tf, tin))
    tout = tf(*tin)
    touts = tout if isinstance(tout, tuple) else (tout,)
    vs_np = [np.random.default_rng(9).standard_normal(tuple(o.shape)).astype(np.float32) for o in touts]
    kv = tuple(K.tensor(v) for v in vs_np) if isinstance(tout, tuple) else K.tensor(vs_np[0])
    tv = tuple(T.tensor(v) for v in vs_np) if isinstance(tout, tuple) else T.tensor(vs_np[0])
    _each(KAF.vjp(kf, kin1, kv), TAF.vjp(tf, tin1, tv))
    tangents = [rand(6, seed=20 + i) for i in range(n)]
    kt = tuple(K.tensor(a) for a in tangents) if n > 1 else K.tensor(tangents[0])
    tt = tuple(T.tensor(a) for a in tangents) if n > 1 else T.tensor(tangents[0])
    _each(KAF.jvp(kf, kin1, kt), TAF.jvp(tf, tin1, tt))


def test_torch_autograd_functional_is_importable_and_inputs_are_untouched():
    import importlib

    from torchpad.kernel import alias

    with alias.aliased():
        mod = importlib.import_module("torch.autograd.functional")
        assert mod.jacobian is KAF.jacobian
    x = K.tensor([1.0, 2.0])
    KAF.jacobian(lambda a: a * 2, x)
    assert not x.requires_grad and x.grad is None


@pytest.mark.parametrize("case", [
    lambda af, lib: af.vjp(lambda a: a * 2, lib.ones(2)),
    lambda af, lib: af.jvp(lambda a: a * 2, lib.ones(2)),
    lambda af, lib: af.vjp(lambda a: a * 2, lib.ones(2), lib.ones(3)),
    lambda af, lib: af.jvp(lambda a: a * 2, lib.ones(2), lib.ones(3)),
    lambda af, lib: af.jvp(lambda a: a * 2, lib.ones(2), [1.0, 1.0]),
    lambda af, lib: af.vjp(lambda a: a * 2, (lib.ones(2), 1.0)),
    lambda af, lib: af.jacobian(lambda a: a, lib.ones(2), strategy="sideways"),
    lambda af, lib: af.jacobian(lambda a: a, lib.ones(2), strategy="forward-mode", vectorize=True, create_graph=True),
])
def test_functional_errors(case):
    same_error(lambda: case(KAF, K), lambda: case(TAF, T))


def test_second_order_needs_a_formula_for_every_op():
    """Second order works (tests/kernel/test_double_backward.py); an op without a double-backward formula
    names itself instead of returning something wrong."""
    x = K.tensor([[1.0, 2.0], [0.5, 3.0]], requires_grad=True)
    hsig = lambda a: K.nn.functional.hardsigmoid(a * a).sum()  # noqa: E731
    for call in (lambda: KAF.hessian(hsig, x),
                 lambda: KAF.hvp(hsig, x, K.ones(2, 2)),
                 lambda: KF.hessian(hsig)(x),
                 lambda: K.autograd.grad(hsig(x) ** 2, x, create_graph=True)):
        with pytest.raises(RuntimeError, match="double backward through HardsigmoidBackward0 is not supported"):
            call()


def test_func_grad_jacrev_jacfwd_vjp():
    f = lambda lib: (lambda x, y: (x.sin() * y).sum())  # noqa: E731
    a, b = rand(4, seed=1), rand(4, seed=2)
    ka, kb, ta, tb = K.tensor(a), K.tensor(b), T.tensor(a), T.tensor(b)
    _each(KF.grad(f(K))(ka, kb), TF.grad(f(T))(ta, tb))
    _each(KF.grad(f(K), argnums=(0, 1))(ka, kb), TF.grad(f(T), argnums=(0, 1))(ta, tb))
    _each(KF.grad_and_value(f(K), argnums=1)(ka, kb), TF.grad_and_value(f(T), argnums=1)(ta, tb))
    aux = lambda lib: (lambda x: ((x ** 2).sum(), x.mean()))  # noqa: E731
    _each(KF.grad(aux(K), has_aux=True)(ka), TF.grad(aux(T), has_aux=True)(ta))
    g = lambda lib: (lambda x, y: x.exp() * y)  # noqa: E731
    _each(KF.jacrev(g(K))(ka, kb), TF.jacrev(g(T))(ta, tb))
    _each(KF.jacfwd(g(K), argnums=1)(ka, kb), TF.jacfwd(g(T), argnums=1)(ta, tb))
    _each(KF.jacrev(g(K), argnums=(0, 1))(ka, kb), TF.jacrev(g(T), argnums=(0, 1))(ta, tb))
    kout, kfn = KF.vjp(lambda x: x.tanh(), ka)
    tout, tfn = TF.vjp(lambda x: x.tanh(), ta)
    _each(kout, tout)
    _each(kfn(K.tensor(b)), tfn(T.tensor(b)))
    _each(KF.jvp(lambda x: x.tanh(), (ka,), (kb,)), TF.jvp(lambda x: x.tanh(), (ta,), (tb,)))
    same_error(lambda: KF.grad(lambda x: x * 2)(ka), lambda: TF.grad(lambda x: x * 2)(ta))


def test_vmap_common_cases_and_gradients():
    x, w = rand(5, 3, seed=3), rand(3, 4, seed=4)
    for lib, F in ((K, KF), (T, TF)):
        xs, ws = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        per_row = F.vmap(lambda row, weight: (row @ weight).relu(), in_dims=(0, None))(xs, ws)
        cols = F.vmap(lambda col: col.sum(), in_dims=1)(xs)
        pair = F.vmap(lambda r: (r * 2, r.max()))(xs)
        moved = F.vmap(lambda r: r + 1, out_dims=1)(xs)
        (per_row.sum() + cols.sum() + moved.sum()).backward()
        if lib is K:
            k = (per_row, cols, pair, moved, xs.grad, ws.grad)
        else:
            _each(k, (per_row, cols, pair, moved, xs.grad, ws.grad))
    same_error(lambda: KF.vmap(lambda a, b: a + b)(K.ones(2), K.ones(3)),
               lambda: TF.vmap(lambda a, b: a + b)(T.ones(2), T.ones(3)))


def test_functional_call():
    for lib, F in ((K, KF), (T, TF)):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
        params = {"0.weight": lib.ones(2, 3, requires_grad=True), "0.bias": lib.tensor([0.5, -0.5]),
                  "1.running_mean": lib.zeros(2)}
        m.eval()
        out = F.functional_call(m, params, (lib.tensor([[1.0, 2.0, 3.0]]),))
        out.sum().backward()
        if lib is K:
            k = (out, params["0.weight"].grad)
            kw = m[0].weight
        else:
            _each(k, (out, params["0.weight"].grad))
            assert m[0].weight is not params["0.weight"] and kw is not None


def test_gradcheck():
    x = K.tensor(rand(3, seed=5).astype(np.float64), requires_grad=True)
    w = K.tensor(rand(3, 2, seed=6).astype(np.float64), requires_grad=True)
    assert K.autograd.gradcheck(lambda a, b: (a.sin() @ b).tanh(), (x, w))
    assert K.autograd.gradcheck(lambda a: K.linalg.det(a.reshape(1, 1) + 2), (x[:1].detach().requires_grad_(),))

    class Wrong(K.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    assert K.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"):
        K.autograd.gradcheck(Wrong.apply, (x,))
    same_error(lambda: K.autograd.gradcheck(lambda a: a, (K.ones(2, dtype=K.float64),)),
               lambda: T.autograd.gradcheck(lambda a: a, (T.ones(2, dtype=T.float64),)))
