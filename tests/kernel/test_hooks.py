"""Tensor.register_hook against PyTorch: leaf and non-leaf hooks, their order with retain_grad,
autograd.grad, removal, in-place ops, and the errors for hooks that misbehave."""

import pytest

from tests.kernel.opcheck import rand
from tests.kernel.parity import K, T, assert_close, same_error


def _both(fn):
    return fn(K), fn(T)


def test_leaf_hook_sees_the_summed_gradient_and_replaces_it():
    def run(t):
        seen = []
        a = t.tensor(rand(3, seed=1), requires_grad=True)
        a.register_hook(lambda g: seen.append(g.clone()) or g.clamp(max=1.5))  # not linear: the sum matters
        (a * 2 + a * 2 + a.exp()).sum().backward()
        return seen[0], a.grad, len(seen)

    (ks, kg, kn), (ts, tg, tn) = _both(run)
    assert kn == tn == 1
    assert_close(ks, ts)
    assert_close(kg, tg)


def test_non_leaf_hook_changes_what_flows_on_and_retain_grad_sees_the_result():
    def run(t):
        x = t.tensor(rand(2, 3, seed=2), requires_grad=True)
        h = x.tanh()
        h.retain_grad()  # registered before the hook: still holds the hooked gradient, as in PyTorch
        h.register_hook(lambda g: g * 10)
        h.register_hook(lambda g: g + 1)  # hooks run in the order registered
        (h * h).sum().backward()
        return x.grad, h.grad

    for k, t in zip(*_both(run)):
        assert_close(k, t)


def test_hook_returning_none_only_observes_and_removed_hooks_stop():
    def run(t):
        seen = []
        x = t.tensor(rand(4, seed=3), requires_grad=True)
        y = x * 3
        y.register_hook(lambda g: seen.append(g.sum().item()))
        handle = x.register_hook(lambda g: g * 100)
        handle.remove()
        (y ** 2).sum().backward()
        return x.grad, seen

    (kx, ks), (tx, ts) = _both(run)
    assert_close(kx, tx)
    assert ks == pytest.approx(ts, rel=1e-5)


def test_root_retain_grad_and_a_hook_on_the_loss():
    def run(t):
        x = t.tensor(rand(3, seed=4), requires_grad=True)
        loss = (x * x).sum()
        loss.retain_grad()
        loss.register_hook(lambda g: g * 2)
        loss.backward()
        return loss.grad, x.grad

    for k, t in zip(*_both(run)):
        assert_close(k, t)


def test_autograd_grad_applies_leaf_hooks_but_returns_a_non_leaf_gradient_before_its_hooks():
    def run(t):
        x = t.tensor(rand(2, seed=5), requires_grad=True)
        w = t.tensor(rand(2, seed=6), requires_grad=True)
        w.register_hook(lambda g: g * 10)
        h = x * w
        h.register_hook(lambda g: g * 3)
        return t.autograd.grad((h * 2).sum(), [h, x, w])

    for k, t in zip(*_both(run)):
        assert_close(k, t)


def test_hooks_on_a_leaf_output_and_through_an_in_place_op():
    def run(t):
        w = t.tensor(rand(3, seed=7), requires_grad=True)
        w.register_hook(lambda g: g * 10)
        w.backward(t.ones(3))
        x = t.tensor(rand(3, seed=8), requires_grad=True)
        h = x * 2
        h.retain_grad()
        h.add_(1)  # retain_grad follows the tensor to its new node
        (h * h).sum().backward()
        return w.grad, x.grad, h.grad

    for k, t in zip(*_both(run)):
        assert_close(k, t)


def test_a_hook_in_training_clips_gradients_like_pytorch():
    def run(t):
        t.manual_seed(0)
        model = t.nn.Linear(4, 2)
        model.load_state_dict({"weight": t.tensor(rand(2, 4, seed=9)), "bias": t.tensor(rand(2, seed=10))})
        for p in model.parameters():
            p.register_hook(lambda g: g.clamp(-0.1, 0.1))
        opt = t.optim.SGD(model.parameters(), lr=0.5)
        x, y = t.tensor(rand(8, 4, seed=11)), t.tensor(rand(8, 2, seed=12))
        for _ in range(3):
            opt.zero_grad()
            t.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
        return model.weight, model.bias

    for k, t in zip(*_both(run)):
        assert_close(k, t)


def _hooked_backward(t, hook, requires_grad=True):
    x = t.tensor(rand(3, seed=13), requires_grad=requires_grad)
    x.register_hook(hook)
    (x * 2).sum().backward()


def resize(g):
    return g[:2]


@pytest.mark.parametrize("hook", [lambda g: 5, resize], ids=["not-a-tensor", "changes-the-size"])
def test_hooks_that_misbehave_raise_pytorchs_errors(hook):
    same_error(lambda: _hooked_backward(K, hook), lambda: _hooked_backward(T, hook))


def test_changing_the_dtype_raises_pytorchs_error():
    same_error(lambda: _hooked_backward(K, lambda g: g.double()), lambda: _hooked_backward(T, lambda g: g.double()))


def test_a_hook_needs_a_tensor_that_requires_grad():
    same_error(lambda: _hooked_backward(K, lambda g: g, requires_grad=False),
               lambda: _hooked_backward(T, lambda g: g, requires_grad=False))
