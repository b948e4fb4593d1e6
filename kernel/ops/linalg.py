"""Matrix products: matmul and its named forms, with PyTorch's shape errors."""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import Tensor

__all__ = ["matmul", "mm"]


class MatMul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        n = self.needs_input_grad
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if n[0] else None), (g * a if n[1] else None)
        if n[0]:
            if b.ndim == 1:
                ga = np.expand_dims(g, -1) * b
            else:
                ga = (np.expand_dims(g, -2) if a.ndim == 1 else g) @ np.swapaxes(b, -1, -2)
                if a.ndim == 1:
                    ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if n[1]:
            if a.ndim == 1:
                gb = np.expand_dims(a, -1) * np.expand_dims(g, -2)
            elif b.ndim == 1:
                gb = (np.swapaxes(a, -1, -2) @ np.expand_dims(g, -1))[..., 0]
            else:
                gb = np.swapaxes(a, -1, -2) @ g
            if gb.ndim > b.ndim:  # batched a with an unbatched b
                gb = gb.reshape(-1, *b.shape).sum(0)
        return ga, gb


def _check_dtypes(a: Tensor, b: Tensor) -> None:
    if a.array.dtype != b.array.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_dn(a)} != {_dn(b)}")


def _dn(t: Tensor) -> str:
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int", "bool": "bool"}.get(t.dtype.name, t.dtype.name)


def matmul(input, other):
    a, b = input.array, other.array
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    _check_dtypes(input, other)
    if a.ndim == 1 and b.ndim == 1:
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    elif b.ndim == 1:
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({a.shape[-2]}), mat ({a.shape[-2]}x{a.shape[-1]}), vec ({b.shape[0]})")
    elif a.ndim == 1:
        if a.shape[0] != b.shape[-2]:
            raise RuntimeError(f"size mismatch, got input ({b.shape[-1]}), mat ({b.shape[-1]}x{b.shape[-2]}), vec ({a.shape[0]})" if b.ndim == 2 else f"Expected size for first two dimensions of batch2 tensor to be: [{b.shape[0]}, {a.shape[0]}] but got: [{b.shape[0]}, {b.shape[-2]}].")
    elif a.shape[-1] != b.shape[-2]:
        if a.ndim == 2 and b.ndim == 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
        if a.ndim == 3 and b.ndim == 3:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b.shape[0]}, {a.shape[-1]}] but got: [{b.shape[0]}, {b.shape[-2]}].")
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({int(np.prod(a.shape[:-1]))}x{a.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    return MatMul.apply(input, other)


def mm(input, mat2):
    if input.array.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.array.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


METHODS = {"matmul": matmul, "__matmul__": matmul, "__rmatmul__": lambda s, o: matmul(o, s), "mm": mm}
