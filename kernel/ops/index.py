"""Indexing: __getitem__/__setitem__ (ints, slices, None, Ellipsis, bool masks, integer tensors
and lists), and the index ops gather, scatter, index_select, masked_fill, ...

NumPy does the indexing; PyTorch's messages are built only when NumPy refuses an index, so the
common path pays for no checks.
"""

from __future__ import annotations

import numpy as np

from .. import grad_mode
from ..function import Function, named
from ..tensor import Tensor, _wrap_dim
from .elementwise import broadcast_shape, expand_error

__all__ = [
    "gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_select", "nonzero", "argwhere",
    "take_along_dim",
]

_BAD_INDEX = "tensors used as indices must be long, int, byte or bool tensors"


def _np_index(idx):
    """Translate a PyTorch index into a NumPy one (tensors and lists become arrays)."""
    if isinstance(idx, tuple):
        return tuple(_np_index(i) for i in idx)
    if isinstance(idx, Tensor):
        if idx.array.dtype.kind not in "iub":
            raise IndexError(_BAD_INDEX)
        return idx.array
    if isinstance(idx, list):
        arr = np.asarray([_np_index(i) for i in idx])
        if arr.dtype.kind not in "iub":
            if arr.size:
                raise IndexError(_BAD_INDEX)
            arr = arr.astype(np.int64)
        return arr
    return idx


def _shape_str(shape) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _index_error(shape: tuple, idx) -> None:
    """Raise PyTorch's IndexError for an index NumPy refused (the slow path only)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    used = sum(1 if not isinstance(i, np.ndarray) or i.dtype != np.bool_ else i.ndim
               for i in items if i is not None and i is not Ellipsis)
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    real = shown = 0  # the dim in the tensor, and the dim PyTorch names (None counts)
    for it in items:
        if it is None:
            shown += 1
        elif it is Ellipsis:
            skip = len(shape) - used
            real, shown = real + skip, shown + skip
        elif isinstance(it, np.ndarray) and it.dtype == np.bool_:
            for j, n in enumerate(it.shape):
                if n != shape[real + j]:
                    raise IndexError(f"The shape of the mask {_shape_str(it.shape)} at index {j} does not match the shape "
                                     f"of the indexed tensor {_shape_str(shape)} at index {real + j}")
            real, shown = real + it.ndim, shown + it.ndim
        else:
            n = shape[real]
            if isinstance(it, np.ndarray):
                bad = it[(it >= n) | (it < -n)]
                if bad.size:
                    raise IndexError(f"index {bad.reshape(-1)[0]} is out of bounds for dimension 0 with size {n}")
            elif isinstance(it, (int, np.integer)) and not -n <= it < n:
                raise IndexError(f"index {it} is out of bounds for dimension {shown} with size {n}")
            real, shown = real + 1, shown + 1


class GetItem(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, idx):
        self.shape, self.idx = a.shape, idx
        return a[idx]

    def backward(self, g):
        return _scatter_into(g, self.shape, self.idx)

    def backward_graph(self, g):
        return named(IndexPutZeros.apply(g, shape=self.shape, idx=self.idx), "IndexBackwardBackward0")


def _scatter_into(g: np.ndarray, shape: tuple, idx) -> np.ndarray:
    """Zeros of `shape` with `g` put at `idx` (repeated indices accumulate)."""
    grad = np.zeros(shape, dtype=g.dtype)
    if _is_advanced(idx):
        np.add.at(grad, idx, g)
    else:
        grad[idx] = g
    return grad


class IndexPutZeros(Function):
    """GetItem's backward as an op of its own (create_graph=True): g scattered into zeros; its
    backward indexes again."""

    saves_tensors = False
    reads_parents = False

    def forward(self, g, shape, idx):
        self.idx = idx
        return _scatter_into(g, shape, idx)

    def backward(self, gg):
        return gg[self.idx]

    def backward_graph(self, gg):
        return GetItem.apply(gg, idx=self.idx)


def _getitem_name(idx) -> str:
    items = idx if isinstance(idx, tuple) else (idx,)
    if any(isinstance(i, np.ndarray) for i in items):
        return "IndexBackward0"
    for i in reversed(items):
        if i is None:
            return "UnsqueezeBackward0"
        if isinstance(i, slice):
            return "SliceBackward0"
        if i is not Ellipsis:
            return "SelectBackward0"
    return "AliasBackward0"


def _is_advanced(idx) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    for i in items:
        if isinstance(i, np.ndarray) and i.dtype != np.bool_:
            return True
    return False


def _index(a: np.ndarray, idx):
    try:
        return a[idx]
    except IndexError:
        _index_error(a.shape, idx)
        raise


def getitem(self, idx):
    idx = _np_index(idx)
    if not (self.requires_grad and grad_mode._enabled):
        return Tensor._make(np.asanyarray(_index(self.array, idx)))  # asanyarray: meta stays meta
    try:
        return named(GetItem.apply(self, idx=idx), _getitem_name(idx))
    except IndexError:
        _index_error(self.array.shape, idx)
        raise


class SetItem(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, v, idx):
        self.idx = idx
        out = a.copy()
        out[idx] = v
        return out

    def backward(self, g):
        ga = g.copy() if self.needs_input_grad[0] else None
        if ga is not None:
            ga[self.idx] = 0
        return ga, (g[self.idx] if self.needs_input_grad[1] else None)

    def backward_graph(self, g):
        n = self.needs_input_grad
        ga = None
        if n[0]:
            keep = np.ones(g.array.shape, dtype=g.array.dtype)
            keep[self.idx] = 0
            ga = g * Tensor._make(keep)
        return ga, (GetItem.apply(g, idx=self.idx) if n[1] else None)


def _fit_value(v: np.ndarray, target: tuple) -> np.ndarray:
    """The value's shape, checked and trimmed of leading 1s, as PyTorch's expand does."""
    if v.shape == target:
        return v
    while v.ndim > len(target) and v.shape[0] == 1:
        v = v[0]
    expand_error(v.shape, target)
    return v


def setitem(self, idx, value) -> None:
    idx = _np_index(idx)
    v = value.array if isinstance(value, Tensor) else value
    if isinstance(v, np.ndarray) and v.ndim:  # PyTorch's expand rules and message for the value
        v = _fit_value(v, np.shape(_index(self.array, idx)))
    if grad_mode._enabled and (self.requires_grad or isinstance(value, Tensor) and value.requires_grad):
        if self._ctx is None and self.requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        if not isinstance(value, Tensor):
            value = Tensor._make(np.asarray(value, dtype=self.array.dtype))
        elif value.array.shape != np.shape(v):
            value = value.reshape(np.shape(v))
        self._assign(SetItem.apply(self, value, idx=idx))
        return
    try:
        self.array[idx] = v
    except IndexError:
        _index_error(self.array.shape, idx)
        raise


# ---- index ops ----------------------------------------------------------------------------------
class TakeAlong(Function):
    """np.take_along_axis; the gradient scatters back (adding where indices repeat)."""

    saves_tensors = False
    reads_parents = False

    def forward(self, a, idx, axis, unique=False):
        self.shape, self.idx, self.axis, self.unique = a.shape, idx, axis, unique
        return np.take_along_axis(a, idx, axis)

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=g.dtype)
        if self.unique:
            np.put_along_axis(grad, self.idx, g, self.axis)
        else:
            np.add.at(grad, _full_index(self.idx, self.axis), g)
        return grad

    def backward_graph(self, g):
        return IndexPutZeros.apply(g, shape=self.shape, idx=_full_index(self.idx, self.axis))


def _full_index(idx: np.ndarray, axis: int) -> tuple:
    """The tuple of index arrays that addresses, for each element of idx, its target element."""
    nd = idx.ndim
    return tuple(idx if d == axis else np.arange(n).reshape((n,) + (1,) * (nd - d - 1)) for d, n in enumerate(idx.shape))


def _check_index(index: Tensor, input: Tensor, axis: int, name: str) -> np.ndarray:
    idx = index.array
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if idx.ndim != input.array.ndim and not (idx.ndim <= 1 and input.array.ndim <= 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    n = input.array.shape[axis] if input.array.ndim else 1
    bad = idx[(idx >= n) | (idx < -n)]
    if bad.size:
        raise RuntimeError(f"index {bad.reshape(-1)[0]} is out of bounds for dimension {axis} with size {n}")
    return np.where(idx < 0, idx + n, idx) if (idx < 0).any() else idx


def _leading(input: Tensor, idx: np.ndarray, axis: int) -> Tensor:
    """The part of `input` that an index smaller than it (in dims other than `axis`) addresses."""
    if all(i == axis or idx.shape[i] == n for i, n in enumerate(input.array.shape)):
        return input
    return getitem(input, tuple(slice(None) if i == axis else slice(0, idx.shape[i]) for i in range(idx.ndim)))


def gather(input, dim, index, *, sparse_grad=False):
    axis = _wrap_dim(dim, input.array.ndim)
    idx = _check_index(index, input, axis, "gather")
    if input.array.ndim == 0:
        return TakeAlong.apply(input.reshape(1), idx=idx.reshape(1), axis=0).reshape(idx.shape)
    return named(TakeAlong.apply(_leading(input, idx, axis), idx=idx, axis=axis), "GatherBackward0")


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    return gather(input, dim, indices)


class Scatter(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, src, idx, axis, add):
        self.idx, self.axis = idx, axis
        out = a.copy()
        full = _full_index(idx, axis)
        if add:
            np.add.at(out, full, src)
        else:
            out[full] = src
        self.add, self.full = add, full
        return out

    def backward(self, g):
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = g
            if not self.add:
                ga = g.copy()
                ga[self.full] = 0
        if len(self.needs_input_grad) > 1 and self.needs_input_grad[1]:
            gs = g[self.full]
        return ga, gs

    def backward_graph(self, g):
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = g
            if not self.add:
                keep = np.ones(g.array.shape, dtype=g.array.dtype)
                keep[self.full] = 0
                ga = g * Tensor._make(keep)
        if len(self.needs_input_grad) > 1 and self.needs_input_grad[1]:
            gs = GetItem.apply(g, idx=self.full)
        return ga, gs


def _scatter(input, dim, index, src, add: bool, name: str):
    axis = _wrap_dim(dim, input.array.ndim)
    idx = _check_index(index, input, axis, name)
    if isinstance(src, Tensor):
        if src.array.dtype != input.array.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        if src.array.shape != idx.shape:
            src = getitem(src, tuple(slice(0, n) for n in idx.shape))
        return named(Scatter.apply(input, src, idx=idx, axis=axis, add=add), "ScatterAddBackward0" if add else "ScatterBackward0")
    return named(Scatter.apply(input, np.asarray(src, dtype=input.array.dtype), idx=idx, axis=axis, add=add), "ScatterBackward1")


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    if reduce is not None:
        if reduce != "add":
            raise RuntimeError("TorchPad's scatter supports reduce='add' only")
        return _scatter(input, dim, index, src if src is not None else value, True, "scatter")
    return _scatter(input, dim, index, src if src is not None else value, False, "scatter")


def scatter_add(input, dim, index, src):
    return _scatter(input, dim, index, src, True, "scatter_add")


def index_select(input, dim, index):
    axis = _wrap_dim(dim, input.array.ndim)
    idx = index.array
    if idx.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    n = input.array.shape[axis] if input.array.ndim else 1
    bad = idx[(idx >= n) | (idx < 0)]
    if bad.size:
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad.reshape(-1)[0]} axis_dim={n}")
    return named(getitem(input, (slice(None),) * axis + (idx.reshape(-1),)), "IndexSelectBackward0")


def masked_fill(input, mask, value):
    from .elementwise import Where

    if mask.array.dtype != np.bool_:
        from .linalg import _dn

        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {_dn(mask)}")
    if mask.array.shape != input.array.shape:
        broadcast_shape(mask.array.shape, input.array.shape)
    if isinstance(value, Tensor):
        if value.array.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.array.ndim} dimension(s).")
        if value.array.dtype != input.array.dtype:
            value = value.to(input.dtype)
        return named(Where.apply(mask, value, input), "MaskedFillBackward1")
    return named(Where.apply(mask, np.asarray(value, dtype=input.array.dtype), input), "MaskedFillBackward0")


def masked_select(input, mask):
    shape = broadcast_shape(input.array.shape, mask.array.shape)
    full = input.expand(*shape) if input.array.shape != shape else input
    return getitem(full, np.broadcast_to(mask.array, shape))


def nonzero(input, *, as_tuple=False):
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in np.nonzero(input.array))
    return Tensor._make(np.argwhere(input.array).astype(np.int64))


def argwhere(input):
    return nonzero(input)


def _inplace(fn):
    def op(self, *args, **kwargs):
        self._check_inplace()
        return self._assign(fn(self, *args, **kwargs))

    return op


METHODS = {
    "__getitem__": getitem, "__setitem__": setitem, "gather": gather, "scatter": scatter, "scatter_add": scatter_add,
    "index_select": index_select, "masked_fill": masked_fill, "masked_select": masked_select, "nonzero": nonzero,
    "argwhere": argwhere, "take_along_dim": take_along_dim,
    "scatter_": _inplace(scatter), "scatter_add_": _inplace(scatter_add), "masked_fill_": _inplace(masked_fill),
}
