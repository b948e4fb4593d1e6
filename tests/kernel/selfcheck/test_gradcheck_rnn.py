"""Finite-difference checks (float64) of the recurrent layers' hand-written backward through
time: every input, initial state, weight and bias, with no PyTorch needed.

Imports only numpy, pytest and torchpad, so it also runs in WebAssembly CPython."""

from __future__ import annotations

import numpy as np
import pytest

import torchpad.kernel as K
from torchpad.kernel.nn import rnn

EPS, RTOL, ATOL = 1e-6, 1e-5, 1e-7
SEQ, BATCH, I, H = 3, 2, 3, 2


def leaves(shapes, seed):
    rng = np.random.default_rng(seed)
    return [K.tensor(rng.standard_normal(s), dtype=K.float64, requires_grad=True) for s in shapes]


def outputs_of(result):
    if isinstance(result, tuple):
        return [t for r in result for t in outputs_of(r)]
    return [result]


def gradcheck(fn, inputs, seed=0, samples=10):
    """Compare autograd's gradient of sum(w * fn(inputs)) with central differences.

    `fn` must be deterministic (it reseeds the kernel's generator if it draws random numbers).
    At most `samples` entries per input are perturbed, to keep the check quick.
    """
    outs = outputs_of(fn())
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(o.shape) for o in outs]

    def loss() -> float:
        with K.no_grad():
            return sum(float((o.array * w).sum()) for o, w in zip(outputs_of(fn()), ws))

    total = None
    for o, w in zip(outs, ws):
        term = (o * K.tensor(w)).sum()
        total = term if total is None else total + term
    total.backward()
    for n, t in enumerate(inputs):
        assert t.grad is not None, f"input {n} got no gradient"
        flat = t.array.reshape(-1)
        picks = rng.choice(flat.size, size=min(samples, flat.size), replace=False)
        for j in picks:
            orig = flat[j]
            flat[j] = orig + EPS
            up = loss()
            flat[j] = orig - EPS
            down = loss()
            flat[j] = orig
            numeric = (up - down) / (2 * EPS)
            analytic = t.grad.array.reshape(-1)[j]
            assert abs(analytic - numeric) <= ATOL + RTOL * abs(numeric), f"input {n} entry {j}: {analytic} vs {numeric}"


def module(cls, *args, **kwargs):
    K.manual_seed(0)
    return getattr(rnn, cls)(*args, **kwargs).double()


MODES = [("LSTM", {}), ("GRU", {}), ("RNN", {"nonlinearity": "tanh"}), ("RNN", {"nonlinearity": "relu"})]


@pytest.mark.parametrize("cls,extra", MODES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_bidirectional_two_layers_with_states(cls, extra, batch_first):
    m = module(cls, I, H, num_layers=2, bidirectional=True, batch_first=batch_first, **extra)
    n_states = 2 if cls == "LSTM" else 1
    x, *states = leaves([(BATCH, SEQ, I) if batch_first else (SEQ, BATCH, I)] + [(4, BATCH, H)] * n_states, 1)
    hx = tuple(states) if cls == "LSTM" else states[0]
    gradcheck(lambda: m(x, hx), [x, *states, *m.parameters()])


@pytest.mark.parametrize("cls,extra", MODES)
def test_training_dropout_between_layers(cls, extra):
    m = module(cls, I, H, num_layers=2, dropout=0.4, bias=False, **extra)
    (x,) = leaves([(SEQ, BATCH, I)], 2)

    def run():
        K.manual_seed(5)  # the same dropout mask on every evaluation
        return m(x)

    gradcheck(run, [x, *m.parameters()])


@pytest.mark.parametrize("cls,extra", [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"})])
def test_cells(cls, extra):
    m = module(cls, I, H, **extra)
    n_states = 2 if cls == "LSTMCell" else 1
    x, *states = leaves([(BATCH, I)] + [(BATCH, H)] * n_states, 3)
    hx = tuple(states) if cls == "LSTMCell" else states[0]
    gradcheck(lambda: m(x, hx), [x, *states, *m.parameters()])


def test_unbatched_lstm_only_final_state_used():
    m = module("LSTM", I, H, num_layers=2, bidirectional=True)
    (x,) = leaves([(SEQ, I)], 4)
    gradcheck(lambda: m(x)[1][0][-1], [x, *m.parameters()])


def test_float32_stays_float32():
    K.manual_seed(0)
    m = rnn.GRU(I, H, num_layers=2, bidirectional=True)
    x = K.randn(SEQ, BATCH, I, requires_grad=True)
    out, h = m(x)
    (out.sum() + h.sum()).backward()
    assert out.dtype == K.float32 and h.dtype == K.float32 and x.grad.dtype == K.float32
    assert all(p.grad.dtype == K.float32 for p in m.parameters())
