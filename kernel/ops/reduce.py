"""Reductions (sum, mean, max, ...), softmax family and scans."""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import dtypes
from ..function import Function, named
from ..tensor import Tensor, _wrap_dim
from .index import TakeAlong

__all__ = [
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "softmax", "log_softmax", "logsumexp", "std", "var",
    "std_mean", "var_mean", "prod", "all", "any", "cumsum", "cumprod", "sort", "argsort", "topk", "norm", "median",
    "count_nonzero",
]


def _return_type(name: str):
    """A named tuple that prints like PyTorch's `torch.return_types.<name>`."""
    base = namedtuple(name, ["values", "indices"])

    def __repr__(self):
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


return_types_max, return_types_min = _return_type("max"), _return_type("min")
return_types_sort, return_types_topk, return_types_median = _return_type("sort"), _return_type("topk"), _return_type("median")


def _dims(dim, ndim: int):
    """Normalise `dim` (None, int, or sequence) to a tuple of non-negative axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        return tuple(_wrap_dim(d, ndim) for d in dim)
    return (_wrap_dim(dim, ndim),)


def _expand_grad(g: np.ndarray, in_shape: tuple, axes, keepdim: bool) -> np.ndarray:
    """Bring a reduced gradient back to the input's shape (broadcastable)."""
    if axes is not None and not keepdim:
        g = np.expand_dims(g, axes)
    return g


def _keepdim_graph(g: Tensor, in_shape: tuple, axes, keepdim: bool) -> Tensor:
    """A reduced Tensor gradient reshaped with 1s where the reduced axes were (it then broadcasts)."""
    if keepdim:
        return g
    kept = tuple(1 if axes is None or i in axes else n for i, n in enumerate(in_shape))
    return g if g.array.shape == kept else g.reshape(kept)


class Sum(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, axes=None, keepdim=False, dtype=None):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        return np.asarray(a.sum(axis=axes, keepdims=keepdim, dtype=dtype))

    def backward(self, g):
        return np.broadcast_to(_expand_grad(g, self.shape, self.axes, self.keepdim), self.shape)

    def backward_graph(self, g):
        return _keepdim_graph(g, self.shape, self.axes, self.keepdim).expand(*self.shape)


class Mean(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, axes=None, keepdim=False):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        self.count = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        return np.asarray(a.mean(axis=axes, keepdims=keepdim))

    def backward(self, g):
        g = _expand_grad(g, self.shape, self.axes, self.keepdim) / np.asarray(self.count, dtype=g.dtype)
        return np.broadcast_to(g, self.shape)

    def backward_graph(self, g):
        return (_keepdim_graph(g, self.shape, self.axes, self.keepdim) / float(self.count)).expand(*self.shape)


def _sum_dtype(t: Tensor, dtype):
    if dtype is not None:
        return dtypes.to_dtype(dtype).np
    if t.array.dtype.kind in "biu":
        return np.int64
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    axes = _dims(dim, input.array.ndim)
    sd = _sum_dtype(input, dtype)
    out = Sum.apply(input, axes=axes, keepdim=keepdim, dtype=sd)
    return out if axes is None else named(out, "SumBackward1")


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input.array.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {input.dtype.scalar_name}"
        )
    axes = _dims(dim, input.array.ndim)
    out = Mean.apply(input, axes=axes, keepdim=keepdim)
    return out if axes is None else named(out, "MeanBackward1")


class MaxAlong(Function):
    """max/min along one axis: the gradient goes to the selected index."""
    reads_parents = False

    def forward(self, a, axis, keepdim, idx):
        self.shape, self.axis, self.keepdim, self.idx = a.shape, axis, keepdim, idx
        out = np.take_along_axis(a, np.expand_dims(idx, axis), axis)
        return out if keepdim else np.squeeze(out, axis)

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        gg = g if self.keepdim else np.expand_dims(g, self.axis)
        np.put_along_axis(grad, np.expand_dims(self.idx, self.axis), gg, self.axis)
        return grad

    def backward_graph(self, g):
        onehot = np.zeros(self.shape, dtype=g.array.dtype)
        np.put_along_axis(onehot, np.expand_dims(self.idx, self.axis), 1, self.axis)
        return _keepdim_graph(g, self.shape, (self.axis,), self.keepdim) * Tensor._make(onehot)


class AmaxAll(Function):
    """amax/amin over axes: ties share the gradient evenly, as in PyTorch."""
    reads_parents = False

    def forward(self, a, axes, keepdim, largest):
        out = a.max(axis=axes, keepdims=True) if largest else a.min(axis=axes, keepdims=True)
        self.mask = a == out
        self.axes, self.keepdim = axes, keepdim
        return out if keepdim else (out.reshape(()) if axes is None else np.squeeze(out, axes))

    def backward(self, g):
        if not self.keepdim and self.axes is not None:
            g = np.expand_dims(g, self.axes)
        count = self.mask.sum(axis=self.axes, keepdims=True)
        return self.mask * (g / count)

    def backward_graph(self, g):
        share = self.mask / self.mask.sum(axis=self.axes, keepdims=True)
        return _keepdim_graph(g, self.mask.shape, self.axes, self.keepdim) * Tensor._make(share.astype(g.array.dtype))


def _max_min(input, dim, keepdim, largest: bool, name: str):
    if isinstance(dim, Tensor):  # torch.max(a, b) is maximum
        from .elementwise import maximum, minimum

        return maximum(input, dim) if largest else minimum(input, dim)
    if dim is None:
        if input.array.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        return named(AmaxAll.apply(input, axes=None, keepdim=False, largest=largest), "MaxBackward1" if largest else "MinBackward1")
    axis = _wrap_dim(dim, input.array.ndim)
    a = input.array if input.array.ndim else input.array.reshape(1)
    idx = np.argmax(a, axis=axis) if largest else np.argmin(a, axis=axis)
    values = MaxAlong.apply(input if input.array.ndim else input.reshape(1), axis=axis, keepdim=keepdim, idx=idx)
    named(values, "MaxBackward0" if largest else "MinBackward0")
    if input.array.ndim == 0:
        values = values.reshape(())
        idx = idx.reshape(())
    indices = Tensor._make(idx.astype(np.int64) if keepdim is False else np.expand_dims(idx, axis).astype(np.int64))
    return (return_types_max if largest else return_types_min)(values, indices)


def max(input, dim=None, keepdim=False, *, out=None):
    return _max_min(input, dim, keepdim, True, "max")


def min(input, dim=None, keepdim=False, *, out=None):
    return _max_min(input, dim, keepdim, False, "min")


def amax(input, dim=(), keepdim=False):
    return named(AmaxAll.apply(input, axes=_dims(dim, input.array.ndim), keepdim=keepdim, largest=True), "AmaxBackward0")


def amin(input, dim=(), keepdim=False):
    return named(AmaxAll.apply(input, axes=_dims(dim, input.array.ndim), keepdim=keepdim, largest=False), "AminBackward0")


def argmax(input, dim=None, keepdim=False):
    if dim is None:
        return Tensor._make(np.asanyarray(np.argmax(input.array)).astype(np.int64))
    axis = _wrap_dim(dim, input.array.ndim)
    return Tensor._make(np.argmax(input.array, axis=axis, keepdims=keepdim).astype(np.int64))


def argmin(input, dim=None, keepdim=False):
    if dim is None:
        return Tensor._make(np.asanyarray(np.argmin(input.array)).astype(np.int64))
    axis = _wrap_dim(dim, input.array.ndim)
    return Tensor._make(np.argmin(input.array, axis=axis, keepdims=keepdim).astype(np.int64))


class Softmax(Function):
    def forward(self, a, axis):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        self.out = e / e.sum(axis=axis, keepdims=True)
        self.axis = axis
        return self.out

    def backward(self, g):
        y = self.out
        return y * (g - (g * y).sum(axis=self.axis, keepdims=True))

    def backward_graph(self, g):
        y = softmax(self.parents[0], self.axis)
        return y * (g - (g * y).sum(self.axis, keepdim=True))


class LogSoftmax(Function):
    def forward(self, a, axis):
        shifted = a - a.max(axis=axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.axis = axis
        return self.out

    def backward(self, g):
        return g - np.exp(self.out) * g.sum(axis=self.axis, keepdims=True)

    def backward_graph(self, g):
        return g - softmax(self.parents[0], self.axis) * g.sum(self.axis, keepdim=True)


class LogSumExp(Function):
    torch_name = "LogsumexpBackward0"
    def forward(self, a, axes, keepdim):
        m = a.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        s = np.log(np.exp(a - m).sum(axis=axes, keepdims=True)) + m
        self.a, self.s, self.axes, self.keepdim = a, s, axes, keepdim
        return s if keepdim else np.squeeze(s, axes)

    def backward(self, g):
        if not self.keepdim:
            g = np.expand_dims(g, self.axes)
        return g * np.exp(self.a - self.s)

    def backward_graph(self, g):
        a = self.parents[0]
        g = _keepdim_graph(g, a.array.shape, self.axes, self.keepdim)
        return g * (a - logsumexp(a, self.axes if self.axes is not None else tuple(range(a.array.ndim)), keepdim=True)).exp()


def _softmax_dim(input, dim):
    if dim is None:
        dim = 0 if input.array.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit dim
    return _wrap_dim(dim, input.array.ndim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return Softmax.apply(input, axis=_softmax_dim(input, dim))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax.apply(input, axis=_softmax_dim(input, dim))


def logsumexp(input, dim, keepdim=False):
    return LogSumExp.apply(input, axes=_dims(dim, input.array.ndim), keepdim=keepdim)


# ---- variance, products, logic, scans ---------------------------------------------------------
class Var(Function):
    """var (or std, with `sqrt`) over axes with Bessel's `correction`."""

    def forward(self, a, axes, keepdim, correction, sqrt):
        n = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        self.d = a - a.mean(axis=axes, keepdims=True)
        self.denom = np.asarray(builtins.max(n - correction, 0), dtype=a.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (self.d * self.d).sum(axis=axes, keepdims=True) / self.denom
            if sqrt:
                out = np.sqrt(out)
        self.out, self.sqrt, self.axes, self.keepdim = out, sqrt, axes, keepdim
        if keepdim:
            return out
        return out.reshape(()) if axes is None else np.squeeze(out, axes)

    def backward(self, g):
        if not self.keepdim and self.axes is not None:
            g = np.expand_dims(g, self.axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.sqrt:
                return g * self.d / (self.denom * self.out)
            return g * 2 * self.d / self.denom

    def backward_graph(self, g):
        a = self.parents[0]
        axes = self.axes if self.axes is not None else tuple(range(a.array.ndim))
        g = _keepdim_graph(g, a.array.shape, self.axes, self.keepdim)
        d = a - a.mean(axes, keepdim=True)
        if self.sqrt:
            return g * d / (float(self.denom) * (d * d).sum(axes, keepdim=True).div(float(self.denom)).sqrt())
        return g * 2 * d / float(self.denom)


def _var(input, dim, unbiased, keepdim, correction, sqrt: bool):
    if isinstance(dim, bool):  # std(input, unbiased)
        dim, unbiased = None, dim
    if correction is None:
        correction = 0 if unbiased is False else 1
    if input.array.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    out = Var.apply(input, axes=_dims(dim, input.array.ndim), keepdim=keepdim, correction=correction, sqrt=sqrt)
    return named(out, "StdBackward0") if sqrt else out


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var(input, dim, unbiased, keepdim, correction, sqrt=False)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _var(input, dim, unbiased, keepdim, correction, sqrt=True)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, None if isinstance(dim, bool) else dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, None if isinstance(dim, bool) else dim, keepdim)


class Prod(Function):
    """Product along one axis; the gradient uses exclusive products, so zeros are handled exactly."""

    def forward(self, a, axis, keepdim, dtype):
        self.a, self.axis, self.keepdim = a, axis, keepdim
        return np.asarray(a.prod(axis=axis, keepdims=keepdim, dtype=dtype))

    def backward(self, g):
        a, axis = self.a, self.axis
        ones = np.ones_like(np.take(a, [0], axis=axis))
        left = np.concatenate([ones, np.cumprod(a, axis=axis)], axis=axis)
        right = np.flip(np.cumprod(np.flip(a, axis), axis=axis), axis)
        right = np.concatenate([right, ones], axis=axis)
        n = a.shape[axis]
        others = np.take(left, np.arange(n), axis=axis) * np.take(right, np.arange(1, n + 1), axis=axis)
        return (g if self.keepdim else np.expand_dims(g, axis)) * others

    def backward_graph(self, g):
        """g times each element's exclusive product (the others'), from cumulative products both ways."""
        from .shape import cat

        a, axis = self.parents[0], self.axis
        n = a.array.shape[axis]
        lead = (slice(None),) * axis
        ones = Tensor._make(np.ones_like(np.take(a.array, [0], axis=axis)))
        left = cat([ones, a[lead + (slice(0, n - 1),)].cumprod(axis)], axis)
        right = cat([a.flip(axis)[lead + (slice(0, n - 1),)].cumprod(axis).flip(axis), ones], axis)
        return (g if self.keepdim else g.unsqueeze(axis)) * left * right


def prod(input, dim=None, keepdim=False, *, dtype=None):
    sd = _sum_dtype(input, dtype)
    if dim is None:
        return Prod.apply(input.reshape(-1), axis=0, keepdim=False, dtype=sd)
    return Prod.apply(input, axis=_wrap_dim(dim, input.array.ndim), keepdim=keepdim, dtype=sd)


def _logical_reduce(np_fn):
    def op(input, dim=None, keepdim=False):
        a = input.array
        out = np.asarray(np_fn(a, axis=_dims(dim, a.ndim), keepdims=keepdim))
        return Tensor._make(out.astype(np.uint8) if a.dtype == np.uint8 else out)

    return op


all = _logical_reduce(np.all)
any = _logical_reduce(np.any)


def count_nonzero(input, dim=None):
    return Tensor._make(np.asarray(np.count_nonzero(input.array, axis=_dims(dim, input.array.ndim)), dtype=np.int64))


class Cumsum(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, axis, dtype):
        self.axis = axis
        return np.cumsum(a, axis=axis, dtype=dtype)

    def backward(self, g):
        return np.flip(np.cumsum(np.flip(g, self.axis), axis=self.axis), self.axis)

    def backward_graph(self, g):
        return g.flip(self.axis).cumsum(self.axis).flip(self.axis)


def cumsum(input, dim, *, dtype=None):
    a = input if input.array.ndim else input.reshape(1)
    out = Cumsum.apply(a, axis=_wrap_dim(dim, input.array.ndim), dtype=_sum_dtype(input, dtype))
    return out if input.array.ndim else out.reshape(())


class Cumprod(Function):
    """Cumulative product. Its gradient divides by the input, so it assumes no zeros."""

    def forward(self, a, axis, dtype):
        self.a, self.axis = a, axis
        self.out = np.cumprod(a, axis=axis, dtype=dtype)
        return self.out

    def backward(self, g):
        gy = np.flip(np.cumsum(np.flip(g * self.out, self.axis), axis=self.axis), self.axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            return gy / self.a

    def backward_graph(self, g):
        a, axis = self.parents[0], self.axis
        return (g * a.cumprod(axis)).flip(axis).cumsum(axis).flip(axis) / a


def cumprod(input, dim, *, dtype=None):
    return Cumprod.apply(input, axis=_wrap_dim(dim, input.array.ndim), dtype=_sum_dtype(input, dtype))


# ---- sorting and selection ----------------------------------------------------------------------
def _argsort(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    if a.dtype == np.bool_:
        a = a.astype(np.int8)
    if descending:
        a = -a if a.dtype.kind == "f" or a.dtype.kind == "i" else -a.astype(np.int64)
    return np.argsort(a, axis=axis, kind="stable")


def _along(input, idx: np.ndarray, axis: int, name):
    values = named(TakeAlong.apply(input, idx=idx, axis=axis, unique=True), f"{name.__name__.capitalize()}Backward0")
    return name(values, Tensor._make(idx.astype(np.int64, copy=False)))


def sort(input, dim=-1, descending=False, stable=False):
    if input.array.ndim == 0:
        return return_types_sort(input.clone(), Tensor._make(np.zeros((), np.int64)))
    axis = _wrap_dim(dim, input.array.ndim)
    return _along(input, _argsort(input.array, axis, descending), axis, return_types_sort)


def argsort(input, dim=-1, descending=False, stable=False):
    if input.array.ndim == 0:
        return Tensor._make(np.zeros((), np.int64))
    return Tensor._make(_argsort(input.array, _wrap_dim(dim, input.array.ndim), descending).astype(np.int64))


def topk(input, k, dim=-1, largest=True, sorted=True):
    a = input.array if input.array.ndim else input.array.reshape(1)
    axis = _wrap_dim(dim, input.array.ndim)
    if not 0 <= k <= a.shape[axis]:
        raise RuntimeError("selected index k out of range")
    idx = np.take(_argsort(a, axis, largest), np.arange(k), axis=axis)
    return _along(input if input.array.ndim else input.reshape(1), idx, axis, return_types_topk)


def median(input, dim=None, keepdim=False):
    if dim is None:
        flat = input.reshape(-1)
        idx = _argsort(flat.array, 0, False)[(flat.array.size - 1) // 2]
        return named(MaxAlong.apply(flat, axis=0, keepdim=False, idx=np.asarray(idx)), "MedianBackward0")
    axis = _wrap_dim(dim, input.array.ndim)
    order = _argsort(input.array, axis, False)
    idx = np.take(order, (input.array.shape[axis] - 1) // 2, axis=axis)
    values = named(MaxAlong.apply(input, axis=axis, keepdim=keepdim, idx=idx), "MedianBackward1")
    return return_types_median(values, Tensor._make((np.expand_dims(idx, axis) if keepdim else idx).astype(np.int64)))


# ---- norms -----------------------------------------------------------------------------------------
class Norm2(Function):
    torch_name = "LinalgVectorNormBackward0"
    def forward(self, a, axes, keepdim):
        self.a, self.axes, self.keepdim = a, axes, keepdim
        self.out = np.sqrt((a * a).sum(axis=axes, keepdims=True))
        if keepdim:
            return self.out
        return self.out.reshape(()) if axes is None else np.squeeze(self.out, axes)

    def backward(self, g):
        if not self.keepdim and self.axes is not None:
            g = np.expand_dims(g, self.axes)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.out == 0, 0, g * self.a / self.out)

    def backward_graph(self, g):
        a = self.parents[0]
        axes = self.axes if self.axes is not None else tuple(range(a.array.ndim))
        g = _keepdim_graph(g, a.array.shape, self.axes, self.keepdim)
        norm_ = (a * a).sum(axes, keepdim=True).sqrt()
        zero = Tensor._make(self.out == 0)
        return (g * a / norm_).masked_fill(zero, 0.0)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    axes = _dims(dim, input.array.ndim)
    if p in ("fro", 2, 2.0):
        return Norm2.apply(input, axes=axes, keepdim=keepdim)
    d = () if dim is None else dim
    if p in (float("inf"), "inf"):
        return amax(input.abs(), d, keepdim)
    if p in (float("-inf"), "-inf"):
        return amin(input.abs(), d, keepdim)
    if p == 1:
        return sum(input.abs(), dim, keepdim)
    if p == 0:
        return sum((input != 0).to(input.dtype), dim, keepdim)
    return sum(input.abs() ** p, dim, keepdim) ** (1.0 / p)



METHODS = {
    "sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin, "argmax": argmax, "argmin": argmin,
    "softmax": softmax, "log_softmax": log_softmax, "logsumexp": logsumexp, "std": std, "var": var, "prod": prod,
    "all": all, "any": any, "cumsum": cumsum, "cumprod": cumprod, "sort": sort, "argsort": argsort, "topk": topk,
    "norm": norm, "median": median, "count_nonzero": count_nonzero,
}
