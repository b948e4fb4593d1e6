"""Shape ops: views (reshape, permute, expand, ...) and joins/splits (cat, stack, split, ...)."""

from __future__ import annotations

import numpy as np

from ..function import Function, named
from .. import dtypes
from ..tensor import Tensor, _wrap_dim
from .elementwise import cast, expand_error
from .index import getitem, index_select

__all__ = [
    "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t",
    "broadcast_to", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "split", "chunk", "unbind", "narrow",
    "select", "flip", "roll", "movedim", "moveaxis", "tile", "repeat_interleave",
]


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve one -1 and check the element count, with PyTorch's messages."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return shape


class Reshape(Function):
    saves_tensors = False
    torch_name = "ViewBackward0"
    reads_parents = False

    def forward(self, a, shape):
        self.in_shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.in_shape)

    def backward_graph(self, g):
        return g.reshape(self.in_shape)


def reshape(input, *shape):
    shape = _infer_shape(_shape_arg(shape), input.array.size)
    if shape == input.array.shape:
        return Reshape.apply(input, shape=shape) if input.requires_grad else Tensor._make(input.array)
    return Reshape.apply(input, shape=shape)


def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
        return Tensor._make(input.array.view(shape[0].np))
    shape = _infer_shape(_shape_arg(shape), input.array.size)
    if not input.array.flags.c_contiguous and input.array.size > 1:
        probe = input.array.view()
        try:  # NumPy refuses a shape that needs a copy: exactly when PyTorch's view() refuses
            probe.shape = shape
        except AttributeError:
            raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one dimension spans across "
                "two contiguous subspaces). Use .reshape(...) instead."
            ) from None
    return Reshape.apply(input, shape=shape)


def flatten(input, start_dim=0, end_dim=-1):
    nd = input.array.ndim
    if nd == 0:
        return reshape(input, 1)
    s, e = _wrap_dim(start_dim, nd), _wrap_dim(end_dim, nd)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = input.array.shape
    return reshape(input, *shp[:s], int(np.prod(shp[s:e + 1])), *shp[e + 1:])


def unflatten(input, dim, sizes):
    d = _wrap_dim(dim, input.array.ndim)
    shp = input.array.shape
    sizes = _infer_shape(tuple(sizes), shp[d])
    return reshape(input, *shp[:d], *sizes, *shp[d + 1:])


def squeeze(input, dim=None):
    shp = input.array.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = {_wrap_dim(d, input.array.ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return named(Reshape.apply(input, shape=new), "SqueezeBackward0" if dim is None else "SqueezeBackward1")


def unsqueeze(input, dim):
    nd = input.array.ndim + 1
    d = _wrap_dim(dim, nd)
    shp = input.array.shape
    return named(Reshape.apply(input, shape=shp[:d] + (1,) + shp[d:]), "UnsqueezeBackward0")


class Permute(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, axes):
        self.inv = tuple(np.argsort(axes))
        return a.transpose(axes)

    def backward(self, g):
        return g.transpose(self.inv)

    def backward_graph(self, g):
        return g.permute(*self.inv)


def permute(input, *dims):
    dims = _shape_arg(dims)
    nd = input.array.ndim
    if len(dims) != nd:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {len(dims)}"
        )
    axes = tuple(_wrap_dim(d, nd) for d in dims)
    if len(set(axes)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, axes=axes)


def transpose(input, dim0, dim1):
    nd = input.array.ndim
    if nd == 0:
        return input
    axes = list(range(nd))
    a, b = _wrap_dim(dim0, nd), _wrap_dim(dim1, nd)
    axes[a], axes[b] = axes[b], axes[a]
    return named(Permute.apply(input, axes=tuple(axes)), "TransposeBackward0")


def t(input):
    if input.array.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.array.ndim}D")
    return named(transpose(input, 0, 1), "TBackward0") if input.array.ndim == 2 else input


def contiguous(input, memory_format=None):
    if input.array.flags.c_contiguous:
        return input
    return _Contig.apply(input)


class _Contig(Function):
    saves_tensors = False
    torch_name = "CloneBackward0"
    reads_parents = False

    def forward(self, a):
        return np.ascontiguousarray(a)

    def backward(self, g):
        return g

    def backward_graph(self, g):
        return g


swapaxes = swapdims = transpose


# ---- broadcasting views -----------------------------------------------------------------------
class Expand(Function):
    saves_tensors = False  # the engine sums the gradient back to the input's shape
    reads_parents = False

    def forward(self, a, shape):
        return np.broadcast_to(a, shape)

    def backward(self, g):
        return g

    def backward_graph(self, g):
        return g


def _type_name(t: Tensor) -> str:
    return f"torch.{t.dtype.scalar_name}Tensor"


def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    shp = input.array.shape
    expand_error(shp, sizes, _type_name(input))
    lead = len(sizes) - len(shp)
    target = tuple(shp[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    if -1 in target[:lead]:
        raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {target.index(-1)}")
    return input if target == shp else Expand.apply(input, shape=target)


def broadcast_to(input, size):
    return expand(input, *size)


def expand_as(input, other):
    return expand(input, *other.array.shape)


class Repeat(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, reps):
        self.shape = (1,) * (len(reps) - a.ndim) + a.shape
        self.reps, self.in_shape = reps, a.shape
        return np.tile(a, reps)

    def backward(self, g):
        inter = []
        for r, n in zip(self.reps, self.shape):
            inter += [r, n]
        return g.reshape(inter).sum(axis=tuple(range(0, len(inter), 2))).reshape(self.in_shape)

    def backward_graph(self, g):
        inter = [k for r, n in zip(self.reps, self.shape) for k in (r, n)]
        return g.reshape(inter).sum(tuple(range(0, len(inter), 2))).reshape(self.in_shape)


def repeat(input, *sizes):
    sizes = _shape_arg(sizes)
    if len(sizes) < input.array.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    return Repeat.apply(input, reps=sizes)


def tile(input, dims):
    dims = tuple(dims)
    return repeat(input, *((1,) * (input.array.ndim - len(dims)) + dims))


def repeat_interleave(input, repeats, dim=None, *, output_size=None):
    if dim is None:
        input, dim = input.reshape(-1), 0
    axis = _wrap_dim(dim, input.array.ndim)
    reps = repeats.array if isinstance(repeats, Tensor) else repeats
    idx = np.repeat(np.arange(input.array.shape[axis]), reps)
    return index_select(input, axis, Tensor._make(idx))


# ---- joins --------------------------------------------------------------------------------------
class Cat(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, *arrays, axis):
        self.axis = axis
        self.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    def backward(self, g):
        return tuple(np.split(g, self.bounds, axis=self.axis))

    def backward_graph(self, g):
        edges = [0, *self.bounds.tolist(), g.array.shape[self.axis]]
        lead = (slice(None),) * self.axis
        return tuple(g[lead + (slice(lo, hi),)] for lo, hi in zip(edges[:-1], edges[1:]))


def _same_dtype(tensors) -> list:
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = dtypes.promote(dt, t.dtype)
    return [t if t.array.dtype == dt.np else cast(t, dt) for t in tensors]


def cat(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    if len(tensors) > 1:  # PyTorch skips legacy empty 1-D tensors (the `torch.tensor([])` accumulator idiom)
        kept = [t for t in tensors if t.array.shape != (0,)]
        tensors = kept or tensors[:1]
    first = tensors[0].array
    axis = _wrap_dim(dim, first.ndim)
    for i, t in enumerate(tensors[1:], 1):
        a = t.array
        if a.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {first.ndim} and {a.ndim}")
        for d in range(a.ndim):
            if d != axis and a.shape[d] != first.shape[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size {first.shape[d]} "
                                   f"but got size {a.shape[d]} for tensor number {i} in the list.")
    if len(tensors) == 1:
        return Cat.apply(tensors[0], axis=axis)
    return Cat.apply(*_same_dtype(tensors), axis=axis)


concat = concatenate = cat


class Stack(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, *arrays, axis):
        self.axis = axis
        return np.stack(arrays, axis=axis)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.axis, 0))

    def backward_graph(self, g):
        return tuple(g.select(self.axis, i) for i in range(g.array.shape[self.axis]))


def stack(tensors, dim=0, *, out=None):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].array.shape
    axis = _wrap_dim(dim, len(shape) + 1)
    for i, t in enumerate(tensors[1:], 1):
        if t.array.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got [{', '.join(map(str, shape))}] at entry 0 "
                               f"and [{', '.join(map(str, t.array.shape))}] at entry {i}")
    return Stack.apply(*_same_dtype(tensors), axis=axis)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].array.ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t.array.ndim > 1 else t.reshape(1, -1) for t in tensors], 0)


# ---- splits and slices ---------------------------------------------------------------------------
def narrow(input, dim, start, length):
    axis = _wrap_dim(dim, input.array.ndim)
    start = int(start) % input.array.shape[axis] if start < 0 else int(start)
    return getitem(input, (slice(None),) * axis + (slice(start, start + int(length)),))


def select(input, dim, index):
    axis = _wrap_dim(dim, input.array.ndim)
    return getitem(input, (slice(None),) * axis + (int(index),))


def split(tensor, split_size_or_sections, dim=0):
    axis = _wrap_dim(dim, tensor.array.ndim)
    n = tensor.array.shape[axis]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension "
                               f"{axis}), but got split_sizes=[{', '.join(map(str, sizes))}]")
    else:
        size = int(split_size_or_sections)
        if size == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
    out, start = [], 0
    for s in sizes:
        out.append(named(narrow(tensor, axis, start, s), "SplitBackward0" if isinstance(split_size_or_sections, int) else "SplitWithSizesBackward0"))
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.array.shape[_wrap_dim(dim, input.array.ndim)]
    return split(input, max(-(-n // chunks), 1), dim)


def unbind(input, dim=0):
    axis = _wrap_dim(dim, input.array.ndim)
    return tuple(named(select(input, axis, i), "UnbindBackward0") for i in range(input.array.shape[axis]))


# ---- reorderings -----------------------------------------------------------------------------------
class Flip(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, axes):
        self.axes = axes
        return np.flip(a, axes)

    def backward(self, g):
        return np.flip(g, self.axes)

    def backward_graph(self, g):
        return g.flip(self.axes)


def flip(input, *dims):
    dims = _shape_arg(dims)
    return Flip.apply(input, axes=tuple(_wrap_dim(d, input.array.ndim) for d in dims))


class Roll(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, shifts, axes):
        self.shifts, self.axes = shifts, axes
        return np.roll(a, shifts, axes)

    def backward(self, g):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return np.roll(g, neg, self.axes)

    def backward_graph(self, g):
        neg = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return Roll.apply(g, shifts=neg, axes=self.axes)


def roll(input, shifts, dims=None):
    if dims is None:
        return Roll.apply(input.reshape(-1), shifts=shifts, axes=None).reshape(input.array.shape)
    if isinstance(dims, (tuple, list)):
        return Roll.apply(input, shifts=tuple(shifts), axes=tuple(_wrap_dim(d, input.array.ndim) for d in dims))
    return Roll.apply(input, shifts=shifts, axes=_wrap_dim(dims, input.array.ndim))


def movedim(input, source, destination):
    nd = input.array.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [_wrap_dim(d, nd) for d in src]
    dst = [_wrap_dim(d, nd) for d in dst]
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, *order)


moveaxis = movedim


def view_as(input, other):
    return view(input, *other.array.shape)


def reshape_as(input, other):
    return reshape(input, *other.array.shape)




METHODS = {
    "reshape": reshape, "view": view, "flatten": flatten, "unflatten": unflatten, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "permute": permute, "transpose": transpose, "swapaxes": transpose, "t": t,
    "contiguous": contiguous, "swapdims": transpose, "expand": expand, "expand_as": expand_as, "broadcast_to": broadcast_to,
    "repeat": repeat, "tile": tile, "repeat_interleave": repeat_interleave, "split": split, "chunk": chunk,
    "unbind": unbind, "narrow": narrow, "select": select, "flip": flip, "roll": roll, "movedim": movedim,
    "moveaxis": movedim, "view_as": view_as, "reshape_as": reshape_as, "type_as": lambda s, o: s.to(o.dtype),
}
