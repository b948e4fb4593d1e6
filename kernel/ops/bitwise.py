"""Bitwise ops on integer and bool tensors (no gradients: they are not differentiable).

PyTorch refuses floats with NotImplementedError naming its CPU kernel; so do we."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from .elementwise import broadcast_shape

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"]



def _binary(np_fn, kernel_name: str):
    def op(input, other):
        a = input if isinstance(input, Tensor) else Tensor._make(np.asarray(input))
        if isinstance(other, Tensor):
            if a.array.shape != other.array.shape:
                broadcast_shape(a.array.shape, other.array.shape)
            dt = dtypes.result_type(a.dtype, a.array.ndim, other)
        else:
            dt = dtypes.result_type(a.dtype, a.array.ndim, other)
        if dt.is_floating_point:
            raise NotImplementedError(f"\"{kernel_name}_cpu\" not implemented for '{dt.scalar_name}'")
        b = other.array if isinstance(other, Tensor) else other
        return Tensor._make(np.asanyarray(np_fn(a.array.astype(dt.np, copy=False), np.asanyarray(b, dtype=dt.np))))

    op.__name__ = np_fn.__name__
    return op


bitwise_and = _binary(np.bitwise_and, "bitwise_and")
bitwise_or = _binary(np.bitwise_or, "bitwise_or")
bitwise_xor = _binary(np.bitwise_xor, "bitwise_xor")
bitwise_left_shift = _binary(np.left_shift, "lshift")
bitwise_right_shift = _binary(np.right_shift, "rshift")


def _inplace(fn):
    def op(self, other):
        return self._assign(fn(self, other))

    op.__name__ = fn.__name__ + "_"
    return op


METHODS = {
    "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
    "__lshift__": bitwise_left_shift, "__rshift__": bitwise_right_shift,
    "__rlshift__": lambda self, other: bitwise_left_shift(other, self),
    "__rrshift__": lambda self, other: bitwise_right_shift(other, self),
}
METHODS.update({name + "_": _inplace(fn) for name, fn in list(METHODS.items()) if not name.startswith("__")})
METHODS.update({"__ilshift__": METHODS["bitwise_left_shift_"], "__irshift__": METHODS["bitwise_right_shift_"],
                "__iand__": METHODS["bitwise_and_"], "__ior__": METHODS["bitwise_or_"],
                "__ixor__": METHODS["bitwise_xor_"]})
