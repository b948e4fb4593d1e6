"""`torch.linalg`: norms built from the differentiable reductions, decompositions from ops/decomp."""

from __future__ import annotations

import math

from .ops import reduce as _reduce
from .ops.decomp import (  # noqa: F401
    LinAlgError, cholesky, det, eigh, eigvalsh, inv, linalg_cross as cross, linalg_qr as qr, linalg_svd as svd,
    matrix_exp, slogdet, solve, svdvals, check_float as _check_float,
)
from .ops.linalg import matmul as _matmul
from .tensor import _wrap_dim

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "solve", "det", "slogdet", "svd", "svdvals", "qr", "eigh",
           "eigvalsh", "cholesky", "cross", "matrix_exp", "matmul", "LinAlgError"]

matmul = _matmul


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ord-norm of x's entries over `dim` (all of them when None), as if x were a vector."""
    _check_float(x, "linalg.vector_norm")
    if isinstance(ord, str):
        raise TypeError(f"linalg.vector_norm(): argument 'ord' must be Number, not str")
    if dtype is not None:
        x = x.to(dtype)
    p = ord
    if p == math.inf:
        p = "inf"
    elif p == -math.inf:
        p = "-inf"
    if p == "-inf" or p == "inf":
        if x.array.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                               "operation does not have an identity")
    if dim is not None and not isinstance(dim, (tuple, list)):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
    if p not in ("inf", "-inf", 1, 2, 0) and p < 0:
        return _reduce.sum(x.abs() ** p, dim, keepdim) ** (1.0 / p)
    return _reduce.norm(x, p, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    _check_float(A, "linalg.matrix_norm")
    if A.array.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (_wrap_dim(d, A.array.ndim) for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (1, -1, math.inf, -math.inf):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(sum_dim, keepdim=True)
        out = sums.amax(red_dim, keepdim=True) if ord > 0 else sums.amin(red_dim, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm for 1-D input or an int dim, a matrix norm for 2-D input or a pair of dims."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is not None:
        if len(dim) == 2:
            return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
        return vector_norm(A, ord, dim, keepdim, dtype=dtype)
    if A.array.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.array.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.array.ndim}D.")

