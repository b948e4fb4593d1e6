"""device='meta': tensors that have a shape and a dtype but no data.

A meta tensor's `.array` is a `MetaArray`: a zero-strided view of one element, so a shape of any
size costs no memory, and the kernel's shape logic (reshape, transpose, broadcasting, indexing)
runs on it unchanged. NumPy's ufuncs (elementwise ops, matmul, reductions) on a MetaArray only
work out the result's shape and dtype; they never compute. Ops that pass their output shape
(convolution, pooling) skip their forward altogether (see Function.apply). Reading values
(item, tolist, numpy, copying to the CPU) raises PyTorch's errors for meta tensors.
"""

from __future__ import annotations

import numpy as np

NO_DATA = "Cannot copy out of meta tensor; no data!"
NO_ITEM = "Tensor.item() cannot be called on meta tensors"
NO_NUMPY = "can't convert meta device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first."


class MetaArray(np.ndarray):
    """A shape-only array: writes are dropped, ufuncs return new MetaArrays of the result's shape."""

    def __setitem__(self, key, value) -> None:
        pass  # no data to write; the shape is unchanged

    def fill(self, value) -> None:
        pass

    def astype(self, dtype, *args, **kwargs) -> "MetaArray":
        return empty(self.shape, dtype)

    def copy(self, *args, **kwargs) -> "MetaArray":
        return empty(self.shape, self.dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "at":
            return None
        proxies = [_proxy(x) for x in inputs]
        with np.errstate(all="ignore"):
            result = getattr(ufunc, method)(*proxies, **kwargs)
        shapes = [np.shape(x) for x in inputs]
        shape = _ufunc_shape(ufunc, method, shapes, kwargs)
        if out is not None:  # an op's own buffers (its result becomes meta in Function.apply); nothing to write
            outs = out if isinstance(out, tuple) else (out,)
            return outs[0] if len(outs) == 1 else outs
        if isinstance(result, tuple):
            return tuple(empty(shape, r.dtype) for r in result)
        return empty(shape, np.asarray(result).dtype)

    def __array_function__(self, func, types, args, kwargs):
        if func is np.copyto:
            dst, src = args[0], args[1] if len(args) > 1 else kwargs["src"]
            if not isinstance(dst, MetaArray):
                raise NotImplementedError(NO_DATA)
            return None
        result = super().__array_function__(func, types, args, kwargs)  # NumPy's own code, on one element's memory
        if isinstance(result, tuple):
            return tuple(_as_meta(r) for r in result)
        return _as_meta(result)


# Set once the program makes its first meta array (every one starts in `empty`), so that until then
# Function.apply, on every op, skips looking for meta inputs (a loop per op costs in Pyodide).
created = False


def empty(shape, dtype) -> MetaArray:
    """A meta array of this shape and dtype (one element of memory, whatever the shape)."""
    global created
    created = True
    shape = tuple(int(s) for s in shape)
    dtype = np.dtype(dtype)
    return MetaArray(shape, dtype, buffer=np.zeros(1, dtype), strides=(0,) * len(shape))


def like(a: np.ndarray, dtype=None) -> MetaArray:
    return empty(a.shape, dtype if dtype is not None else a.dtype)


def _as_meta(result):
    if isinstance(result, (np.ndarray, np.generic)) and not isinstance(result, MetaArray):
        return like(np.asarray(result))
    return result


def is_meta(a) -> bool:
    return isinstance(a, MetaArray)


def _proxy(x):
    """A one-element stand-in with x's dtype and number of dimensions (Python scalars stay as they are)."""
    if isinstance(x, np.ndarray):
        return np.zeros((1,) * x.ndim, x.dtype) if x.ndim else np.zeros((), x.dtype)
    return x


def _ufunc_shape(ufunc, method: str, shapes: list, kwargs: dict) -> tuple:
    if method == "__call__":
        if ufunc is np.matmul:
            return matmul_shape(*shapes)
        return np.broadcast_shapes(*shapes)
    if method == "accumulate":
        return shapes[0]
    if method == "outer":
        return tuple(shapes[0]) + tuple(shapes[1])
    if method == "reduce":
        shape, axis = shapes[0], kwargs.get("axis", 0)
        axes = range(len(shape)) if axis is None else ((axis,) if isinstance(axis, (int, np.integer)) else axis)
        axes = {a % len(shape) for a in axes}
        if kwargs.get("keepdims"):
            return tuple(1 if i in axes else n for i, n in enumerate(shape))
        return tuple(n for i, n in enumerate(shape) if i not in axes)
    raise NotImplementedError(f"meta tensors: NumPy ufunc method {ufunc.__name__}.{method}")


def matmul_shape(a: tuple, b: tuple) -> tuple:
    """np.matmul's result shape."""
    a2, b2 = (1,) + tuple(a) if len(a) == 1 else tuple(a), tuple(b) + (1,) if len(b) == 1 else tuple(b)
    if a2[-1] != b2[-2]:
        raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0 (size {b2[-2]} is different "
                         f"from {a2[-1]})")
    shape = np.broadcast_shapes(a2[:-2], b2[:-2]) + (a2[-2], b2[-1])
    if len(a) == 1:
        shape = shape[:-2] + shape[-1:]
    if len(b) == 1:
        shape = shape[:-1]
    return shape


def apply(cls, args: tuple, kwargs: dict):
    """Function.apply when an input is meta: the output's shape and dtype without the work, and a
    node whose backward gives meta gradients of the inputs' shapes (so backward() runs too)."""
    from . import grad_mode
    from .tensor import Tensor

    tensors = [a for a in args if isinstance(a, Tensor)]
    _check_one_device(tensors)
    fn = cls()
    arrays = [a.array if isinstance(a, Tensor) else a for a in args]
    if kwargs.get("out_shape") is not None and tensors:  # conv, pooling: the caller worked the shape out
        out = empty(kwargs["out_shape"], tensors[0].array.dtype)
        if isinstance(kwargs.get("indices"), list):
            kwargs["indices"].append(empty(kwargs["out_shape"], np.int64))
    else:
        out = fn.forward(*arrays, **kwargs)
        if not is_meta(out):
            out = like(np.asarray(out))
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    if not (grad_mode._enabled and True in needs):
        return Tensor._make(out)
    fn.parents, fn.parent_ctxs = args, tuple(a._ctx if isinstance(a, Tensor) else None for a in args)
    fn.needs_input_grad, fn.released = needs, False
    fn.backward = lambda grad: tuple(like(a) if need else None for a, need in zip(arrays, needs))
    return Tensor._make(out, True, fn)


def any_meta(args: tuple) -> bool:
    for a in args:
        if type(getattr(a, "array", None)) is MetaArray:
            return True
    return False


def _check_one_device(tensors: list) -> None:
    """PyTorch's error for a meta tensor meeting a CPU tensor (0-d CPU tensors act as scalars)."""
    devices = [("meta" if is_meta(t.array) else "cpu") for t in tensors if is_meta(t.array) or t.array.ndim > 0]
    for d in devices:
        if d != devices[0]:
            raise RuntimeError(f"Tensor on device {d} is not on the expected device {devices[0]}!")
