"""nn.utils.parametrize and nn.utils.prune against real PyTorch: names, state_dict keys, values,
gradients through the parametrization / mask, caching, removal and errors."""

import numpy as np
import pytest
import torch as T
import torch.nn.utils.prune  # noqa: F401  (PyTorch does not import it with torch.nn)

from tests.kernel.parity import K, assert_close, same_error


def _linear(lib, n_in=4, n_out=3, seed=0):
    m = lib.nn.Linear(n_in, n_out)
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        m.weight.copy_(lib.tensor(rng.standard_normal((n_out, n_in)).astype(np.float32)))
        m.bias.copy_(lib.tensor(rng.standard_normal(n_out).astype(np.float32)))
    return m


def P(lib):
    return lib.nn.utils.parametrize


def prune(lib):
    return lib.nn.utils.prune


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    return Symmetric()


def _skew(lib):
    class Skew(lib.nn.Module):
        def forward(self, X):
            a = X.triu(1)
            return a - a.transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu(1)

    return Skew()


def _both(fn):
    return fn(K), fn(T)


def test_register_parametrization_as_pytorch():
    def run(lib):
        m = _linear(lib, 3, 3)
        P(lib).register_parametrization(m, "weight", _symmetric(lib))
        x = lib.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
        y = m(x)
        (y * y).sum().backward()
        return m, y

    (km, ky), (tm, ty) = _both(run)
    assert repr(km).replace("torchpad.kernel", "torch") == repr(tm)
    assert type(km).__name__ == type(tm).__name__ == "ParametrizedLinear"
    assert list(km.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in km.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert_close(ky, ty)
    assert_close(km.weight, tm.weight)
    assert_close(km.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad)
    assert P(K).is_parametrized(km) and P(K).is_parametrized(km, "weight") and not P(K).is_parametrized(km, "bias")


def test_right_inverse_assignment_chaining_and_removal():
    def run(lib):
        m = _linear(lib, 3, 3, seed=2)
        P(lib).register_parametrization(m, "weight", _skew(lib))
        first = m.parametrizations.weight.original.detach().clone()
        m.weight = lib.tensor([[0.0, 1.0, 2.0], [-1.0, 0.0, 3.0], [-2.0, -3.0, 0.0]])
        second = m.weight.detach().clone()
        P(lib).register_parametrization(m, "weight", _symmetric(lib))
        chained = m.weight.detach().clone()
        P(lib).remove_parametrizations(m, "weight", leave_parametrized=True)
        return first, second, chained, m.weight, type(m).__name__, [n for n, _ in m.named_parameters()]

    k, t = _both(run)
    for a, b in zip(k[:4], t[:4]):
        assert_close(a, b)
    assert k[4:] == t[4:]


def test_cached_computes_once_and_errors():
    m = _linear(K, 3, 3)
    calls = []

    class Counting(K.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    P(K).register_parametrization(m, "weight", Counting())
    calls.clear()
    with P(K).cached():
        assert m.weight is m.weight
    assert len(calls) == 1
    m.weight
    m.weight
    assert len(calls) == 3
    for case in (lambda lib: P(lib).remove_parametrizations(_linear(lib), "weight"),
                 lambda lib: P(lib).register_parametrization(_linear(lib), "nothing", _symmetric(lib)),
                 lambda lib: P(lib).register_parametrization(_linear(lib, 3, 2), "weight", _symmetric(lib))):
        k_err = None
        try:
            case(K)
        except Exception as e:  # noqa: BLE001
            k_err = e
        with pytest.raises(type(k_err)):
            case(T)


def test_l1_unstructured_iterative_and_remove():
    def run(lib):
        m = _linear(lib, 5, 4, seed=3)
        prune(lib).l1_unstructured(m, "weight", amount=0.3)
        mask1 = m.weight_mask.clone()
        prune(lib).l1_unstructured(m, "weight", amount=3)
        x = lib.tensor(np.linspace(-1, 1, 10, dtype=np.float32).reshape(2, 5))
        y = m(x)
        y.sum().backward()
        names = ([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()], list(m.state_dict()))
        grad = m.weight_orig.grad
        pruned = prune(lib).is_pruned(m)
        prune(lib).remove(m, "weight")
        return mask1, m.weight, y, grad, names, pruned, [n for n, _ in m.named_parameters()]

    k, t = _both(run)
    for a, b in zip(k[:4], t[:4]):
        assert_close(a, b)
    assert k[4:] == t[4:]


def test_global_unstructured_and_importance_scores():
    def run(lib):
        a, b = _linear(lib, 4, 3, seed=4), _linear(lib, 3, 2, seed=5)
        prune(lib).global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune(lib).L1Unstructured,
                                       amount=0.4)
        c = _linear(lib, 3, 3, seed=6)
        scores = lib.tensor(np.arange(9, dtype=np.float32).reshape(3, 3)[::-1].copy())
        prune(lib).l1_unstructured(c, "bias", amount=1, importance_scores=lib.tensor([3.0, 1.0, 2.0]))
        prune(lib).l1_unstructured(c, "weight", amount=2, importance_scores=scores)
        return a.weight_mask, b.weight_mask, a.weight, c.bias_mask, c.weight_mask

    for x, y in zip(*_both(run)):
        assert_close(x, y)


def test_random_unstructured_prunes_the_asked_amount():
    m = _linear(K, 10, 10)
    prune(K).random_unstructured(m, "weight", amount=0.25)
    assert int(m.weight_mask.sum().item()) == 75
    assert np.all(m.weight.detach().numpy()[m.weight_mask.numpy() == 0] == 0)
    prune(K).random_unstructured(m, "weight", amount=10)
    assert int(m.weight_mask.sum().item()) == 65


@pytest.mark.parametrize("case", [
    lambda lib: prune(lib).l1_unstructured(_linear(lib), "weight", amount=1.5),
    lambda lib: prune(lib).l1_unstructured(_linear(lib), "weight", amount=20),
    lambda lib: prune(lib).l1_unstructured(_linear(lib), "weight", amount=-1),
    lambda lib: prune(lib).remove(_linear(lib), "weight"),
    lambda lib: prune(lib).l1_unstructured(_linear(lib), "foo", amount=2),
])
def test_prune_errors(case):
    same_error(lambda: case(K), lambda: case(T))


def test_global_unstructured_after_local_pruning_combines_masks():
    def run(lib):
        a, b = _linear(lib, 4, 3, seed=7), _linear(lib, 3, 2, seed=8)
        prune(lib).l1_unstructured(a, "weight", amount=0.5)
        prune(lib).global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune(lib).L1Unstructured,
                                       amount=0.6)
        return a.weight_mask, b.weight_mask, a.weight, b.weight

    for x, y in zip(*_both(run)):
        assert_close(x, y)
