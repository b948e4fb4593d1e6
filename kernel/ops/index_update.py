"""index_add / index_copy / index_fill: write along one dim at the positions a 1-D index names.

Each is a Function (forward and backward side by side); the `_` forms update the tensor in
place as PyTorch's do (a leaf that requires grad refuses, a non-leaf takes the new node).
"""

from __future__ import annotations

import numpy as np

from ..function import Function, named
from ..tensor import Tensor, _wrap_dim

__all__ = ["index_add", "index_copy", "index_fill"]



def _at(axis: int, idx: np.ndarray) -> tuple:
    return (slice(None),) * axis + (idx,)


# Index dtypes each op takes, and PyTorch's error for any other ({} is the index's scalar type).
_INDEX_DTYPES = {
    "index_add_": (("int32", "int64"), RuntimeError, "index_add_(): Expected dtype int32/int64 for index but got: {}"),
    "index_copy_": (("int64",), RuntimeError, "index_copy_(): Expected a long tensor for index, but got {}"),
    "index_fill_": (("int64",), IndexError, "index_fill_(): Expected dtype int64 for index."),
}


def _index(index, input: Tensor, axis: int, name: str, out_of_bounds_error=RuntimeError) -> np.ndarray:
    """The index as a checked 1-D NumPy array, with PyTorch's errors."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    idx = index.array
    allowed, error, message = _INDEX_DTYPES[name]
    if index.dtype.name not in allowed:
        raise error(message.format(index.dtype.scalar_name))
    if idx.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {idx.ndim} with type: "
                         f"{index.dtype.scalar_name} and size: [{', '.join(map(str, idx.shape))}]")
    idx = idx.reshape(-1)
    n = input.array.shape[axis] if input.array.ndim else 1
    bad = idx[(idx >= n) | (idx < 0)]
    if bad.size:
        prefix = f"{name}(): " if out_of_bounds_error is IndexError and name == "index_copy_" else ""
        raise out_of_bounds_error(f"{prefix}index {bad[0]} is out of bounds for dimension {axis} with size {n}")
    return idx


def _source(source, input: Tensor, idx: np.ndarray, axis: int, name: str) -> None:
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source.array.dtype != input.array.dtype:
        raise RuntimeError(f"{name}(): self ({input.dtype.scalar_name}) and source "
                           f"({source.dtype.scalar_name}) must have the same scalar type")
    k = source.array.shape[axis] if source.array.ndim else 1
    if k != idx.size:
        if name == "index_copy_":
            raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) ({k})")
        raise RuntimeError(f"{name}(): Number of indices ({idx.size}) should be equal to source.size(dim): ({k}), "
                           f"for dim: {axis}")
    expected = input.array.shape[:axis] + (idx.size,) + input.array.shape[axis + 1:]
    if source.array.shape != expected and source.array.ndim:
        raise RuntimeError(f"{name}(): Expected source to have shape [{', '.join(map(str, expected))}], got "
                           f"[{', '.join(map(str, source.array.shape))}]")


class IndexAdd(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, src, idx, axis, alpha):
        self.at, self.alpha = _at(axis, idx), alpha
        out = a.copy()
        np.add.at(out, self.at, src * alpha if alpha != 1 else src)
        return out

    def backward(self, g):
        gs = g[self.at] * self.alpha if self.needs_input_grad[1] else None
        return g, gs

    def backward_graph(self, g):
        from .index import GetItem

        gs = GetItem.apply(g, idx=self.at) * self.alpha if self.needs_input_grad[1] else None
        return g, gs


class IndexCopy(Function):
    """Overwrites the indexed slices with `src`: the overwritten part of `a` gets no gradient."""

    saves_tensors = False
    reads_parents = False

    def forward(self, a, src, idx, axis):
        self.at = _at(axis, idx)
        out = a.copy()
        out[self.at] = src
        return out

    def written_grad(self, g):
        return g[self.at]

    def backward(self, g):
        ga = None
        if self.needs_input_grad[0]:
            ga = g.copy()
            ga[self.at] = 0
        gw = self.written_grad(g) if len(self.needs_input_grad) > 1 and self.needs_input_grad[1] else None
        return ga, gw

    def written_grad_graph(self, g):
        from .index import GetItem

        return GetItem.apply(g, idx=self.at)

    def backward_graph(self, g):
        ga = None
        if self.needs_input_grad[0]:
            keep = np.ones(g.array.shape, dtype=g.array.dtype)
            keep[self.at] = 0
            ga = g * Tensor._make(keep)
        gw = self.written_grad_graph(g) if len(self.needs_input_grad) > 1 and self.needs_input_grad[1] else None
        return ga, gw


class IndexFill(IndexCopy):
    """IndexCopy's write with one 0-d value broadcast over the slices, so its gradient is their sum."""

    def written_grad(self, g):
        return np.asarray(g[self.at].sum())

    def written_grad_graph(self, g):
        return super().written_grad_graph(g).sum()


def index_add(input, dim, index, source, *, alpha=1):
    axis = _wrap_dim(dim, input.array.ndim)
    idx = _index(index, input, axis, "index_add_")
    _source(source, input, idx, axis, "index_add_")
    src = source if source.array.ndim else source.reshape(1)
    return named(IndexAdd.apply(input, src, idx=idx, axis=axis, alpha=alpha), "IndexAddBackward0")


def index_copy(input, dim, index, source):
    axis = _wrap_dim(dim, input.array.ndim)
    idx = _index(index, input, axis, "index_copy_", IndexError)
    _source(source, input, idx, axis, "index_copy_")
    src = source if source.array.ndim else source.reshape(1)
    return named(IndexCopy.apply(input, src, idx=idx, axis=axis), "IndexCopyBackward0")


def index_fill(input, dim, index, value):
    axis = _wrap_dim(dim, input.array.ndim)
    idx = _index(index, input, axis, "index_fill_", IndexError)
    if isinstance(value, Tensor):
        if value.array.ndim:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value.array.ndim} dimension(s).")
        if value.array.dtype != input.array.dtype:
            value = value.to(input.dtype)
        return named(IndexFill.apply(input, value, idx=idx, axis=axis), "IndexFillBackward1")
    return named(IndexFill.apply(input, np.asarray(value, dtype=input.array.dtype), idx=idx, axis=axis),
                 "IndexFillBackward0")


def _inplace(fn):
    def op(self, *args, **kwargs):
        self._check_inplace()
        return self._assign(fn(self, *args, **kwargs))

    op.__name__ = fn.__name__ + "_"
    return op


METHODS = {
    "index_add": index_add, "index_copy": index_copy, "index_fill": index_fill,
    "index_add_": _inplace(index_add), "index_copy_": _inplace(index_copy), "index_fill_": _inplace(index_fill),
}
