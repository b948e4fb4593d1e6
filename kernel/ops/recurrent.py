"""Recurrent networks: one Function runs a whole multi-layer, optionally bidirectional
RNN / LSTM / GRU over a sequence, with a hand-written backward through time.

Why one node: a per-op graph would cost ~10 Python-level nodes per time step and layer.
Here each layer-direction does one matrix multiply for the input projection of all time
steps, then per step only the recurrent matmul and in-place gate maths on NumPy arrays.
The backward loop mirrors it (per step: gate gradients, one matmul for dh); the weight
gradients come out of one matmul each after the loop.

The Function returns one flat array holding output, h_n (and c_n); `Part` views cut the
user-visible tensors out of it, so gradients of all three reach the one backward.
Gate order and parameter layout are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n) with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
"""

from __future__ import annotations

import numpy as np

from .. import compute, random
from ..function import Function

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


# ---- in-place activations (the hot path: no temporaries) ------------------------------------
def _sigmoid_of_negated_(a: np.ndarray) -> np.ndarray:
    """sigmoid(z) in place, given a = -z (the callers fold the sign into their weights)."""
    np.exp(a, out=a)
    a += 1
    return np.reciprocal(a, out=a)


def _tanh_(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """tanh(a) = 1 - 2 / (1 + exp(2a)), in place or into `out`: Pyodide's NumPy takes ~4.5x longer per
    element for tanh than for exp (exp overflowing to inf gives 1, as it should); five passes."""
    out = a if out is None else out
    np.multiply(a, 2, out=out)
    np.exp(out, out=out)
    out += 1
    np.divide(-2, out, out=out)
    out += 1
    return out


# ---- one layer, one direction -------------------------------------------------------------
def _with_ones(x):
    """The layer input as (T*B, I + 1) rows ending in a 1: the bias rides in the input products
    (its own pass over the (T, B, G*H) projection, and the bias gradient's sum over it, cost more than
    one more column of the product, in Pyodide's NumPy and with a host library alike)."""
    T, B, I = x.shape
    xa = np.empty((T, B, I + 1), x.dtype)
    xa[:, :, :I] = x
    xa[:, :, I] = 1
    return xa.reshape(T * B, I + 1)


def _project(x, xa, w_ih, b):
    """Input projection for all time steps at once: (T, B, I) @ W_ih^T + b -> (T, B, G*H); with a bias,
    one product of the ones-extended input `xa` (see _with_ones) and [W_ih | b]."""
    T, B, I = x.shape
    if b is None:
        xp = compute.gemm(x.reshape(T * B, I), w_ih, trans_b=True)
    else:
        xp = compute.gemm(xa, np.concatenate([w_ih, b[:, None]], axis=1), trans_b=True)
    return xp.reshape(T, B, -1)


def _steps(T: int, reverse: bool):
    return range(T - 1, -1, -1) if reverse else range(T)


def _prev(seq, first, reverse: bool):
    """The state each step started from: `first` at the first step, else the neighbour's."""
    prev = np.empty_like(seq)
    if reverse:
        prev[-1], prev[:-1] = first, seq[1:]
    else:
        prev[0], prev[1:] = first, seq[:-1]
    return prev


def _gates_o_first(w, H):
    """PyTorch's LSTM rows (i, f, g, o) reordered to (o, i, f, g): the three sigmoid gates
    come first (one activation call per step) and the three gates that dc drives come last."""
    return np.concatenate([w[3 * H :], w[: 3 * H]])


def _gates_torch_order(w, H):
    """Rows (o, i, f, g) back to PyTorch's (i, f, g, o)."""
    return np.concatenate([w[H:], w[:H]])


def _lstm_forward(x, xa, w_ih, w_hh, b_ih, b_hh, h, c, reverse, h_zero=False):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    # One exp and +1 over all four gates per step: the sigmoid gates see -z and g sees -2z (signs and
    # the 2 folded into the weights), so 1 / (1 + e) gives o, i, f and 2 / (1 + e) - 1 = tanh(z) gives g.
    scale = np.full(4 * H, -1, x.dtype)
    scale[3 * H :] = -2
    b = None if b_ih is None else _gates_o_first(b_ih + b_hh, H) * scale
    xp = _project(x, xa, _gates_o_first(w_ih, H) * scale[:, None], b)
    whh = np.ascontiguousarray((_gates_o_first(w_hh, H) * scale[:, None]).T)  # row-major: the faster GEMM
    A = np.empty((T, B, 4 * H), x.dtype)  # activated gates o, i, f, g
    C = np.empty((T, B, H), x.dtype)  # cell states
    TC = np.empty((T, B, H), x.dtype)  # tanh(c)
    Hs = np.empty((T, B, H), x.dtype)
    ig = np.empty((B, H), x.dtype)
    S = 3 * H
    first = T - 1 if reverse else 0
    with compute.constant(whh):  # the same weights every step: the host keeps them
        for t in _steps(T, reverse):
            a = A[t]
            if h_zero and t == first:  # h0 is zeros: no product
                np.positive(xp[t], out=a)  # a copy; a ufunc, so meta inputs (shapes only) pass through
            else:
                compute.gemm(h, whh, out=a)
                a += xp[t]
            np.exp(a, out=a)
            a += 1
            sig, g = a[:, :S], a[:, S:]
            np.reciprocal(sig, out=sig)  # o, i, f = 1 / (1 + exp(-z))
            np.divide(2, g, out=g)  # g = 2 / (1 + exp(-2z)) - 1 = tanh(z)
            g -= 1
            ct = np.multiply(a[:, 2 * H : S], c, out=C[t])
            ct += np.multiply(a[:, H : 2 * H], g, out=ig)
            tc = _tanh_(ct, out=TC[t])
            h = np.multiply(a[:, :H], tc, out=Hs[t])
            c = ct
    return Hs, h, c, (A, C, TC)


def _lstm_backward(saved, x, h0, c0, Hs, w_hh, gy, dh, dc, reverse, need_dh0=True):
    """Backward through time; returns (dG, dh0, dc0): dG the pre-activation gate gradients.

    Each step's gate derivatives are formed from that step's saved gates into its slice of dG
    (in-cache passes over (B, H) blocks, no sequence-sized temporaries)."""
    A, C, TC = saved
    T, B, H = C.shape
    S = 3 * H
    dG = np.empty_like(A)
    whh = _gates_o_first(w_hh, H)
    s = np.empty((B, H), A.dtype)
    first = T - 1 if reverse else 0
    with compute.constant(whh):  # the same weights every step: the host keeps them
        for t in _steps(T, not reverse):
            a, d = A[t], dG[t]
            o, i, f, g = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : S], a[:, S:]
            do, di, df, dg = d[:, :H], d[:, H : 2 * H], d[:, 2 * H : S], d[:, S:]
            tc = TC[t]
            c_prev = c0 if t == first else C[t + 1 if reverse else t - 1]
            if gy is not None:
                dh += gy[t]
            np.subtract(1, a[:, :S], out=d[:, :S])  # the sigmoid gates' derivative s (1 - s), o, i, f in one go
            d[:, :S] *= a[:, :S]
            np.multiply(tc, tc, out=s)  # dc += dh * o * (1 - tanh(c)^2)
            np.subtract(1, s, out=s)
            s *= o
            s *= dh
            dc += s
            do *= tc  # do = dh * tanh(c) * o (1 - o)
            do *= dh
            di *= g  # di = dc * g * i (1 - i)
            di *= dc
            df *= c_prev  # df = dc * c_prev * f (1 - f)
            df *= dc
            np.multiply(g, g, out=dg)  # dg = dc * i * (1 - g^2)
            np.subtract(1, dg, out=dg)
            dg *= i
            dg *= dc
            dc *= f
            if need_dh0 or t != first:  # the last step's product only gives dh0
                dh = compute.gemm(d, whh, out=dh)
    return dG, dh, dc  # in the (o, i, f, g) order: see _GATE_ORDER


def _gru_forward(x, xa, w_ih, w_hh, b_ih, b_hh, h, c, reverse, h_zero=False):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    b_in = None
    if b_ih is not None:
        b = b_ih.copy()
        b[: 2 * H] += b_hh[: 2 * H]
        b_in = b_hh[2 * H :]
    sign = np.ones(3 * H, x.dtype)
    sign[: 2 * H] = -1  # r and z see -z, so exp(-z) needs no negation pass
    xp = _project(x, xa, w_ih * sign[:, None], None if b_ih is None else b * sign)
    whh = np.ascontiguousarray((w_hh * sign[:, None]).T)
    RZ = np.empty((T, B, 2 * H), x.dtype)
    N = np.empty((T, B, H), x.dtype)
    HN = np.empty((T, B, H), x.dtype)  # W_hn h + b_hn
    Hs = np.empty((T, B, H), x.dtype)
    hp = np.empty((B, 3 * H), x.dtype)
    first = T - 1 if reverse else 0
    with compute.constant(whh):  # the same weights every step: the host keeps them
        for t in _steps(T, reverse):
            if h_zero and t == first:  # h0 is zeros: no product
                hp.fill(0)
            else:
                compute.gemm(h, whh, out=hp)
            rz = np.add(xp[t, :, : 2 * H], hp[:, : 2 * H], out=RZ[t])
            _sigmoid_of_negated_(rz)
            hn = HN[t]
            if b_in is None:
                hn[...] = hp[:, 2 * H :]
            else:
                np.add(hp[:, 2 * H :], b_in, out=hn)
            n = np.multiply(rz[:, :H], hn, out=N[t])
            n += xp[t, :, 2 * H :]
            _tanh_(n)
            hs = np.subtract(h, n, out=Hs[t])
            hs *= rz[:, H:]
            hs += n
            h = hs
    return Hs, h, None, (RZ, N, HN)


def _gru_backward(saved, x, h0, c0, Hs, w_hh, gy, dh, dc, reverse, need_dh0=True):
    """Returns (dXP, dh0, None, dHP): dXP for the input side, dHP for the hidden side."""
    RZ, N, HN = saved
    T, B, H = N.shape
    r, z = RZ[:, :, :H], RZ[:, :, H:]
    Q1 = (1 - z) * (1 - N * N)  # dn_pre = dh * Q1
    Q2 = (_prev(Hs, h0, reverse) - N) * z * (1 - z)  # dz_pre = dh * Q2
    Q3 = HN * r * (1 - r)  # dr_pre = dn_pre * Q3
    dHP = np.empty((T, B, 3 * H), x.dtype)
    dN = np.empty((T, B, H), x.dtype)
    first = T - 1 if reverse else 0
    with compute.constant(w_hh):  # the same weights every step: the host keeps them
        for t in _steps(T, not reverse):
            if gy is not None:
                dh = dh + gy[t]
            dn = np.multiply(dh, Q1[t], out=dN[t])
            d = dHP[t]
            np.multiply(dn, Q3[t], out=d[:, :H])
            np.multiply(dh, Q2[t], out=d[:, H : 2 * H])
            np.multiply(dn, r[t], out=d[:, 2 * H :])
            if not need_dh0 and t == first:  # the rest only gives dh0
                break
            back = compute.gemm(d, w_hh)
            dh = dh * z[t]
            dh += back
    dXP = np.concatenate([dHP[:, :, : 2 * H], dN], axis=2)
    return dXP, dh, None, dHP


def _rnn_forward(relu):
    def forward(x, xa, w_ih, w_hh, b_ih, b_hh, h, c, reverse, h_zero=False):
        T, B, _ = x.shape
        xp = _project(x, xa, w_ih, None if b_ih is None else b_ih + b_hh)
        whh = np.ascontiguousarray(w_hh.T)
        Hs = np.empty((T, B, w_hh.shape[1]), x.dtype)
        first = T - 1 if reverse else 0
        with compute.constant(whh):  # the same weights every step: the host keeps them
            for t in _steps(T, reverse):
                if h_zero and t == first:  # h0 is zeros: no product
                    a = Hs[t]
                    np.positive(xp[t], out=a)  # a copy; a ufunc, so meta inputs (shapes only) pass through
                else:
                    a = compute.gemm(h, whh, out=Hs[t])
                    a += xp[t]
                np.maximum(a, 0, out=a) if relu else _tanh_(a)
                h = a
        return Hs, h, None, ()

    return forward


def _rnn_backward(relu):
    def backward(saved, x, h0, c0, Hs, w_hh, gy, dh, dc, reverse, need_dh0=True):
        D = (Hs > 0).astype(Hs.dtype) if relu else 1 - Hs * Hs
        dP = np.empty_like(Hs)
        first = len(Hs) - 1 if reverse else 0
        with compute.constant(w_hh):  # the same weights every step: the host keeps them
            for t in _steps(len(Hs), not reverse):
                if gy is not None:
                    dh = dh + gy[t]
                np.multiply(dh, D[t], out=dP[t])
                if need_dh0 or t != first:  # the last step's product only gives dh0
                    dh = compute.gemm(dP[t], w_hh)
        return dP, dh, None

    return backward


_FORWARD = {"LSTM": _lstm_forward, "GRU": _gru_forward, "RNN_TANH": _rnn_forward(False), "RNN_RELU": _rnn_forward(True)}
# modes whose backward returns gate gradients in an internal order: (to internal, back to PyTorch's)
_GATE_ORDER = {"LSTM": (_gates_o_first, _gates_torch_order)}
_BACKWARD = {"LSTM": _lstm_backward, "GRU": _gru_backward, "RNN_TANH": _rnn_backward(False), "RNN_RELU": _rnn_backward(True)}


# ---- the whole network as one node --------------------------------------------------------
class RNNStack(Function):
    """Inputs: x (T, B, I) time-major, h0 and c0 (L*D, B, H) or None, then per layer and
    direction (w_ih, w_hh[, b_ih, b_hh]). Output: flat [output (T, B, D*H), h_n, c_n]."""

    def forward(self, x, h0, c0, *weights, **options):
        with np.errstate(over="ignore"):  # exp(-z) -> inf for very negative z gives sigmoid 0, as it should
            return self._forward(x, h0, c0, *weights, **options)

    def _forward(self, x, h0, c0, *weights, mode, num_layers, bidirectional, dropout=0.0, train=False, batch_first=False):
        self.batch_first = batch_first
        if batch_first:
            x = x.swapaxes(0, 1)
        T, B, _ = x.shape
        D, L = (2 if bidirectional else 1), num_layers
        per = len(weights) // (L * D)
        H = weights[1].shape[1]
        dt = x.dtype
        n_out, n_h = T * B * D * H, L * D * B * H
        packed = np.empty(n_out + n_h * (2 if mode == "LSTM" else 1), dt)
        hn = packed[n_out : n_out + n_h].reshape(L * D, B, H)
        cn = packed[n_out + n_h :].reshape(L * D, B, H) if mode == "LSTM" else None
        zeros = np.zeros((B, H), dt)
        run = _FORWARD[mode]
        self.layers, self.masks = [], []
        inp = x
        for layer in range(L):
            out = packed[:n_out].reshape(T, B, D * H) if layer == L - 1 else np.empty((T, B, D * H), dt)
            xa = _with_ones(inp) if per == 4 else None  # shared by the directions' input products
            dirs = []
            for d in range(D):
                k = layer * D + d
                w_ih, w_hh, b_ih, b_hh = (weights[k * per : (k + 1) * per] + (None, None))[:4]
                h = zeros if h0 is None else h0[k]
                c = zeros if c0 is None else c0[k] if mode == "LSTM" else None
                Hs, hn[k], ck, saved = run(inp, xa, w_ih, w_hh, b_ih, b_hh, h, c, d == 1, h_zero=h0 is None)
                if cn is not None:
                    cn[k] = ck
                out[:, :, d * H : (d + 1) * H] = Hs
                dirs.append((Hs, h, c, saved))
            self.layers.append((inp, xa, dirs))
            mask = None
            if dropout and train and layer < L - 1:
                keep = random.rng().random(out.shape, dtype=np.float32) >= dropout
                mask = keep.astype(dt) * (1 / (1 - dropout) if dropout < 1 else 0)
                out = out * mask
            self.masks.append(mask)
            inp = out
        self.shape = dict(T=T, B=B, D=D, L=L, H=H, per=per, mode=mode, n_out=n_out, n_h=n_h)
        self.weights = weights
        return packed

    def backward(self, g):
        s = self.shape
        T, B, D, L, H, per, mode, n_out, n_h = (s[k] for k in ("T", "B", "D", "L", "H", "per", "mode", "n_out", "n_h"))
        needs = self.needs_input_grad
        gout = g[:n_out].reshape(T, B, D * H)
        ghn = g[n_out : n_out + n_h].reshape(L * D, B, H)
        gcn = g[n_out + n_h :].reshape(L * D, B, H) if mode == "LSTM" else None
        back = _BACKWARD[mode]
        grads = [None] * (3 + len(self.weights))
        dh0 = np.zeros((L * D, B, H), g.dtype) if needs[1] else None
        dc0 = np.zeros((L * D, B, H), g.dtype) if needs[2] else None
        to_internal, to_torch = _GATE_ORDER.get(mode, (None, None))
        gy = gout
        for layer in range(L - 1, -1, -1):
            inp, xa, dirs = self.layers[layer]
            if self.masks[layer] is not None:
                gy = gy * self.masks[layer]
            need_dx = layer > 0 or needs[0]
            dx = None
            for d in range(D):
                k = layer * D + d
                w_ih, w_hh = self.weights[k * per], self.weights[k * per + 1]
                Hs, h, c, saved = dirs[d]
                dcT = None if gcn is None else gcn[k].copy()
                res = back(saved, inp, h, c, Hs, w_hh, gy[:, :, d * H : (d + 1) * H], ghn[k].copy(), dcT, d == 1,
                           need_dh0=dh0 is not None)
                dXP, dh, dc = res[:3]
                dHP = res[3] if len(res) > 3 else dXP
                if dh0 is not None:
                    dh0[k] = dh
                if dc0 is not None:
                    dc0[k] = dc
                flat_x, flat_h = dXP.reshape(T * B, -1), dHP.reshape(T * B, -1)
                base = 3 + k * per
                # the weight gradients are dXP^T @ [input | 1] (dW_ih, and db_ih from the ones column when the input
                # was extended) and dHP^T @ h_(t-1): one transpose serves both when dXP is dHP
                xT = _transposed(flat_x) if needs[base] else None
                db_ih = None
                if needs[base]:
                    I = inp.shape[2]
                    ih = compute.gemm(xT, inp.reshape(T * B, -1) if xa is None else xa)
                    grads[base] = ih[:, :I] if to_torch is not None else np.ascontiguousarray(ih[:, :I])
                    db_ih = ih[:, I].copy() if xa is not None else None
                if needs[base + 1]:
                    hT = xT if dHP is dXP and xT is not None else _transposed(flat_h)
                    grads[base + 1] = compute.gemm(hT, _prev(Hs, h, d == 1).reshape(T * B, H))
                if per == 4:  # both biases get the gates' summed gradient in LSTM and RNN (dHP is dXP), not in GRU
                    if db_ih is None and (needs[base + 2] or (needs[base + 3] and dHP is dXP)):
                        db_ih = flat_x.sum(0)
                    grads[base + 2] = db_ih if needs[base + 2] else None
                    if needs[base + 3]:
                        grads[base + 3] = db_ih.copy() if dHP is dXP else flat_h.sum(0)
                if to_torch is not None:
                    for j in range(base, base + per):
                        if grads[j] is not None:
                            grads[j] = to_torch(grads[j], H)
                if need_dx:
                    part = compute.gemm(flat_x, w_ih if to_internal is None else to_internal(w_ih, H)).reshape(inp.shape)
                    dx = part if dx is None else dx + part
            gy = dx
        if needs[0] and self.batch_first:
            gy = gy.swapaxes(0, 1)
        grads[0], grads[1], grads[2] = gy if needs[0] else None, dh0, dc0
        return tuple(grads)

    def backward_graph(self, g):
        """create_graph=True: the same network rebuilt from Tensor ops on the saved inputs, weights and
        dropout masks (exactly the forward's maths), differentiated with a graph; the NumPy path above
        is untouched."""
        from ..autograd import grad as autograd_grad
        from ..grad_mode import enable_grad

        wanted = [i for i, n in enumerate(self.needs_input_grad) if n]
        with enable_grad():
            # each input through its own alias node: the gradient is w.r.t. that input alone, not also
            # through another input computed from it (c0 = f(h0))
            inputs = list(self.parents)
            for i in wanted:
                inputs[i] = inputs[i].clone()
            flat = _stack_as_tensor_ops(inputs, self.masks, self.shape, self.batch_first)
        found = autograd_grad(flat, [inputs[i] for i in wanted], g, create_graph=True, allow_unused=True)
        grads = [None] * len(self.parents)
        for i, gi in zip(wanted, found):
            grads[i] = gi
        return tuple(grads)


# ---- the same network as Tensor ops (only for create_graph=True: the double backward) --------
def _lstm_step(x_t, h, c, w_ih, w_hh, b_ih, b_hh):
    z = _affine(x_t, h, w_ih, w_hh, b_ih, b_hh)
    i, f, g, o = z.chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _gru_step(x_t, h, c, w_ih, w_hh, b_ih, b_hh):
    gi = x_t @ w_ih.mT if b_ih is None else x_t @ w_ih.mT + b_ih
    gh = h @ w_hh.mT if b_hh is None else h @ w_hh.mT + b_hh
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = gh.chunk(3, -1)
    r, z = (i_r + h_r).sigmoid(), (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return (1 - z) * n + z * h, None


def _rnn_step(relu):
    def step(x_t, h, c, w_ih, w_hh, b_ih, b_hh):
        a = _affine(x_t, h, w_ih, w_hh, b_ih, b_hh)
        return (a.relu() if relu else a.tanh()), None
    return step


def _affine(x_t, h, w_ih, w_hh, b_ih, b_hh):
    z = x_t @ w_ih.mT + h @ w_hh.mT
    return z if b_ih is None else z + b_ih + b_hh


_STEP = {"LSTM": _lstm_step, "GRU": _gru_step, "RNN_TANH": _rnn_step(False), "RNN_RELU": _rnn_step(True)}


def _stack_as_tensor_ops(parents, masks, shape, batch_first):
    """RNNStack's flat output [output, h_n, c_n] from Tensor ops on its inputs (a graph to each)."""
    from ..creation import zeros
    from ..tensor import Tensor
    from .shape import cat, stack

    x, h0, c0, *weights = parents
    T, B, D, L, H, per, mode = (shape[k] for k in ("T", "B", "D", "L", "H", "per", "mode"))
    x = x.transpose(0, 1) if batch_first else x
    step = _STEP[mode]
    zero = zeros(B, H, dtype=x.dtype)
    hn, cn, inp = [], [], x
    for layer in range(L):
        outs = []
        for d in range(D):
            k = layer * D + d
            w_ih, w_hh, b_ih, b_hh = (tuple(weights[k * per : (k + 1) * per]) + (None, None))[:4]
            h = zero if h0 is None else h0[k]
            c = (zero if c0 is None else c0[k]) if mode == "LSTM" else None
            hs = [None] * T
            for t in (range(T - 1, -1, -1) if d == 1 else range(T)):
                h, c = step(inp[t], h, c, w_ih, w_hh, b_ih, b_hh)
                hs[t] = h
            outs.append(stack(hs))
            hn.append(h)
            cn.append(c)
        out = cat(outs, -1) if D > 1 else outs[0]
        if masks[layer] is not None:
            out = out * Tensor._make(masks[layer])
        inp = out
    parts = [out.reshape(-1), stack(hn).reshape(-1)] + ([stack(cn).reshape(-1)] if mode == "LSTM" else [])
    return cat(parts)


def _transposed(a: np.ndarray) -> np.ndarray:
    """a^T for the left side of a product: a contiguous copy made once where a host library takes
    the products (it gets row-major operands, and this one is used twice); NumPy's BLAS reads the view."""
    return a.T if compute.active() == "numpy" else compute.transposed(a)


class Part(Function):
    """A view of the RNNStack's flat output; its gradient lands in the right slice."""

    saves_tensors = False
    reads_parents = False

    def forward(self, flat, start, shape, batch_first=False):
        self.size, self.start, self.shape, self.batch_first = flat.shape, start, shape, batch_first
        n = int(np.prod(shape))
        out = flat[start : start + n].reshape(shape)
        return out.swapaxes(0, 1) if batch_first else out

    def backward_graph(self, g):
        from ..creation import zeros
        from .shape import cat

        g = (g.transpose(0, 1) if self.batch_first else g).reshape(-1)
        n = g.shape[0]
        return cat([zeros(self.start, dtype=g.dtype), g, zeros(self.size[0] - self.start - n, dtype=g.dtype)])

    def backward(self, g):
        full = np.zeros(self.size, g.dtype)
        region = full[self.start : self.start + int(np.prod(self.shape))].reshape(self.shape)
        region[...] = g.swapaxes(0, 1) if self.batch_first else g
        return full


# ---- functional forms (torch.lstm / torch.gru / torch.rnn_tanh / ..._cell) -----------------
def _run(mode, input, hx, cx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    B, T = input.array.shape[:2] if batch_first else input.array.shape[1::-1]
    D = 2 if bidirectional else 1
    H = params[1].array.shape[1]
    flat = RNNStack.apply(input, hx, cx, *params, mode=mode, num_layers=num_layers, bidirectional=bidirectional,
                          dropout=float(dropout), train=bool(train), batch_first=batch_first)
    n_out, n_h = T * B * D * H, num_layers * D * B * H
    output = Part.apply(flat, 0, (T, B, D * H), batch_first)
    h_n = Part.apply(flat, n_out, (num_layers * D, B, H))
    if mode != "LSTM":
        return output, h_n
    return output, h_n, Part.apply(flat, n_out + n_h, (num_layers * D, B, H))


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    h0, c0 = hx
    return _run("LSTM", input, h0, c0, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    return _run("GRU", input, hx, None, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    return _run("RNN_TANH", input, hx, None, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    return _run("RNN_RELU", input, hx, None, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def _cell(mode, input, hx, cx, w_ih, w_hh, b_ih, b_hh):
    """One time step: the sequence Function with T = 1; returns h' (and c')."""
    B, H = input.array.shape[0], w_hh.array.shape[1]
    params = (w_ih, w_hh) if b_ih is None else (w_ih, w_hh, b_ih, b_hh)
    x = input.unsqueeze(0)
    hx, cx = (None if t is None else t.unsqueeze(0) for t in (hx, cx))
    flat = RNNStack.apply(x, hx, cx, *params, mode=mode, num_layers=1, bidirectional=False)
    h = Part.apply(flat, B * H, (B, H))
    return (h, Part.apply(flat, 2 * B * H, (B, H))) if mode == "LSTM" else h


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell("LSTM", input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell("GRU", input, hx, None, w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell("RNN_TANH", input, hx, None, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell("RNN_RELU", input, hx, None, w_ih, w_hh, b_ih, b_hh)
