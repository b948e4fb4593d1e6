"""RNN / LSTM / GRU and the cells against real PyTorch: outputs, final states and the
gradients of the input, the initial states and every weight and bias."""

from __future__ import annotations

import numpy as np
import pytest
import torch as T

import torchpad.kernel as K
from torchpad.kernel.nn import rnn as krnn

from .parity import assert_close

I, H, SEQ, BATCH = 5, 4, 6, 3
MODES = {
    "rnn_tanh": (T.nn.RNN, krnn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (T.nn.RNN, krnn.RNN, {"nonlinearity": "relu"}),
    "lstm": (T.nn.LSTM, krnn.LSTM, {}),
    "gru": (T.nn.GRU, krnn.GRU, {}),
}
CELLS = {
    "rnn_tanh": (T.nn.RNNCell, krnn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (T.nn.RNNCell, krnn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (T.nn.LSTMCell, krnn.LSTMCell, {}),
    "gru": (T.nn.GRUCell, krnn.GRUCell, {}),
}


def twin(torch_cls, kernel_cls, *args, seed=0, **kwargs):
    """A PyTorch module and a kernel module holding the same parameters (copied via NumPy)."""
    T.manual_seed(seed)
    tm = torch_cls(*args, **kwargs)
    km = kernel_cls(*args, **kwargs)
    tnames = [n for n, _ in tm.named_parameters()]
    knames = [n for n, _ in km.named_parameters()]
    assert knames == tnames
    for (_, kp), (_, tp) in zip(km.named_parameters(), tm.named_parameters()):
        kp.array[...] = tp.detach().numpy()
    return km, tm


def leaf(shape, seed):
    """(kernel, torch) leaves holding the same random values, both requiring grad."""
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return K.tensor(a, requires_grad=True), T.tensor(a, requires_grad=True)


def flat(out):
    """Output tensors in a fixed order: (output, h_n) or (output, h_n, c_n) or a cell's states."""
    if isinstance(out, tuple):
        return [t for o in out for t in flat(o)]
    return [out]


def backprop_both(kouts, touts, seed=99):
    """Backward a random weighted sum of all outputs, the same weights in both frameworks."""
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(tuple(t.shape)).astype(np.float32) for t in touts]
    sum((t * T.tensor(w)).sum() for t, w in zip(touts, ws)).backward()
    total = None
    for k, w in zip(kouts, ws):
        term = (k * K.tensor(w)).sum()
        total = term if total is None else total + term
    total.backward()


def check(km, tm, kin, tin, kouts, touts):
    assert len(kouts) == len(touts)
    for k, t in zip(kouts, touts):
        assert_close(k, t)
    backprop_both(kouts, touts)
    for k, t in zip(kin, tin):
        assert_close(k.grad, t.grad)
    for (name, kp), (_, tp) in zip(km.named_parameters(), tm.named_parameters()):
        assert kp.grad is not None, name
        assert_close(kp.grad, tp.grad)


CONFIGS = [  # num_layers, bidirectional, batch_first, bias, initial states
    (1, False, False, True, False),
    (1, False, True, True, True),
    (2, False, False, True, True),
    (2, True, False, True, True),
    (2, True, True, True, True),
    (2, True, True, False, False),
    (3, True, False, True, True),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layers,bidirectional,batch_first,bias,with_state", CONFIGS)
def test_sequence_parity(mode, layers, bidirectional, batch_first, bias, with_state):
    tcls, kcls, extra = MODES[mode]
    km, tm = twin(tcls, kcls, I, H, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, bias=bias, **extra)
    kx, tx = leaf((BATCH, SEQ, I) if batch_first else (SEQ, BATCH, I), 1)
    kin, tin = [kx], [tx]
    if with_state:
        states = [leaf((layers * (2 if bidirectional else 1), BATCH, H), s) for s in (2, 3)[: 2 if mode == "lstm" else 1]]
        kin += [k for k, _ in states]
        tin += [t for _, t in states]
        khx = tuple(kin[1:]) if mode == "lstm" else kin[1]
        thx = tuple(tin[1:]) if mode == "lstm" else tin[1]
        kouts, touts = flat(km(kx, khx)), flat(tm(tx, thx))
    else:
        kouts, touts = flat(km(kx)), flat(tm(tx))
    check(km, tm, kin, tin, kouts, touts)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_parity(mode, with_state, batch_first):
    tcls, kcls, extra = MODES[mode]
    km, tm = twin(tcls, kcls, I, H, num_layers=2, bidirectional=True, batch_first=batch_first, **extra)
    kx, tx = leaf((SEQ, I), 4)
    kin, tin = [kx], [tx]
    if with_state:
        states = [leaf((4, H), s) for s in (5, 6)[: 2 if mode == "lstm" else 1]]
        kin += [k for k, _ in states]
        tin += [t for _, t in states]
        khx = tuple(kin[1:]) if mode == "lstm" else kin[1]
        thx = tuple(tin[1:]) if mode == "lstm" else tin[1]
        kouts, touts = flat(km(kx, khx)), flat(tm(tx, thx))
    else:
        kouts, touts = flat(km(kx)), flat(tm(tx))
    assert [tuple(k.shape) for k in kouts] == [tuple(t.shape) for t in touts]
    check(km, tm, kin, tin, kouts, touts)


@pytest.mark.parametrize("mode", CELLS)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_parity(mode, batched, with_state, bias):
    tcls, kcls, extra = CELLS[mode]
    km, tm = twin(tcls, kcls, I, H, bias=bias, **extra)
    lead = (BATCH,) if batched else ()
    kx, tx = leaf(lead + (I,), 7)
    kin, tin = [kx], [tx]
    if with_state:
        states = [leaf(lead + (H,), s) for s in (8, 9)[: 2 if mode == "lstm" else 1]]
        kin += [k for k, _ in states]
        tin += [t for _, t in states]
        khx = tuple(kin[1:]) if mode == "lstm" else kin[1]
        thx = tuple(tin[1:]) if mode == "lstm" else tin[1]
        kouts, touts = flat(km(kx, khx)), flat(tm(tx, thx))
    else:
        kouts, touts = flat(km(kx)), flat(tm(tx))
    check(km, tm, kin, tin, kouts, touts)


def test_cell_over_a_sequence_matches_the_layer():
    """An LSTMCell looped over time gives the one-layer LSTM's output (shared weights)."""
    layer = krnn.LSTM(I, H)
    cell = krnn.LSTMCell(I, H)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, name).array[...] = getattr(layer, name + "_l0").array
    x = K.randn(SEQ, BATCH, I)
    out, (h_n, c_n) = layer(x)
    h = c = K.zeros(BATCH, H)
    for t in range(SEQ):
        h, c = cell(x[t], (h, c))
        assert_close(h, T.tensor(out[t].detach().numpy()))
    assert_close(c, T.tensor(c_n[0].detach().numpy()))


@pytest.mark.parametrize("mode", MODES)
def test_dropout_in_eval_mode_is_no_dropout(mode):
    tcls, kcls, extra = MODES[mode]
    km, tm = twin(tcls, kcls, I, H, num_layers=3, bidirectional=True, dropout=0.5, **extra)
    km.eval()
    tm.eval()
    kx, tx = leaf((SEQ, BATCH, I), 10)
    check(km, tm, [kx], [tx], flat(km(kx)), flat(tm(tx)))


@pytest.mark.parametrize("mode", MODES)
def test_dropout_one_in_training_zeroes_the_layer_inputs(mode):
    """p = 1 is deterministic, so training-mode dropout can be compared with PyTorch."""
    tcls, kcls, extra = MODES[mode]
    km, tm = twin(tcls, kcls, I, H, num_layers=2, dropout=1.0, **extra)
    kx, tx = leaf((SEQ, BATCH, I), 11)
    check(km, tm, [kx], [tx], flat(km(kx)), flat(tm(tx)))


def test_dropout_in_training_drops_and_rescales():
    """Between layers, training mode zeroes about p of the values and scales the rest by 1/(1-p)."""
    K.manual_seed(0)
    m = krnn.GRU(I, 64, num_layers=2, dropout=0.5)
    x = K.randn(SEQ, BATCH, I)
    m.eval()
    ref = m(x)[0].detach().numpy()
    m.train()
    a, b = m(x)[0].detach().numpy(), m(x)[0].detach().numpy()
    assert not np.allclose(a, ref) and not np.allclose(a, b)
    m2 = krnn.GRU(I, 64, num_layers=2, dropout=0.0)
    assert_close(m2.train()(x)[0], T.tensor(m2.eval()(x)[0].detach().numpy()))


def test_seed_lstm_shapes_and_gradients():
    """The seed program's model (batch_first, 2 layers, fc on the last step) through CrossEntropyLoss."""
    km, tm = twin(T.nn.LSTM, krnn.LSTM, 10, 16, num_layers=2, batch_first=True)
    kx, tx = leaf((8, 12, 10), 12)
    kz = K.zeros(2, 8, 16)
    tz = T.zeros(2, 8, 16)
    kout, (kh, kc) = km(kx, (kz, kz))
    tout, (th, tc) = tm(tx, (tz, tz))
    kl, tl = kout[:, -1, :].sum(), tout[:, -1, :].sum()
    assert_close(kl, tl)
    kl.backward()
    tl.backward()
    assert_close(kx.grad, tx.grad)
    for (_, kp), (_, tp) in zip(km.named_parameters(), tm.named_parameters()):
        assert_close(kp.grad, tp.grad)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("scale", [1e-3, 3.0, 1e4])
def test_tiny_to_saturated_gates_match_torch(mode, scale):
    """The recurrent ops compute tanh from exp (faster in Pyodide's NumPy): tiny pre-activations, and
    saturated ones where exp overflows to inf, still give PyTorch's values and finite gradients."""
    tcls, kcls, extra = MODES[mode]
    km, tm = twin(tcls, kcls, I, H, num_layers=2, **extra)
    with T.no_grad():
        for (_, kp), (_, tp) in zip(km.named_parameters(), tm.named_parameters()):
            tp.mul_(scale)
            kp.array[...] = tp.numpy()
    kx, tx = leaf((SEQ, BATCH, I), 14)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no warning reaches the user
        kouts = flat(km(kx))
        (kouts[0].square().sum() + kouts[-1].sum()).backward()
    touts = flat(tm(tx))
    (touts[0].square().sum() + touts[-1].sum()).backward()
    assert np.isfinite(kx.grad.numpy()).all()
    for k, t in zip(kouts, touts):
        assert_close(k, t)
    assert_close(kx.grad, tx.grad)
    for (_, kp), (_, tp) in zip(km.named_parameters(), tm.named_parameters()):
        assert_close(kp.grad, tp.grad)


def test_double_precision_module():
    km, tm = twin(T.nn.LSTM, krnn.LSTM, I, H, num_layers=2, bidirectional=True)
    km.double()
    tm.double()
    a = np.random.default_rng(13).standard_normal((SEQ, BATCH, I))
    kx, tx = K.tensor(a, requires_grad=True), T.tensor(a, requires_grad=True)
    ko, to = km(kx), tm(tx)
    assert_close(ko[0], to[0])
    ko[0].sum().backward()
    to[0].sum().backward()
    assert_close(kx.grad, tx.grad)


def test_no_grad_outputs_do_not_require_grad():
    m = krnn.LSTM(I, H)
    with K.no_grad():
        out, (h, c) = m(K.randn(SEQ, BATCH, I))
    assert not out.requires_grad and not h.requires_grad and not c.requires_grad
    out, (h, c) = m(K.randn(SEQ, BATCH, I))
    assert out.requires_grad and h.requires_grad and c.requires_grad


def test_backward_twice_needs_retain_graph():
    m = krnn.GRU(I, H)
    x = K.randn(SEQ, BATCH, I)
    loss = m(x)[0].sum()
    loss.backward(retain_graph=True)
    first = m.weight_hh_l0.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(m.weight_hh_l0.grad.numpy(), 2 * first, rtol=1e-5)
    loss2 = m(x)[0].sum()
    loss2.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss2.backward()


@pytest.mark.parametrize("cls,args,kwargs", [
    ("LSTM", (10, 20), dict(num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)),
    ("GRU", (3, 4), dict(bias=False)),
    ("RNN", (3, 4), dict(nonlinearity="relu", num_layers=3)),
    ("LSTMCell", (3, 4), {}),
    ("RNNCell", (3, 4), dict(nonlinearity="relu", bias=False)),
    ("GRUCell", (3, 4), {}),
])
def test_repr_state_dict_and_init_match(cls, args, kwargs):
    tm = getattr(T.nn, cls)(*args, **kwargs)
    km = getattr(krnn, cls)(*args, **kwargs)
    assert repr(km) == repr(tm)
    tsd, ksd = tm.state_dict(), km.state_dict()
    assert list(ksd) == list(tsd)
    for name in tsd:
        assert tuple(ksd[name].shape) == tuple(tsd[name].shape)
        assert ksd[name].dtype == K.float32
    bound = 1 / np.sqrt(args[1])
    values = np.concatenate([p.detach().numpy().ravel() for p in km.parameters()])
    assert np.all(np.abs(values) <= bound) and values.std() > bound / 3  # uniform(-b, b): std b/sqrt(3)


def test_state_dict_round_trip_from_torch():
    tm = T.nn.LSTM(I, H, num_layers=2, bidirectional=True)
    km = krnn.LSTM(I, H, num_layers=2, bidirectional=True)
    km.load_state_dict({k: K.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(14).standard_normal((SEQ, BATCH, I)).astype(np.float32)
    assert_close(km(K.tensor(x))[0], tm(T.tensor(x))[0])


@pytest.mark.parametrize("fn", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_functional_forms_match_torch(fn):
    """torch.lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)."""
    from torchpad.kernel.ops import recurrent

    gates = {"lstm": 4, "gru": 3}.get(fn, 1)
    rng = np.random.default_rng(15)
    shapes = [(gates * H, I), (gates * H, H), (gates * H,), (gates * H,)]
    arrays = [rng.standard_normal(s).astype(np.float32) * 0.5 for s in shapes]
    x = rng.standard_normal((SEQ, BATCH, I)).astype(np.float32)
    h0 = rng.standard_normal((1, BATCH, H)).astype(np.float32)
    thx = (T.tensor(h0), T.tensor(h0)) if fn == "lstm" else T.tensor(h0)
    khx = (K.tensor(h0), K.tensor(h0)) if fn == "lstm" else K.tensor(h0)
    tout = getattr(T, fn)(T.tensor(x), thx, [T.tensor(a) for a in arrays], True, 1, 0.0, False, False, False)
    kout = getattr(recurrent, fn)(K.tensor(x), khx, [K.tensor(a) for a in arrays], True, 1, 0.0, False, False, False)
    for k, t in zip(kout, tout):
        assert_close(k, t)


@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_training_steps_follow_torch(mode):
    """Five SGD steps through a 2-layer bidirectional layer and a linear head: same losses, same weights."""
    tcls, kcls, extra = MODES[mode]
    km, tm = twin(tcls, kcls, I, H, num_layers=2, bidirectional=True, batch_first=True, **extra)
    khead, thead = twin(T.nn.Linear, K.nn.Linear, 2 * H, 3, seed=1)
    kparams = list(km.parameters()) + list(khead.parameters())
    tparams = list(tm.parameters()) + list(thead.parameters())
    kopt, topt = K.optim.SGD(kparams, lr=0.5), T.optim.SGD(tparams, lr=0.5)
    kx, tx = leaf((BATCH, SEQ, I), 16)
    y = np.array([0, 2, 1])
    for _ in range(5):
        kl = K.nn.functional.cross_entropy(khead(km(kx)[0][:, -1]), K.tensor(y))
        tl = T.nn.functional.cross_entropy(thead(tm(tx)[0][:, -1]), T.tensor(y))
        assert_close(kl, tl)
        for opt, loss in ((kopt, kl), (topt, tl)):
            opt.zero_grad()
            loss.backward()
            opt.step()
    for kp, tp in zip(kparams, tparams):
        assert_close(kp, tp)


def assert_same_parameter_grads(km, tm):
    """Each parameter has a gradient exactly where PyTorch's has one, and the same values."""
    for (name, kp), (_, tp) in zip(km.named_parameters(), tm.named_parameters()):
        assert (kp.grad is None) == (tp.grad is None), name
        if tp.grad is not None:
            assert_close(kp.grad, tp.grad)


def test_frozen_parameters_get_no_gradient():
    km, tm = twin(T.nn.LSTM, krnn.LSTM, I, H, num_layers=2, bidirectional=True)
    for m in (km, tm):
        m.weight_ih_l0.requires_grad_(False)
        m.bias_hh_l1_reverse.requires_grad_(False)
    kx, tx = leaf((SEQ, BATCH, I), 17)
    backprop_both(flat(km(kx)), flat(tm(tx)))
    assert_close(kx.grad, tx.grad)
    assert_same_parameter_grads(km, tm)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("frozen", [("bias_ih_l0",), ("weight_ih_l0", "bias_hh_l0"), ("weight_ih_l1", "bias_ih_l1")])
def test_bias_gradients_with_some_input_side_parameters_frozen(mode, frozen):
    """The input-side bias gradient comes out of the input weight's gradient product (a ones column);
    with either of them frozen the other still gets PyTorch's gradient, in every mode."""
    tcls, kcls, extra = MODES[mode]
    km, tm = twin(tcls, kcls, I, H, num_layers=2, **extra)
    for m in (km, tm):
        for name in frozen:
            getattr(m, name).requires_grad_(False)
    kx, tx = leaf((SEQ, BATCH, I), 21)
    backprop_both(flat(km(kx)), flat(tm(tx)))
    assert_close(kx.grad, tx.grad)
    assert_same_parameter_grads(km, tm)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_initial_state_given_without_grad_or_zero(mode, bidirectional):
    """The first step's product is skipped when h0 is zeros (no state given), the last backward step's when
    no dh0 is wanted: a given h0 that needs no gradient (and for the LSTM a c0 that does) still matches PyTorch."""
    tcls, kcls, extra = MODES[mode]
    km, tm = twin(tcls, kcls, I, H, num_layers=2, bidirectional=bidirectional, **extra)
    D = 2 if bidirectional else 1
    kx, tx = leaf((SEQ, BATCH, I), 31)
    h = np.random.default_rng(32).standard_normal((2 * D, BATCH, H)).astype(np.float32)
    kh, th = K.tensor(h), T.tensor(h)
    if mode == "lstm":
        kc, tc = leaf((2 * D, BATCH, H), 33)
        kouts, touts = flat(km(kx, (kh, kc))), flat(tm(tx, (th, tc)))
    else:
        kouts, touts = flat(km(kx, kh)), flat(tm(tx, th))
    check(km, tm, [kx] + ([kc] if mode == "lstm" else []), [tx] + ([tc] if mode == "lstm" else []), kouts, touts)
    km.zero_grad()
    tm.zero_grad()
    check(km, tm, [], [], flat(km(kx)), flat(tm(tx)))
