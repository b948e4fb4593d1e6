"""Module backward hooks against real PyTorch: what the hooks see, replacing gradients, removal,
the old register_backward_hook, and PyTorch's errors."""

import warnings

import numpy as np
import pytest
import torch as T

from tests.kernel.parity import K, assert_close, same_error


def _linear(lib):
    lib.manual_seed(0)
    m = lib.nn.Linear(3, 2)
    with lib.no_grad():
        m.weight.copy_(lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]))
        m.bias.copy_(lib.tensor([0.1, -0.2]))
    return m


def _run(lib, x_requires_grad, register, loss=lambda y: (y * y).sum()):
    m = _linear(lib)
    seen = []
    register(m, seen)
    x = lib.tensor(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, requires_grad=x_requires_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss(m(x)).backward()
    return seen, x, m


def _compare(register, x_requires_grad=True):
    ks, kx, km = _run(K, x_requires_grad, register)
    ts, tx, tm = _run(T, x_requires_grad, register)
    assert len(ks) == len(ts)
    for kk, tt in zip(ks, ts):
        assert kk[0] == tt[0]
        for a, b in zip(kk[1:], tt[1:]):
            assert (a is None) == (b is None)
            if a is not None:
                assert_close(a, b)
    for a, b in ((kx.grad, tx.grad), (km.weight.grad, tm.weight.grad), (km.bias.grad, tm.bias.grad)):
        assert (a is None) == (b is None)
        if a is not None:
            assert_close(a, b)


def _full(m, seen):
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(("full", *gi, *go)))


def _pre(m, seen):
    m.register_full_backward_pre_hook(lambda mod, go: seen.append(("pre", *go)))


@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_full_hooks_see_input_and_output_gradients(x_requires_grad):
    _compare(lambda m, seen: (_pre(m, seen), _full(m, seen)), x_requires_grad)


def test_full_hook_replaces_grad_input_and_pre_hook_replaces_grad_output():
    _compare(lambda m, seen: m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 3,)))
    _compare(lambda m, seen: m.register_full_backward_pre_hook(lambda mod, go: (go[0] * -2,)))


def test_prepend_and_remove():
    def register(m, seen):
        m.register_full_backward_pre_hook(lambda mod, go: seen.append(("first", *go)))
        m.register_full_backward_pre_hook(lambda mod, go: seen.append(("second", *go)), prepend=True)
        m.register_full_backward_hook(lambda mod, gi, go: seen.append(("removed",))).remove()

    _compare(register)


def test_old_backward_hook_on_one_op_module_and_linear():
    def register(m, seen):
        m.register_backward_hook(lambda mod, gi, go: seen.append(("old", *gi, *go)))

    _compare(register)
    for lib in (K, T):
        r = lib.nn.Sigmoid()
        got = []
        r.register_backward_hook(lambda mod, gi, go: got.append((gi[0], go[0])))
        y = lib.tensor([1.0, -1.0, 0.5], requires_grad=True)
        (r(y) * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        if lib is K:
            kgot, ky = got, y
    assert_close(kgot[0][0], got[0][0])
    assert_close(kgot[0][1], got[0][1])
    assert_close(ky.grad, y.grad)


def test_mixing_old_and_full_hooks_is_refused():
    for order in ("full_then_old", "old_then_full"):
        def make(lib):
            m = lib.nn.Sigmoid()
            if order == "full_then_old":
                m.register_full_backward_hook(lambda *a: None)
                return lambda: m.register_backward_hook(lambda *a: None)
            m.register_backward_hook(lambda *a: None)
            return lambda: m.register_full_backward_hook(lambda *a: None)

        same_error(make(K), make(T))


def test_hooks_in_a_sequential_fire_last_layer_first():
    for lib in (K, T):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 1))
        order = []
        for i, layer in enumerate(net):
            layer.register_full_backward_hook(lambda mod, gi, go, i=i: order.append(i))
        x = lib.ones(2, 3, requires_grad=True)
        net(x).sum().backward()
        assert order == [2, 1, 0]
