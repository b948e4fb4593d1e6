"""Common mistakes with recurrent layers raise PyTorch's exception type and message, word for word."""

from __future__ import annotations

import warnings

import pytest
import torch as T

import torchpad.kernel as K
from torchpad.kernel.nn import rnn as krnn

from .parity import same_error


def both(cls, *args, **kwargs):
    T.manual_seed(0)
    return getattr(krnn, cls)(*args, **kwargs), getattr(T.nn, cls)(*args, **kwargs)


def call_both(cls, ctor, input_shape, hx_shapes=None, input_dtype=None):
    """Build the same module in both frameworks and call it on zeros of the given shapes."""
    km, tm = both(cls, *ctor[0], **ctor[1])

    def make(lib, shape, dtype=None):
        return lib.zeros(*shape, dtype=dtype)

    def run(lib, m):
        dtype = None if input_dtype is None else getattr(lib, input_dtype)
        x = make(lib, input_shape, dtype)
        if hx_shapes is None:
            return lambda: m(x)
        hx = tuple(make(lib, s) for s in hx_shapes)
        return lambda: m(x, hx if len(hx) == 2 else hx[0])

    return same_error(run(K, km), run(T, tm))


def test_seed_lstm_input_size_error():
    msg = call_both("LSTM", ((100, 256, 2), dict(batch_first=True)), (64, 100, 10), [(2, 64, 256), (2, 64, 256)])
    assert msg == "input.size(-1) must be equal to input_size. Expected 100, got 10"


@pytest.mark.parametrize("cls", ["RNN", "GRU"])
def test_wrong_hidden_size(cls):
    msg = call_both(cls, ((10, 256, 2), {}), (5, 64, 10), [(1, 64, 256)])
    assert msg == "Expected hidden size (2, 64, 256), got [1, 64, 256]"


def test_wrong_lstm_states():
    call_both("LSTM", ((10, 256, 2), {}), (5, 64, 10), [(1, 64, 256), (2, 64, 256)])
    call_both("LSTM", ((10, 8, 1), dict(bidirectional=True)), (5, 64, 10), [(2, 64, 8), (2, 32, 8)])
    call_both("LSTM", ((10, 8, 1), dict(batch_first=True)), (5, 64, 10), [(1, 64, 8), (1, 64, 8)])


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("shape", [(2, 3, 4, 10), (10,)])
def test_input_must_be_2d_or_3d(cls, shape):
    call_both(cls, ((10, 8), {}), shape)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_input_size_and_dtype(cls):
    call_both(cls, ((10, 8), {}), (5, 3, 7))
    call_both(cls, ((10, 8), {}), (5, 7))
    call_both(cls, ((10, 8), {}), (5, 3, 10), input_dtype="float64")


@pytest.mark.parametrize("cls", ["RNN", "GRU", "GRUCell", "RNNCell"])
def test_state_of_another_dtype(cls):
    km, tm = both(cls, 3, 4)
    cell = cls.endswith("Cell")
    x_shape, h_shape = ((2, 3), (2, 4)) if cell else ((5, 2, 3), (1, 2, 4))
    same_error(lambda: km(K.zeros(*x_shape), K.zeros(*h_shape, dtype=K.float64)),
               lambda: tm(T.zeros(*x_shape), T.zeros(*h_shape, dtype=T.float64)))


def test_empty_sequence():
    call_both("GRU", ((3, 4), {}), (0, 2, 3))
    call_both("LSTM", ((3, 4), dict(batch_first=True)), (2, 0, 3))


@pytest.mark.parametrize("cls", ["RNN", "GRU"])
def test_state_dims_must_match_input_dims(cls):
    call_both(cls, ((10, 8), {}), (5, 3, 10), [(3, 8)])
    call_both(cls, ((10, 8), {}), (5, 10), [(1, 1, 8)])


def test_lstm_state_dims_must_match_input_dims():
    call_both("LSTM", ((10, 8), {}), (5, 3, 10), [(3, 8), (1, 3, 8)])
    call_both("LSTM", ((10, 8), {}), (5, 10), [(1, 1, 8), (1, 8)])


@pytest.mark.parametrize("cls", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cell_errors(cls):
    lstm = cls == "LSTMCell"
    call_both(cls, ((10, 8), {}), (3, 7))
    call_both(cls, ((10, 8), {}), (3, 10), [(3, 9)] * (2 if lstm else 1))
    call_both(cls, ((10, 8), {}), (3, 10), [(4, 8)] * (2 if lstm else 1))
    call_both(cls, ((10, 8), {}), (2, 3, 10))
    call_both(cls, ((10, 8), {}), (3, 10), [(1, 3, 8)] * (2 if lstm else 1))
    if lstm:
        call_both(cls, ((10, 8), {}), (3, 10), [(3, 8), (3, 9)])


@pytest.mark.parametrize("cls,args,kwargs", [
    ("LSTM", (10, 8), dict(dropout=1.5)),
    ("LSTM", (10, 8), dict(dropout=True)),
    ("GRU", (10, 8), dict(proj_size=2)),
    ("RNN", (10, 8), dict(proj_size=2)),
    ("RNN", (10, 8), dict(nonlinearity="sigmoid")),
    ("LSTM", (10, 8), dict(bias=1)),
    ("LSTM", (10, 8), dict(batch_first=None)),
    ("LSTM", (10.0, 8), {}),
    ("LSTM", (10, 0), {}),
    ("LSTM", (10, 8, 0), {}),
    ("LSTM", (10, 8), dict(proj_size=8)),
])
def test_constructor_errors(cls, args, kwargs):
    same_error(lambda: getattr(krnn, cls)(*args, **kwargs), lambda: getattr(T.nn, cls)(*args, **kwargs))


def test_dropout_with_one_layer_warns_like_torch():
    messages = []
    for lib in (krnn, T.nn):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.LSTM(10, 8, dropout=0.2)
        messages.append([str(w.message) for w in caught if issubclass(w.category, UserWarning)])
    assert messages[0] == messages[1] and len(messages[0]) == 1
