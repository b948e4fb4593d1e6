"""nn.utils.rnn (pad/pack/unpack, PackedSequence through RNN/LSTM/GRU) and LSTM proj_size
against real PyTorch: values, gradients and errors."""

import numpy as np
import pytest
import torch as T
from torch.nn.utils import rnn as trnn

from tests.kernel.opcheck import rand
from tests.kernel.parity import K, assert_close, same_error

krnn = K.nn.utils.rnn
LENGTHS = [2, 5, 3, 3]


def _leaf(lib, a):
    return lib.tensor(a, requires_grad=True)


def _twin(kind, **kwargs):
    T.manual_seed(0)
    tm = getattr(T.nn, kind)(3, 4, **kwargs)
    km = getattr(K.nn, kind)(3, 4, **kwargs)
    km.load_state_dict({k: K.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return km, tm


def _loss(lib, tensors):
    total = 0
    for i, t in enumerate(tensors):
        w = np.random.default_rng(50 + i).standard_normal(tuple(t.shape)).astype(np.float32)
        total = total + (t * lib.tensor(w)).sum()
    return total


def test_pad_sequence_and_pack_sequence():
    seqs = [rand(n, 2, seed=n) for n in (3, 5, 1)]
    for kwargs in ({}, {"batch_first": True}, {"padding_value": -1.0}, {"padding_side": "left", "batch_first": True}):
        ks, ts = [_leaf(K, a) for a in seqs], [_leaf(T, a) for a in seqs]
        k, t = krnn.pad_sequence(ks, **kwargs), trnn.pad_sequence(ts, **kwargs)
        assert_close(k, t)
        _loss(K, [k]).backward()
        _loss(T, [t]).backward()
        for a, b in zip(ks, ts):
            assert_close(a.grad, b.grad)
    ks, ts = [K.tensor(a) for a in seqs], [T.tensor(a) for a in seqs]
    k, t = krnn.pack_sequence(ks, enforce_sorted=False), trnn.pack_sequence(ts, enforce_sorted=False)
    for a, b in zip(k, t):
        assert_close(a, b)
    same_error(lambda: krnn.pack_sequence(ks), lambda: trnn.pack_sequence(ts))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_and_pad_round_trip_with_gradients(batch_first, enforce_sorted):
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    a = rand(4, 5, 2, seed=1) if batch_first else rand(5, 4, 2, seed=1)
    outs = []
    for lib, mod in ((K, krnn), (T, trnn)):
        x = _leaf(lib, a)
        packed = mod.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        padded, lens = mod.pad_packed_sequence(packed, batch_first=batch_first, padding_value=0.5, total_length=6)
        _loss(lib, [packed.data, padded]).backward()
        outs.append((packed, padded, lens, x.grad))
    (kp, kpad, kl, kg), (tp, tpad, tl, tg) = outs
    for a, b in zip(kp, tp):
        assert (a is None) == (b is None)
        if a is not None:
            assert_close(a, b)
    for a, b in ((kpad, tpad), (kl, tl), (kg, tg)):
        assert_close(a, b)
    ks = krnn.unpack_sequence(kp)
    ts = trnn.unpack_sequence(tp)
    for a, b in zip(ks, ts):
        assert_close(a, b)


@pytest.mark.parametrize("case", [
    lambda m, t: m.pack_padded_sequence(t.zeros(3, 4, 2), [1, 3, 2, 2]),
    lambda m, t: m.pack_padded_sequence(t.zeros(3, 4, 2), [3, 3, 0, 2], enforce_sorted=False),
    lambda m, t: m.pad_packed_sequence(m.pack_padded_sequence(t.zeros(3, 2, 1), [3, 1]), total_length=2),
    lambda m, t: m.pad_sequence([t.zeros(2)], padding_side="middle"),
])
def test_packing_errors(case):
    same_error(lambda: case(krnn, K), lambda: case(trnn, T))


@pytest.mark.parametrize("kind,kwargs", [
    ("LSTM", {}), ("GRU", {}), ("RNN", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"bidirectional": True, "batch_first": True}), ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("LSTM", {"proj_size": 2, "bidirectional": True}),
])
def test_packed_sequence_through_recurrent_layers(kind, kwargs):
    km, tm = _twin(kind, **kwargs)
    batch_first = kwargs.get("batch_first", False)
    a = rand(4, 5, 3, seed=2) if batch_first else rand(5, 4, 3, seed=2)
    directions = 2 if kwargs.get("bidirectional") else 1
    h0 = rand(kwargs.get("num_layers", 1) * directions, 4, kwargs.get("proj_size") or 4, seed=3)
    results = []
    for lib, mod, m in ((K, krnn, km), (T, trnn, tm)):
        x, h = _leaf(lib, a), _leaf(lib, h0)
        packed = mod.pack_padded_sequence(x, LENGTHS, batch_first=batch_first, enforce_sorted=False)
        hx = (h, lib.ones(h.shape[0], 4, 4) * 0.5) if kind == "LSTM" else h
        out, state = m(packed, hx)
        padded, _ = mod.pad_packed_sequence(out, batch_first=batch_first)
        states = list(state) if kind == "LSTM" else [state]
        _loss(lib, [padded] + states).backward()
        grads = [x.grad, h.grad] + [p.grad for p in m.parameters()]
        results.append(([out.data, padded] + states, grads))
    for (kv, kg), (tv, tg) in [results]:
        for a, b in zip(kv + kg, tv + tg):
            assert_close(a, b, atol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"num_layers": 2}, {"bidirectional": True, "batch_first": True}])
def test_lstm_proj_size(kwargs):
    km, tm = _twin("LSTM", proj_size=2, **kwargs)
    assert [n for n, _ in km.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for (n, p), (_, q) in zip(km.named_parameters(), tm.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape), n
    a = rand(5, 3, 3, seed=4)
    outs = []
    for lib, m in ((K, km), (T, tm)):
        x = _leaf(lib, a)
        out, (h, c) = m(x)
        _loss(lib, [out, h, c]).backward()
        outs.append([out, h, c, x.grad] + [p.grad for p in m.parameters()])
    for a, b in zip(*outs):
        assert_close(a, b)
    assert repr(km) == repr(tm)


def test_proj_size_errors():
    for case in (lambda n: n.LSTM(3, 4, proj_size=4), lambda n: n.LSTM(3, 4, proj_size=-1),
                 lambda n: n.GRU(3, 4, proj_size=2)):
        same_error(lambda: case(K.nn), lambda: case(T.nn))
    km, tm = _twin("LSTM", proj_size=2)
    same_error(lambda: km(K.zeros(5, 3, 3), (K.zeros(1, 3, 4), K.zeros(1, 3, 4))),
               lambda: tm(T.zeros(5, 3, 3), (T.zeros(1, 3, 4), T.zeros(1, 3, 4))))
