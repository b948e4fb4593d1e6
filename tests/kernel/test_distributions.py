"""torch.distributions against real PyTorch: log_prob, entropy, mean/stddev/variance and their
gradients, sample shapes and statistics, gradients through rsample, repr and validation errors."""

import numpy as np
import pytest
import torch as T

from tests.kernel.opcheck import check, rand
from tests.kernel.parity import K, assert_close, same_error


def D(lib):
    return lib.distributions


def _cov(n, seed):
    a = rand(n, n, seed=seed)
    return (a @ a.T + n * np.eye(n)).astype(np.float32)


STATS = {
    "normal": (lambda t, a, b: D(t).Normal(a, b.abs() + 0.5), lambda t: t.tensor(rand(3, 4, seed=9))),
    "uniform": (lambda t, a, b: D(t).Uniform(a - 3, b.abs() + 3), lambda t: t.tensor(rand(3, 4, seed=9)).clamp(-2.9, 2.9)),
    "bernoulli_probs": (lambda t, a, b: D(t).Bernoulli(probs=a.sigmoid()), lambda t: t.tensor((rand(3, 4, seed=9) > 0).astype(np.float32))),
    "bernoulli_logits": (lambda t, a, b: D(t).Bernoulli(logits=a), lambda t: t.tensor((rand(3, 4, seed=9) > 0).astype(np.float32))),
    "categorical_probs": (lambda t, a, b: D(t).Categorical(probs=a.softmax(-1)), lambda t: t.tensor([0, 3, 1])),
    "categorical_logits": (lambda t, a, b: D(t).Categorical(logits=a), lambda t: t.tensor([[2], [0]])),
}


@pytest.mark.parametrize("name", sorted(STATS))
def test_log_prob_entropy_and_moments(name):
    make, value = STATS[name]
    a, b = rand(3, 4, seed=1), rand(3, 4, seed=2)
    check(lambda t, x, y: make(t, x, y).log_prob(value(t)), a, b)
    check(lambda t, x, y: make(t, x, y).entropy(), a, b)
    if name == "normal":
        check(lambda t, x, y: make(t, x, y).mode, a, b)
    if not name.startswith("categorical"):
        check(lambda t, x, y: (make(t, x, y).mean, make(t, x, y).stddev, make(t, x, y).variance), a, b)
    else:
        check(lambda t, x, y: (make(t, x, y).probs, make(t, x, y).logits), a, b)


@pytest.mark.parametrize("param", ["covariance_matrix", "scale_tril", "precision_matrix"])
def test_multivariate_normal(param):
    cov = _cov(3, 4)
    given = {"covariance_matrix": cov, "scale_tril": np.linalg.cholesky(cov), "precision_matrix": np.linalg.inv(cov)}[param]
    values = rand(5, 3, seed=3)
    check(lambda t, loc, m: D(t).MultivariateNormal(loc, **{param: m}).log_prob(t.tensor(values)), rand(3, seed=1), given,
          atol=1e-4)
    check(lambda t, loc, m: D(t).MultivariateNormal(loc, **{param: m}).entropy(), rand(2, 3, seed=1), given, atol=1e-4)
    check(lambda t, loc, m: (D(t).MultivariateNormal(loc, **{param: m}).mean,
                             D(t).MultivariateNormal(loc, **{param: m}).mode,
                             D(t).MultivariateNormal(loc, **{param: m}).stddev,
                             D(t).MultivariateNormal(loc, **{param: m}).covariance_matrix), rand(3, seed=1), given, atol=1e-4)


def test_sample_shapes_and_dtypes():
    for lib in (K, T):
        lib.manual_seed(0)
    cases = [
        lambda t: D(t).Normal(t.zeros(2), t.ones(2)).sample((5, 3)),
        lambda t: D(t).Normal(0.0, 1.0).sample(),
        lambda t: D(t).Normal(0.0, 1.0).rsample((4,)),
        lambda t: D(t).Uniform(t.zeros(3), 2.0).sample((2,)),
        lambda t: D(t).Bernoulli(t.full((2, 3), 0.5)).sample((4,)),
        lambda t: D(t).Categorical(logits=t.zeros(2, 5)).sample((7,)),
        lambda t: D(t).Categorical(probs=t.ones(4)).sample(),
        lambda t: D(t).MultivariateNormal(t.zeros(2, 3), t.eye(3)).sample((4,)),
    ]
    for case in cases:
        k, t = case(K), case(T)
        assert tuple(k.shape) == tuple(t.shape) and str(k.dtype) == str(t.dtype)


def test_sample_statistics():
    K.manual_seed(1)
    n = 40000
    x = D(K).Normal(K.tensor([1.0, -2.0]), K.tensor([0.5, 2.0])).sample((n,))
    np.testing.assert_allclose(x.mean(0).numpy(), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(x.std(0).numpy(), [0.5, 2.0], atol=0.05)
    u = D(K).Uniform(-1.0, 3.0).sample((n,))
    assert u.min().item() >= -1.0 and u.max().item() < 3.0 and abs(u.mean().item() - 1.0) < 0.05
    b = D(K).Bernoulli(K.tensor(0.3)).sample((n,))
    assert set(np.unique(b.numpy())) <= {0.0, 1.0} and abs(b.mean().item() - 0.3) < 0.02
    c = D(K).Categorical(K.tensor([0.1, 0.6, 0.3])).sample((n,))
    np.testing.assert_allclose(np.bincount(c.numpy(), minlength=3) / n, [0.1, 0.6, 0.3], atol=0.02)
    cov = _cov(2, 5)
    m = D(K).MultivariateNormal(K.tensor([1.0, 2.0]), K.tensor(cov)).sample((n,)).numpy()
    np.testing.assert_allclose(np.cov(m.T), cov, atol=0.1 * np.abs(cov).max())


def test_gradients_flow_through_rsample():
    loc = K.tensor([0.5, -1.0], requires_grad=True)
    scale = K.tensor([2.0, 0.5], requires_grad=True)
    x = D(K).Normal(loc, scale).rsample((3,))
    x.sum().backward()
    eps = ((x - loc) / scale).detach()
    assert_close(loc.grad, K.tensor([3.0, 3.0]))
    assert_close(scale.grad, eps.sum(0))
    low, high = K.tensor(1.0, requires_grad=True), K.tensor(3.0, requires_grad=True)
    u = D(K).Uniform(low, high).rsample((4,))
    u.sum().backward()
    frac = ((u - low) / (high - low)).detach()
    assert abs(high.grad.item() - frac.sum().item()) < 1e-5 and abs(low.grad.item() - (4 - frac.sum().item())) < 1e-5
    mu = K.zeros(2, requires_grad=True)
    ltri = K.tensor([[1.0, 0.0], [0.5, 2.0]], requires_grad=True)
    y = D(K).MultivariateNormal(mu, scale_tril=ltri).rsample()
    y.sum().backward()
    assert mu.grad.tolist() == [1.0, 1.0] and ltri.grad is not None
    assert not D(K).Normal(loc, scale).sample().requires_grad


def test_repr_as_pytorch():
    cases = [
        lambda t: D(t).Normal(t.tensor([0.0, 1.0]), t.tensor([1.0, 2.0])),
        lambda t: D(t).Normal(0.0, 1.0),
        lambda t: D(t).Uniform(0.0, 2.0),
        lambda t: D(t).Bernoulli(probs=t.tensor([0.3])),
        lambda t: D(t).Categorical(logits=t.tensor([0.0, 1.0, 2.0])),
        lambda t: D(t).MultivariateNormal(t.zeros(2), t.eye(2)),
    ]
    for case in cases:
        assert repr(case(K)) == repr(case(T))


def test_lazy_parameters_match_and_then_show_in_the_repr():
    """The parameterization not given is computed on first read and then kept, as PyTorch's lazy_property."""
    cov = _cov(2, 4)
    cases = [
        (lambda t: D(t).Bernoulli(logits=t.tensor([0.5, -1.0])), ("probs",)),
        (lambda t: D(t).Bernoulli(probs=t.tensor([0.25, 0.5])), ("logits",)),
        (lambda t: D(t).Categorical(probs=t.tensor([0.2, 0.3, 0.5])), ("logits",)),
        (lambda t: D(t).MultivariateNormal(t.zeros(2), t.tensor(cov)), ("scale_tril", "precision_matrix")),
        (lambda t: D(t).MultivariateNormal(t.zeros(2), precision_matrix=t.tensor(cov)),
         ("covariance_matrix", "scale_tril")),
    ]
    for case, names in cases:
        k, t = case(K), case(T)
        for name in names:
            assert_close(getattr(k, name), getattr(t, name), atol=1e-5)
            assert getattr(k, name) is getattr(k, name)
        assert repr(k) == repr(t)


@pytest.mark.parametrize("case", [
    lambda t: D(t).Normal(0.0, -1.0),
    lambda t: D(t).Normal(t.zeros(2), t.tensor([1.0, 0.0])),
    lambda t: D(t).Bernoulli(t.tensor([1.5])),
    lambda t: D(t).Categorical(),
    lambda t: D(t).Bernoulli(probs=t.tensor(0.5), logits=t.tensor(0.0)),
    lambda t: D(t).Normal(t.zeros(2), 1.0).log_prob(t.ones(3)),
    lambda t: D(t).Normal(0.0, 1.0).log_prob(0.5),
    lambda t: D(t).Uniform(0.0, 1.0).log_prob(t.tensor(2.0)),
    lambda t: D(t).Bernoulli(t.tensor(0.5)).log_prob(t.tensor(0.5)),
    lambda t: D(t).MultivariateNormal(t.zeros(2)),
    lambda t: D(t).MultivariateNormal(t.zeros(2), t.eye(2), scale_tril=t.eye(2)),
    lambda t: D(t).Normal(0.0, 1.0).enumerate_support(),
])
def test_validation_errors(case):
    same_error(lambda: case(K), lambda: case(T))


def test_kl_divergence():
    a, b = rand(3, seed=11), rand(3, seed=12)
    pairs = [
        lambda t, x, y: t.distributions.kl_divergence(D(t).Normal(x, y.abs() + 0.5), D(t).Normal(y, x.abs() + 0.2)),
        lambda t, x, y: t.distributions.kl.kl_divergence(D(t).Categorical(logits=x), D(t).Categorical(logits=y)),
        lambda t, x, y: t.distributions.kl_divergence(D(t).Bernoulli(logits=x), D(t).Bernoulli(logits=y)),
        lambda t, x, y: t.distributions.kl_divergence(D(t).Uniform(x - 1, x + 1), D(t).Uniform(x - 2, x + 3)),
    ]
    for case in pairs:
        check(case, a, b)
    same_error(lambda: K.distributions.kl_divergence(D(K).Normal(0.0, 1.0), D(K).Categorical(K.ones(2))),
               lambda: T.distributions.kl_divergence(D(T).Normal(0.0, 1.0), D(T).Categorical(T.ones(2))))
