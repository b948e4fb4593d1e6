"""Reductions (sum, mean, max, ...), softmax family and scans."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import dtypes
from ..function import Function
from ..tensor import Tensor, _wrap_dim

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "softmax", "log_softmax", "logsumexp"]

return_types_max = namedtuple("max", ["values", "indices"])
return_types_min = namedtuple("min", ["values", "indices"])


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


class Sum(Function):
    saves_tensors = False

    def forward(self, a, axes=None, keepdim=False, dtype=None):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        return np.asarray(a.sum(axis=axes, keepdims=keepdim, dtype=dtype))

    def backward(self, g):
        return np.broadcast_to(_expand_grad(g, self.shape, self.axes, self.keepdim), self.shape)


class Mean(Function):
    saves_tensors = False

    def forward(self, a, axes=None, keepdim=False):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        self.count = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        return np.asarray(a.mean(axis=axes, keepdims=keepdim))

    def backward(self, g):
        g = _expand_grad(g, self.shape, self.axes, self.keepdim) / np.asarray(self.count, dtype=g.dtype)
        return np.broadcast_to(g, self.shape)


def _sum_dtype(t: Tensor, dtype):
    if dtype is not None:
        return dtypes.to_dtype(dtype).np
    if t.array.dtype.kind in "biu":
        return np.int64
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None):
    axes = _dims(dim, input.array.ndim)
    sd = _sum_dtype(input, dtype)
    return Sum.apply(input, axes=axes, keepdim=keepdim, dtype=sd)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input.array.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {input.dtype.name.capitalize() if input.dtype.name != 'int64' else 'Long'}"
        )
    return Mean.apply(input, axes=_dims(dim, input.array.ndim), keepdim=keepdim)


class MaxAlong(Function):
    """max/min along one axis: the gradient goes to the selected index."""

    def forward(self, a, axis, keepdim, idx):
        self.shape, self.axis, self.keepdim, self.idx = a.shape, axis, keepdim, idx
        out = np.take_along_axis(a, np.expand_dims(idx, axis), axis)
        return out if keepdim else np.squeeze(out, axis)

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        gg = g if self.keepdim else np.expand_dims(g, self.axis)
        np.put_along_axis(grad, np.expand_dims(self.idx, self.axis), gg, self.axis)
        return grad


class AmaxAll(Function):
    """amax/amin over axes: ties share the gradient evenly, as in PyTorch."""

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


def _max_min(input, dim, keepdim, largest: bool, name: str):
    if isinstance(dim, Tensor):  # torch.max(a, b) is maximum
        from .elementwise import maximum, minimum

        return maximum(input, dim) if largest else minimum(input, dim)
    if dim is None:
        if input.array.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        return AmaxAll.apply(input, axes=None, keepdim=False, largest=largest)
    axis = _wrap_dim(dim, input.array.ndim)
    a = input.array if input.array.ndim else input.array.reshape(1)
    idx = np.argmax(a, axis=axis) if largest else np.argmin(a, axis=axis)
    values = MaxAlong.apply(input if input.array.ndim else input.reshape(1), axis=axis, keepdim=keepdim, idx=idx)
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
    return AmaxAll.apply(input, axes=_dims(dim, input.array.ndim), keepdim=keepdim, largest=True)


def amin(input, dim=(), keepdim=False):
    return AmaxAll.apply(input, axes=_dims(dim, input.array.ndim), keepdim=keepdim, largest=False)


def argmax(input, dim=None, keepdim=False):
    if dim is None:
        return Tensor._make(np.asarray(np.argmax(input.array), dtype=np.int64))
    axis = _wrap_dim(dim, input.array.ndim)
    return Tensor._make(np.argmax(input.array, axis=axis, keepdims=keepdim).astype(np.int64))


def argmin(input, dim=None, keepdim=False):
    if dim is None:
        return Tensor._make(np.asarray(np.argmin(input.array), dtype=np.int64))
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


class LogSoftmax(Function):
    def forward(self, a, axis):
        shifted = a - a.max(axis=axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        self.axis = axis
        return self.out

    def backward(self, g):
        return g - np.exp(self.out) * g.sum(axis=self.axis, keepdims=True)


class LogSumExp(Function):
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


METHODS = {
    "sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin, "argmax": argmax, "argmin": argmin,
    "softmax": softmax, "log_softmax": log_softmax, "logsumexp": logsumexp,
}
