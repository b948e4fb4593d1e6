"""Finite-difference checks (float64) of the recurrent layers' hand-written backward through
time: every input, initial state, weight and bias, with no PyTorch needed.

Imports only numpy, pytest and torchpad, so it also runs in WebAssembly CPython."""

from __future__ import annotations

import pytest

import torchpad.kernel as K
from torchpad.kernel.nn import rnn

from gradcheck import gradcheck as _gradcheck, leaves  # noqa: E402  (this folder is on sys.path under pytest)

SEQ, BATCH, I, H = 3, 2, 3, 2


def gradcheck(fn, inputs):
    _gradcheck(fn, inputs, samples=10)


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
