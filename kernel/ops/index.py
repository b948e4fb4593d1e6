"""Indexing: __getitem__/__setitem__ with ints, slices, None, Ellipsis, bool masks and integer tensors."""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import Tensor

__all__ = []


def _np_index(idx):
    """Translate a PyTorch index into a NumPy one (tensors become arrays)."""
    if isinstance(idx, tuple):
        return tuple(_np_index(i) for i in idx)
    if isinstance(idx, Tensor):
        return idx.array
    if isinstance(idx, list):
        return np.asarray([i.item() if isinstance(i, Tensor) else i for i in idx])
    return idx


def _check_bounds(shape: tuple, idx) -> None:
    """PyTorch's IndexError for an out-of-range integer index."""
    items = idx if isinstance(idx, tuple) else (idx,)
    dim = 0
    for it in items:
        if it is None:
            continue
        if it is Ellipsis:
            dim = len(shape) - sum(1 for j in items if j is not None and j is not Ellipsis)
            continue
        if isinstance(it, (int, np.integer)) and not isinstance(it, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= it < shape[dim]:
                raise IndexError(f"index {it} is out of bounds for dimension {dim} with size {shape[dim]}")
        dim += 1 if not (isinstance(it, np.ndarray) and it.dtype == np.bool_) else it.ndim


class GetItem(Function):
    saves_tensors = False

    def forward(self, a, idx):
        self.shape, self.dtype, self.idx = a.shape, a.dtype, idx
        return a[idx]

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(grad, self.idx, g) if _is_advanced(self.idx) else grad.__setitem__(self.idx, g)
        return grad


def _is_advanced(idx) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in items)


def getitem(self, idx):
    idx = _np_index(idx)
    _check_bounds(self.array.shape, idx)
    if not self.requires_grad:
        return Tensor._make(np.asarray(self.array[idx]))
    return GetItem.apply(self, idx=idx)


class SetItem(Function):
    def forward(self, a, v, idx):
        self.idx = idx
        out = a.copy()
        out[idx] = v
        self.vshape = np.shape(v)
        return out

    def backward(self, g):
        ga = g.copy()
        ga[self.idx] = 0
        gv = g[self.idx]
        return ga, gv


def setitem(self, idx, value) -> None:
    idx = _np_index(idx)
    _check_bounds(self.array.shape, idx)
    tracking = (self.requires_grad or (isinstance(value, Tensor) and value.requires_grad))
    from .. import grad_mode

    if tracking and grad_mode._enabled:
        self._check_inplace()
        if not isinstance(value, Tensor):
            value = Tensor._make(np.asarray(value, dtype=self.array.dtype))
        self._assign(SetItem.apply(self, value, idx=idx))
        return
    self.array[idx] = value.array if isinstance(value, Tensor) else value


METHODS = {"__getitem__": getitem, "__setitem__": setitem}
