"""Shape ops: views (reshape, permute, expand, ...) and joins/splits (cat, stack, split, ...)."""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import Tensor, _wrap_dim

__all__ = ["reshape", "flatten", "squeeze", "unsqueeze", "permute", "transpose", "t"]


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

    def forward(self, a, shape):
        self.in_shape = a.shape
        return a.reshape(shape)

    def backward(self, g):
        return g.reshape(self.in_shape)


def reshape(input, *shape):
    shape = _infer_shape(_shape_arg(shape), input.array.size)
    if shape == input.array.shape:
        return Reshape.apply(input, shape=shape) if input.requires_grad else Tensor._make(input.array)
    return Reshape.apply(input, shape=shape)


def view(input, *shape):
    from .. import dtypes

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
    return Reshape.apply(input, shape=new)


def unsqueeze(input, dim):
    nd = input.array.ndim + 1
    d = _wrap_dim(dim, nd)
    shp = input.array.shape
    return Reshape.apply(input, shape=shp[:d] + (1,) + shp[d:])


class Permute(Function):
    saves_tensors = False

    def forward(self, a, axes):
        self.inv = tuple(np.argsort(axes))
        return a.transpose(axes)

    def backward(self, g):
        return g.transpose(self.inv)


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
    return Permute.apply(input, axes=tuple(axes))


def t(input):
    if input.array.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.array.ndim}D")
    return transpose(input, 0, 1) if input.array.ndim == 2 else input


def contiguous(input, memory_format=None):
    if input.array.flags.c_contiguous:
        return input
    return _Contig.apply(input)


class _Contig(Function):
    saves_tensors = False

    def forward(self, a):
        return np.ascontiguousarray(a)

    def backward(self, g):
        return g


METHODS = {
    "reshape": reshape, "view": view, "flatten": flatten, "unflatten": unflatten, "squeeze": squeeze,
    "unsqueeze": unsqueeze, "permute": permute, "transpose": transpose, "swapaxes": transpose, "t": t,
    "contiguous": contiguous,
}
