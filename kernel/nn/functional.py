"""torch.nn.functional: activations, linear, dropout, padding, one_hot, and (star-imported)
the losses and the convolution / pooling / normalisation forms.

Ops that beginners' models run every step are single fused Functions (one graph node,
forward and backward side by side on arrays), the kernel's way of keeping Python overhead low.
"""

from __future__ import annotations

import math

import numpy as np

from .. import compute
from .. import random as _random
from ..function import Function, named
from ..ops.linalg import _dn
from ..ops.elementwise import relu as _ops_relu
from ..ops.elementwise import _erf, sigmoid, tanh  # noqa: F401  (re-exported as F.sigmoid, F.tanh)
from ..ops.elementwise import erf as _erf_graph, exp as _exp_graph, locally_constant as _locally_constant, where as _where
from ..ops.reduce import log_softmax, softmax  # noqa: F401
from ..ops.attention import scaled_dot_product_attention  # noqa: F401
from ..tensor import Tensor
from ..ops.conv import *  # noqa: F401,F403
from ..ops.norm import *  # noqa: F401,F403
from ..ops.pool import *  # noqa: F401,F403
from ..ops.volumetric import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403


def _inplace_result(input: Tensor, out: Tensor, inplace: bool) -> Tensor:
    if not inplace:
        return out
    input._check_inplace()
    return input._assign(out)


# ---- linear ------------------------------------------------------------------------------
class Linear(Function):
    """x @ W.T + b in one node: forward and backward are one or two GEMMs each."""

    def forward(self, x, w, b=None):
        self.w = w
        k = x.shape[-1]
        # Wider out than in: the bias rides in the product, x with a column of ones and [W | b] (copying x
        # costs less than a pass adding b over the output, and its gradient comes out of W's product
        # instead of a sum over the output's gradient)
        self.folded = b is not None and x.ndim > 1 and k < w.shape[0]
        if self.folded:
            xa = np.empty(x.shape[:-1] + (k + 1,), x.dtype)
            xa[..., :k] = x
            xa[..., k] = 1
            wa = np.empty((w.shape[0], k + 1), w.dtype)
            wa[:, :k] = w
            wa[:, k] = b
            self.x = xa
            return compute.matmul(xa, wa.T)
        self.x = x
        out = compute.matmul(x, w.T) if x.ndim > 1 else x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g):
        n = self.needs_input_grad
        x, w = self.x, self.w
        gx = (compute.matmul(g, w) if g.ndim > 1 else g @ w) if n[0] else None
        gw = gb = None
        want_b = len(n) > 2 and n[2]
        if n[1]:
            if x.ndim == 1:
                gw = np.outer(g, x)
            else:
                gw = compute.gemm(g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1]), trans_a=True)
                if self.folded:  # [dW | db] from the ones-extended input
                    gb = gw[:, -1].copy() if want_b else None
                    gw = np.ascontiguousarray(gw[:, :-1])
        if want_b and gb is None:
            gb = g.reshape(-1, g.shape[-1]).sum(axis=0) if g.ndim > 1 else g
        return gx, gw, gb

    def backward_graph(self, g):
        n = self.needs_input_grad
        x, w = self.parents[0], self.parents[1]
        gx = g.matmul(w) if n[0] else None
        gw = gb = None
        if n[1]:
            if x.array.ndim == 1:
                gw = g.unsqueeze(-1) * x
            else:
                gw = g.reshape(-1, g.array.shape[-1]).t().matmul(x.reshape(-1, x.array.shape[-1]))
        if len(n) > 2 and n[2]:
            gb = g.reshape(-1, g.array.shape[-1]).sum(0) if g.array.ndim > 1 else g
        return gx, gw, gb

    @property
    def next_functions(self):
        """For a 2-D input, PyTorch's addmm(bias, input, weight.t()) / mm(input, weight.t()) order, with the
        weight behind a TBackward0 node; other inputs keep the plain (input, weight, bias) order."""
        nodes = super().next_functions
        if self.parents[0].array.ndim != 2:
            return nodes
        weight = (_Transposed(nodes[1][0]), 0)
        return (nodes[2], nodes[0], weight) if len(nodes) > 2 else (nodes[0], weight)


class _Transposed:
    """The TBackward0 node between a weight and PyTorch's addmm/mm in `next_functions` (display only)."""

    def __init__(self, weight_node) -> None:
        self.next_functions = ((weight_node, 0),)

    def name(self) -> str:
        return "TBackward0"

    def __repr__(self) -> str:
        return f"<TBackward0 object at {hex(id(self))}>"


def linear(input, weight, bias=None):
    x, w = input.array, weight.array
    if w.ndim == 2 and x.ndim >= 1 and x.shape[-1] != w.shape[1]:
        rows = x.size // x.shape[-1] if x.ndim > 1 and x.shape[-1] else (1 if x.ndim == 1 else x.shape[0])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and {w.shape[1]}x{w.shape[0]})")
    if x.dtype != w.dtype:  # addmm's message with a bias, matmul's without
        if bias is not None:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_dtype_name(input)} and {_dtype_name(weight)}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_dn(input)} != {_dn(weight)}")
    if bias is not None and bias.array.dtype != w.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_dtype_name(bias)} and {_dtype_name(weight)}")
    out = Linear.apply(input, weight) if bias is None else Linear.apply(input, weight, bias)
    return named(out, _LINEAR_NAMES[min(x.ndim, 3), bias is not None])


# the node PyTorch's linear ends with, by input dimensions and bias (addmm, mm, or a view of them)
_LINEAR_NAMES = {(1, False): "SqueezeBackward4", (1, True): "ViewBackward0", (2, False): "MmBackward0",
                 (2, True): "AddmmBackward0", (3, False): "UnsafeViewBackward0", (3, True): "ViewBackward0"}


def bilinear(input1, input2, weight, bias=None):
    from ..ops.linalg import matmul

    out = (matmul(input1.unsqueeze(-2).unsqueeze(-3), weight) * input2.unsqueeze(-2).unsqueeze(-3)).sum(-1).squeeze(-1)
    return out if bias is None else out + bias


def _dtype_name(t: Tensor) -> str:
    return t.dtype.scalar_name


# ---- activations -------------------------------------------------------------------------
class _Pointwise(Function):
    """An activation y = f(x) whose backward is g * f'(x), f' from the saved input/output."""

    def forward(self, a, **kw):
        self.a, self.kw = a, kw
        self.out = self.f(a, **kw)
        return self.out

    def backward(self, g):
        return g * self.df(self.a, self.out, **self.kw)

    piecewise_linear = False  # df is piecewise constant (LeakyReLU, Hardtanh): its own derivative is zero

    @property
    def reads_parents(self) -> bool:  # piecewise-linear ones fall back on the saved input (in-place forms)
        return not self.piecewise_linear

    def backward_graph(self, g):
        a = self.parents[0]
        if self.piecewise_linear:
            if a._ctx is not self.parent_ctxs[0]:  # inplace=True: the input now holds the output; df from the saved input
                return g * Tensor._make(self.df(self.a, None, **self.kw))
            return g * _locally_constant(a, lambda x: self.df(x, None, **self.kw))
        if not hasattr(self, "df_graph"):
            return super().backward_graph(g)  # the clear "not supported" error
        return g * self.df_graph(a, **self.kw)


class LeakyRelu(_Pointwise):
    @staticmethod
    def f(a, slope):
        return np.where(a > 0, a, a * np.asarray(slope, a.dtype))

    @staticmethod
    def df(a, out, slope):
        return np.where(a > 0, np.asarray(1, a.dtype), np.asarray(slope, a.dtype))

    piecewise_linear = True


class Elu(_Pointwise):
    @staticmethod
    def f(a, alpha, scale=1.0, input_scale=1.0):
        neg = (alpha * np.expm1(np.minimum(a, 0) * input_scale)).astype(a.dtype, copy=False)
        return (scale * np.where(a > 0, a, neg)).astype(a.dtype, copy=False)

    @staticmethod
    def df(a, out, alpha, scale=1.0, input_scale=1.0):
        neg = (input_scale * scale * alpha * np.exp(np.minimum(a, 0) * input_scale)).astype(a.dtype, copy=False)
        return np.where(a > 0, np.asarray(scale, a.dtype), neg)

    @staticmethod
    def df_graph(a, alpha, scale=1.0, input_scale=1.0):
        neg = (a.clamp(max=0) * input_scale).exp() * (input_scale * scale * alpha)
        return _where(a > 0, float(scale), neg)


class Gelu(_Pointwise):
    @staticmethod
    def f(a, tanh_approx):
        if tanh_approx:
            return (0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))).astype(a.dtype, copy=False)
        return (0.5 * a * (1 + _erf(a * np.asarray(1 / math.sqrt(2), a.dtype)))).astype(a.dtype, copy=False)

    @staticmethod
    def df(a, out, tanh_approx):
        if tanh_approx:
            k = math.sqrt(2 / math.pi)
            t = np.tanh(k * (a + 0.044715 * a ** 3))
            return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * k * (1 + 3 * 0.044715 * a * a)
        cdf = 0.5 * (1 + _erf(a * np.asarray(1 / math.sqrt(2), a.dtype)))
        return cdf + a * np.exp(-0.5 * a * a) * np.asarray(1 / math.sqrt(2 * math.pi), a.dtype)

    @staticmethod
    def df_graph(a, tanh_approx):
        if tanh_approx:
            k = math.sqrt(2 / math.pi)
            t = tanh(k * (a + 0.044715 * a ** 3))
            return 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * k * (1 + 3 * 0.044715 * a * a)
        return 0.5 * (1 + _erf_graph(a * (1 / math.sqrt(2)))) + a * _exp_graph(-0.5 * a * a) * (1 / math.sqrt(2 * math.pi))


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def _softplus(a):
    """log(1 + exp(a)) without overflow."""
    return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))


class Silu(_Pointwise):
    @staticmethod
    def f(a):
        return a * _sigmoid(a)

    @staticmethod
    def df(a, out):
        s = _sigmoid(a)
        return s * (1 + a * (1 - s))

    @staticmethod
    def df_graph(a):
        s = sigmoid(a)
        return s * (1 + a * (1 - s))


class Mish(_Pointwise):
    @staticmethod
    def f(a):
        return a * np.tanh(_softplus(a))

    @staticmethod
    def df(a, out):
        t = np.tanh(_softplus(a))
        return t + a * (1 - t * t) * _sigmoid(a)

    @staticmethod
    def df_graph(a):
        t = tanh(softplus(a))
        return t + a * (1 - t * t) * sigmoid(a)


class Softplus(_Pointwise):
    @staticmethod
    def f(a, beta, threshold):
        soft = (_softplus(a * beta) / beta).astype(a.dtype, copy=False)
        return np.where(a * beta > threshold, a, soft)

    @staticmethod
    def df(a, out, beta, threshold):
        return np.where(a * beta > threshold, np.asarray(1, a.dtype), _sigmoid((a * beta).astype(a.dtype, copy=False)))

    @staticmethod
    def df_graph(a, beta, threshold):
        return _where(a * beta > threshold, 1.0, sigmoid(a * beta))


class Hardtanh(_Pointwise):
    @staticmethod
    def f(a, lo, hi):
        return np.clip(a, lo, hi)

    @staticmethod
    def df(a, out, lo, hi):
        return ((a > lo) & (a < hi)).astype(a.dtype)

    piecewise_linear = True


class Hardsigmoid(_Pointwise):
    @staticmethod
    def f(a):
        return np.clip(a / 6 + 0.5, 0, 1).astype(a.dtype, copy=False)

    @staticmethod
    def df(a, out):
        return (((a > -3) & (a < 3)) / 6).astype(a.dtype)


class Hardswish(_Pointwise):
    @staticmethod
    def f(a):
        return (a * np.clip(a + 3, 0, 6) / 6).astype(a.dtype, copy=False)

    @staticmethod
    def df(a, out):
        return np.where(a < -3, 0, np.where(a > 3, 1, (2 * a + 3) / 6)).astype(a.dtype)

    @staticmethod
    def df_graph(a):
        return _where(a < -3, 0.0, _where(a > 3, 1.0, (2 * a + 3) / 6))


class LogSigmoid(_Pointwise):
    @staticmethod
    def f(a):
        return -_softplus(-a)

    @staticmethod
    def df(a, out):
        return _sigmoid(-a)

    @staticmethod
    def df_graph(a):
        return sigmoid(-a)


class Softsign(_Pointwise):
    @staticmethod
    def f(a):
        return a / (1 + np.abs(a))

    @staticmethod
    def df(a, out):
        return 1 / (1 + np.abs(a)) ** 2

    @staticmethod
    def df_graph(a):
        return 1 / (1 + a.abs()) ** 2


class Tanhshrink(_Pointwise):
    @staticmethod
    def f(a):
        return a - np.tanh(a)

    @staticmethod
    def df(a, out):
        return np.tanh(a) ** 2

    @staticmethod
    def df_graph(a):
        return tanh(a) ** 2


class Threshold(_Pointwise):
    @staticmethod
    def f(a, threshold, value):
        return np.where(a > threshold, a, np.asarray(value, a.dtype))

    @staticmethod
    def df(a, out, threshold, value):
        return (a > threshold).astype(a.dtype)

    piecewise_linear = True


class Shrink(_Pointwise):
    """hardshrink (soft=False) and softshrink (soft=True)."""

    @staticmethod
    def f(a, lambd, soft):
        keep = np.abs(a) > lambd
        return np.where(keep, a - np.sign(a) * lambd if soft else a, 0).astype(a.dtype, copy=False)

    @staticmethod
    def df(a, out, lambd, soft):
        return (np.abs(a) > lambd).astype(a.dtype)

    piecewise_linear = True


def _act(cls, input, inplace=False, **kw):
    return _inplace_result(input, cls.apply(input, **kw), inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _act(LeakyRelu, input, inplace, slope=negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return _act(Elu, input, inplace, alpha=alpha)


def celu(input, alpha=1.0, inplace=False):
    return _act(Elu, input, inplace, alpha=alpha, input_scale=1.0 / alpha)


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _act(Elu, input, inplace, alpha=_SELU_ALPHA, scale=_SELU_SCALE)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return Gelu.apply(input, tanh_approx=approximate == "tanh")


def silu(input, inplace=False):
    return _act(Silu, input, inplace)


def mish(input, inplace=False):
    return _act(Mish, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return Softplus.apply(input, beta=beta, threshold=threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _act(Hardtanh, input, inplace, lo=min_val, hi=max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    return _act(Hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    return _act(Hardswish, input, inplace)


def logsigmoid(input):
    return LogSigmoid.apply(input)


def softsign(input):
    return Softsign.apply(input)


def tanhshrink(input):
    return Tanhshrink.apply(input)


def threshold(input, threshold, value, inplace=False):
    return _act(Threshold, input, inplace, threshold=threshold, value=value)


def hardshrink(input, lambd=0.5):
    return Shrink.apply(input, lambd=lambd, soft=False)


def softshrink(input, lambd=0.5):
    return Shrink.apply(input, lambd=lambd, soft=True)


def relu_(input):
    return relu(input, inplace=True)


def relu(input, inplace=False):
    return _inplace_result(input, _ops_relu(input), inplace)


def prelu(input, weight):
    w = weight
    if input.array.ndim >= 2 and weight.array.size > 1:
        w = weight.reshape(-1, *([1] * (input.array.ndim - 2)))
    return relu(input) - w * relu(-input)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, dtype=dtype)


def glu(input, dim=-1):
    a, b = input.chunk(2, dim)
    return a * sigmoid(b)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    from ..ops.elementwise import clamp

    if p == 2:
        norm = (input * input).sum(dim, keepdim=True) ** 0.5
    else:
        norm = (input.abs() ** p).sum(dim, keepdim=True) ** (1.0 / p)
    return input / clamp(norm, min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    from ..ops.elementwise import clamp

    n1 = ((x1 * x1).sum(dim) ** 0.5)
    n2 = ((x2 * x2).sum(dim) ** 0.5)
    return (x1 * x2).sum(dim) / (clamp(n1, min=eps) * clamp(n2, min=eps))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return (((x1 - x2 + eps).abs() ** p).sum(-1, keepdim=keepdim)) ** (1.0 / p)


# ---- dropout -----------------------------------------------------------------------------
class _MaskScale(Function):
    """y = x * mask, with mask already holding the 1/(1-p) scale."""

    saves_tensors = False
    reads_parents = False

    def forward(self, a, mask):
        self.mask = mask
        return a * mask

    def backward(self, g):
        return g * self.mask, None

    def backward_graph(self, g):
        return g * Tensor._make(self.mask), None


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    a = input.array
    if p == 1.0:
        mask = np.zeros(a.shape, dtype=a.dtype)
    else:
        # the kept elements' scale picked in one pass (a bool cast and a multiply were two)
        keep = _random.rng().random(a.shape, dtype=np.float32) >= p
        mask = np.where(keep, np.asarray(1.0 / (1.0 - p), a.dtype), np.asarray(0, a.dtype))
    out = _MaskScale.apply(input, Tensor._make(mask))
    return _inplace_result(input, out, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _channel_dropout(input, p, training, inplace, 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _channel_dropout(input, p, training, inplace, 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _channel_dropout(input, p, training, inplace, 3)


def _channel_dropout(input, p, training, inplace, spatial):
    """Zero whole channels: the mask has shape (N, C, 1, ...)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    a = input.array
    shape = a.shape[: a.ndim - spatial] + (1,) * spatial
    keep = _random.rng().random(shape, dtype=np.float32) >= p
    mask = keep.astype(a.dtype) * np.asarray(0.0 if p == 1.0 else 1.0 / (1.0 - p), a.dtype)
    return _inplace_result(input, _MaskScale.apply(input, Tensor._make(mask)), inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    if not training or p == 0.0:
        return input
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    keep = (_random.rng().random(input.array.shape, dtype=np.float32) >= p).astype(input.array.dtype)
    a = (1 - p) * (1 + p * alpha_p ** 2)
    a = a ** -0.5
    b = -a * alpha_p * p
    kt = Tensor._make(keep)
    return (input * kt + Tensor._make((1 - keep) * alpha_p)) * a + b


# ---- one_hot, pad, embedding-free helpers ---------------------------------------------------
def one_hot(tensor, num_classes=-1):
    a = tensor.array
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if a.size and a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    elif a.size and a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(a.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, a[..., None], 1, axis=-1)
    return Tensor._make(out)


class Pad(Function):
    """Constant padding (negative widths crop), or reflect / replicate / circular via an index map."""
    reads_parents = False

    def forward(self, a, widths, mode, value):
        self.in_shape, self.mode, self.widths = a.shape, mode, widths
        if mode == "constant":
            crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, a.shape))
            a = a[crop]
            pos = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
            self.crop = crop
            self.inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(pos, a.shape))
            return np.pad(a, pos, mode="constant", constant_values=value)
        np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
        self.maps = []
        out = a
        for axis, (lo, hi) in enumerate(widths):
            if lo or hi:
                idx = np.pad(np.arange(a.shape[axis]), (lo, hi), mode=np_mode)
                self.maps.append((axis, idx))
                out = np.take(out, idx, axis=axis)
        return out

    def backward(self, g):
        if self.mode == "constant":
            inner = g[self.inner]
            if all(s == slice(0, n) for s, n in zip(self.crop, self.in_shape)):
                return inner
            full = np.zeros(self.in_shape, dtype=g.dtype)
            full[self.crop] = inner
            return full
        for axis, idx in reversed(self.maps):
            shape = list(g.shape)
            shape[axis] = int(idx.max()) + 1
            acc = np.zeros(shape, dtype=g.dtype)
            np.add.at(acc, (slice(None),) * axis + (idx,), g)
            g = acc
        return g

    def backward_graph(self, g):
        from ..ops.index import IndexPutZeros

        if self.mode == "constant":
            inner = g[self.inner]
            if all(s == slice(0, n) for s, n in zip(self.crop, self.in_shape)):
                return inner
            return IndexPutZeros.apply(inner, shape=self.in_shape, idx=self.crop)
        for axis, idx in reversed(self.maps):
            shape = list(g.array.shape)
            shape[axis] = int(idx.max()) + 1
            g = IndexPutZeros.apply(g, shape=tuple(shape), idx=(slice(None),) * axis + (idx,))
        return g


def pad(input, pad, mode="constant", value=None):
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input.array.ndim
    if len(pad) // 2 > nd:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got padding length {len(pad)} and input of dimension {nd}")
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant" and not (len(pad) in (2, 4, 6) and len(pad) // 2 + 1 <= nd <= len(pad) // 2 + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    if mode == "reflect":
        for d, (lo, hi) in enumerate(widths):
            if lo >= input.array.shape[d] or hi >= input.array.shape[d]:
                raise RuntimeError(
                    f"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                    f"padding ({lo}, {hi}) at dimension {d} of input {list(input.array.shape)}"
                )
    return Pad.apply(input, widths=tuple(widths), mode=mode, value=0 if value is None else value)

