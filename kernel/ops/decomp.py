"""Matrix decompositions and solvers (`torch.linalg`'s core) as Functions on NumPy's LAPACK.

A decomposition with several outputs is one Function per output, each with its own share of
the backward formula; the formulas are linear in the output gradients, so the engine's sum of
the shares is the whole gradient. Singular vectors of `svd` have no backward here: using them
in a loss that is differentiated raises a clear error instead of a wrong gradient.
"""

from __future__ import annotations

import numpy as np

from ..function import Function, named
from ..tensor import Tensor, _wrap_dim
from .linalg import _title

__all__ = ["inverse", "det", "logdet", "slogdet", "svd", "cross", "matrix_exp", "cholesky", "qr", "dist", "unique",
           "unique_consecutive"]


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (its class is named `_LinAlgError` in PyTorch)."""


LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"


def _mT(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def check_square(A: Tensor, name: str, allow_int: bool = False) -> None:
    if A.array.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    m, n = A.array.shape[-2:]
    if m != n:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {m} by {n} matrices")
    check_float(A, name)


def check_float(A: Tensor, name: str) -> None:
    if A.array.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {_title(A)}")


# ---- inverse, solve, determinant ----------------------------------------------------------
class Inv(Function):
    def forward(self, a):
        if a.size:
            singular = np.abs(np.linalg.det(a)) == 0 if a.shape[-1] <= 3 else None
            try:
                inv = np.linalg.inv(a)
            except np.linalg.LinAlgError:
                singular = True
            if singular is not None and np.any(singular):
                raise LinAlgError("linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
                                  "because the input matrix is singular.")
        else:
            inv = a.copy()
        self.inv = inv
        return inv

    def backward(self, g):
        it = _mT(self.inv)
        return -(it @ g @ it)

    def backward_graph(self, g):
        it = inv(self.parents[0]).mT
        return -(it @ g @ it)


def inv(A):
    check_square(A, "linalg.inv")
    return named(Inv.apply(A), "LinalgInvExBackward0")


inverse = inv


class Solve(Function):
    def forward(self, a, b, vector):
        self.a, self.vector = a, vector
        x = np.linalg.solve(a, b[..., None] if vector else b)
        self.x = x
        return x[..., 0] if vector else x

    def backward(self, g):
        g = g[..., None] if self.vector else g
        gb = np.linalg.solve(_mT(self.a), g)
        ga = -(gb @ _mT(self.x)) if self.needs_input_grad[0] else None
        return ga, (gb[..., 0] if self.vector else gb)

    def backward_graph(self, g):
        a, b = self.parents
        g = g.unsqueeze(-1) if self.vector else g
        x = solve(a, b.unsqueeze(-1) if self.vector else b)
        gb = solve(a.mT, g)
        ga = -(gb @ x.mT) if self.needs_input_grad[0] else None
        return ga, (gb.squeeze(-1) if self.vector else gb)


def solve(A, B, *, left=True):
    if not left:
        raise RuntimeError("TorchPad's kernel: linalg.solve supports left=True only (solve A.mT X.mT = B.mT instead)")
    check_square(A, "linalg.solve")
    if B.array.dtype != A.array.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {_title(A)} "
                           f"and B of type {_title(B)} instead")
    n = A.array.shape[-1]
    vector = B.array.ndim == 1 or (B.array.ndim == A.array.ndim - 1 and B.array.shape == A.array.shape[:-1])
    rows = B.array.shape[-1] if vector else B.array.shape[-2]
    if rows != n:
        cols = 1 if vector else B.array.shape[-1]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and {rows}x{cols})")
    if np.any(np.linalg.det(A.array) == 0):
        raise LinAlgError("linalg.solve: The solver failed because the input matrix is singular.")
    return named(Solve.apply(A, B, vector=vector), "LinalgSolveExBackward0")


class Det(Function):
    def forward(self, a):
        self.a = a
        self.det = np.linalg.det(a).astype(a.dtype)
        return self.det

    def backward(self, g):
        # d det / dA = det * A^-T (adjugate transposed); the pseudo-inverse keeps singular inputs finite
        return (g * self.det)[..., None, None] * _mT(np.linalg.pinv(self.a))

    def backward_graph(self, g):
        a = self.parents[0]
        return (g * det(a)).unsqueeze(-1).unsqueeze(-1) * inv(a).mT


def det(A):
    check_square(A, "linalg.det")
    return named(Det.apply(A), "LinalgDetBackward0")


class SlogdetLogAbs(Function):
    def forward(self, a):
        self.a = a
        return np.linalg.slogdet(a)[1].astype(a.dtype)

    def backward(self, g):
        return g[..., None, None] * _mT(np.linalg.inv(self.a))

    def backward_graph(self, g):
        return g.unsqueeze(-1).unsqueeze(-1) * inv(self.parents[0]).mT


def slogdet(A):
    check_square(A, "linalg.slogdet")
    sign = Tensor._make(np.linalg.slogdet(A.array)[0].astype(A.array.dtype))
    return _SLOGDET(sign, named(SlogdetLogAbs.apply(A), "LinalgSlogdetBackward0"))


def logdet(A):
    check_square(A, "logdet")
    sign, logabs = slogdet(A)
    return logabs + Tensor._make(np.where(sign.array < 0, np.nan, 0).astype(A.array.dtype))


# ---- symmetric eigendecomposition, Cholesky, QR, SVD ----------------------------------------
class EighValues(Function):
    def forward(self, a, uplo):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        self.v, self.uplo = v, uplo
        return w

    def backward(self, g):
        v = self.v
        return (v * g[..., None, :]) @ _mT(v)

    def backward_graph(self, g):
        v = eigh(self.parents[0], self.uplo).eigenvectors
        return (v * g.unsqueeze(-2)) @ v.mT


class EighVectors(Function):
    def forward(self, a, uplo):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        self.w, self.v, self.uplo = w, v, uplo
        return v

    def backward(self, g):
        w, v = self.w, self.v
        e = w[..., None, :] - w[..., :, None]  # e[i, j] = w[j] - w[i]
        n = w.shape[-1]
        off = ~np.eye(n, dtype=bool)
        f = np.where(off, 1 / np.where(off, e, 1), 0)
        inner = _mT(v) @ g
        skew = (inner - _mT(inner)) / 2
        return v @ (f * skew) @ _mT(v)

    def backward_graph(self, g):
        w, v = eigh(self.parents[0], self.uplo)
        n = w.shape[-1]
        eye = np.eye(n, dtype=self.w.dtype)
        e = w.unsqueeze(-2) - w.unsqueeze(-1) + Tensor._make(eye)  # 1 on the diagonal: masked to 0 below
        f = Tensor._make(1 - eye) / e
        inner = v.mT @ g
        return v @ (f * ((inner - inner.mT) / 2)) @ v.mT


def eigh(A, UPLO="L"):
    check_square(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return _EIGH(named(EighValues.apply(A, uplo=UPLO), "LinalgEighBackward0"),
                 named(EighVectors.apply(A, uplo=UPLO), "LinalgEighBackward0"))


def eigvalsh(A, UPLO="L"):
    check_square(A, "linalg.eigvalsh")
    return named(EighValues.apply(A, uplo=UPLO), "LinalgEighBackward0")


class Cholesky(Function):
    def forward(self, a, upper):
        try:
            low = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            order = _first_non_pd_minor(a)
            raise LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                              f"positive-definite (the leading minor of order {order} is not positive-definite).") from None
        self.low, self.upper = low, upper
        return _mT(low) if upper else low

    def backward(self, g):
        low = self.low
        g = _mT(g) if self.upper else g
        phi = _mT(low) @ np.tril(g)
        phi = np.tril(phi) - 0.5 * np.eye(low.shape[-1], dtype=low.dtype) * phi
        linv = np.linalg.inv(low)
        s = _mT(linv) @ phi @ linv
        return 0.5 * (s + _mT(s))

    def backward_graph(self, g):
        low = cholesky(self.parents[0])
        g = g.mT if self.upper else g
        phi = low.mT @ g.tril()
        phi = phi.tril() - phi * Tensor._make(0.5 * np.eye(self.low.shape[-1], dtype=self.low.dtype))
        linv = inv(low)
        s = linv.mT @ phi @ linv
        return 0.5 * (s + s.mT)


def _first_non_pd_minor(a: np.ndarray) -> int:
    a = a.reshape(-1, *a.shape[-2:])
    for m in a:
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                return k
    return 1


def cholesky(A, upper=False):
    check_square(A, "linalg.cholesky")
    return named(Cholesky.apply(A, upper=upper), "LinalgCholeskyExBackward0")


def _qr_backward(q, r, gq, gr):
    """A = QR (reduced, m >= n): gA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q."""
    m = r @ _mT(gr) - _mT(gq) @ q
    low = np.tril(m, -1)
    copyltu = low + _mT(low) + np.eye(m.shape[-1], dtype=m.dtype) * m
    rhs = gq + q @ copyltu
    return _mT(np.linalg.solve(r, _mT(rhs)))


def _qr_backward_graph(q, r, gq, gr):
    """_qr_backward as Tensor ops (gq or gr None for a zero gradient)."""
    m = -(gq.mT @ q) if gq is not None else r @ gr.mT
    low = m.tril(-1)
    copyltu = low + low.mT + m * Tensor._make(np.eye(m.shape[-1], dtype=m.array.dtype))
    rhs = q @ copyltu if gq is None else gq + q @ copyltu
    return solve(r, rhs.mT).mT


class QrFactor(Function):
    def forward(self, a, mode, which):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        self.q, self.r, self.which = q, r, which
        return q if which == 0 else r

    def backward(self, g):
        q, r = self.q, self.r
        if q.shape[-1] != r.shape[-2] or r.shape[-2] < r.shape[-1]:
            raise RuntimeError("TorchPad's kernel differentiates linalg.qr for mode='reduced' with rows >= columns only")
        zero = np.zeros_like
        return _qr_backward(q, r, g, zero(r)) if self.which == 0 else _qr_backward(q, r, zero(q), g)

    def backward_graph(self, g):
        if self.q.shape[-1] != self.r.shape[-2] or self.r.shape[-2] < self.r.shape[-1]:
            return self.backward(g)  # raises the mode / shape error
        q, r = linalg_qr(self.parents[0])
        return _qr_backward_graph(q, r, g, None) if self.which == 0 else _qr_backward_graph(q, r, None, g)


def linalg_qr(A, mode="reduced"):
    if A.array.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    check_float(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or 'complete'")
    r = named(QrFactor.apply(A, mode=mode, which=1), "LinalgQrBackward0")
    if mode == "r":
        return _QR(Tensor._make(np.zeros((0,), A.array.dtype)), r)
    return _QR(named(QrFactor.apply(A, mode=mode, which=0), "LinalgQrBackward0"), r)


class SvdValues(Function):
    def forward(self, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        self.u, self.vh = u, vh
        return s

    def backward(self, g):
        return (self.u * g[..., None, :]) @ self.vh

    def backward_graph(self, g):
        """U diag(g) Vh through the symmetric eigendecomposition of A^T A (or A A^T for wide A), whose
        vectors are differentiable here: U diag(g) Vh = A V diag(g / s) V^T (= U diag(g / s) U^T A),
        exact for distinct nonzero singular values (others are refused); eigh's ascending order is flipped
        to svd's."""
        a = self.parents[0]
        sv = np.linalg.svd(a.array, compute_uv=False)
        tol = np.sqrt(np.finfo(a.array.dtype).eps) * np.max(sv, axis=-1, initial=0.0)
        gaps = np.abs(np.diff(sv, axis=-1)).min(initial=np.inf)
        if sv.size and (sv.min() <= tol.min() or gaps <= tol.min()):
            raise RuntimeError(f"double backward through {self.name()} is not supported by TorchPad's kernel for a "
                               "matrix with a zero or repeated singular value (its formula divides by them); run "
                               "this program on the GPU server runtime")
        m, n = a.shape[-2:]
        tall = m >= n
        w, v = eigh(a.mT @ a if tall else a @ a.mT)
        k = min(m, n)
        v = v[..., -k:].flip(-1)
        s = w[..., -k:].flip(-1).sqrt()
        core = (v * (g / s).unsqueeze(-2)) @ v.mT
        return a @ core if tall else core @ a


class SvdVectors(Function):
    def forward(self, a, full_matrices, which):
        u, _, vh = np.linalg.svd(a, full_matrices=full_matrices)
        return u if which == 0 else vh

    def backward_graph(self, g):
        return self.backward(g)  # the same clear error as first order

    def backward(self, g):
        raise RuntimeError("TorchPad's kernel does not differentiate the singular vectors (U, Vh) of an SVD; "
                           "use the singular values (linalg.svdvals) or run this program on the GPU server runtime")


def _svd_parts(A, full_matrices):
    check_float(A, "linalg.svd")
    if A.array.ndim < 2:
        raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
    u = named(SvdVectors.apply(A, full_matrices=full_matrices, which=0), "LinalgSvdBackward0")
    s = named(SvdValues.apply(A), "LinalgSvdBackward0")
    vh = named(SvdVectors.apply(A, full_matrices=full_matrices, which=1), "LinalgSvdBackward0")
    return u, s, vh


def linalg_svd(A, full_matrices=True, *, driver=None):
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with cuSOLVER backend.")
    return _SVD(*_svd_parts(A, full_matrices))


def svdvals(A, *, driver=None):
    check_float(A, "linalg.svd")
    return named(SvdValues.apply(A), "LinalgSvdBackward0")


def qr(input, some=True):
    """torch.qr (the old form): `some` picks reduced (True) or complete factors."""
    return linalg_qr(input, "reduced" if some else "complete")


def svd(input, some=True, compute_uv=True):
    """torch.svd (the old form): returns V, not Vh, and reduced factors unless some=False."""
    if not compute_uv:  # PyTorch returns zero-filled U and V then
        s = svdvals(input)
        n, m = input.array.shape[-2:]
        batch, dt = input.array.shape[:-2], input.array.dtype
        return _TSVD(Tensor._make(np.zeros(batch + (n, n), dt)), s, Tensor._make(np.zeros(batch + (m, m), dt)))
    u, s, vh = _svd_parts(input, not some)
    return _TSVD(u, s, vh.mT)


# ---- matrix exponential -----------------------------------------------------------------------
def _expm(a: np.ndarray) -> np.ndarray:
    """exp(A) by scaling and squaring a degree-18 Taylor series, in float64."""
    a64 = a.astype(np.float64)
    norm = np.max(np.abs(a64).sum(-2)) if a64.size else 0.0
    k = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0.5 else 0
    x = a64 / (2.0 ** k)
    n = a.shape[-1]
    eye = np.broadcast_to(np.eye(n), a64.shape)
    result, term = eye.copy(), eye.copy()
    for i in range(1, 19):
        term = term @ x / i
        result = result + term
    for _ in range(k):
        result = result @ result
    return result.astype(a.dtype)


class MatrixExp(Function):
    def forward(self, a):
        self.a = a
        return _expm(a)

    def backward_graph(self, g):
        from .shape import cat

        at = self.parents[0].mT
        top = cat([at, g], -1)
        bottom = cat([at * 0, at], -1)
        n = at.shape[-1]
        return matrix_exp(cat([top, bottom], -2))[..., :n, n:]

    def backward(self, g):
        # the gradient is the top-right block of exp([[A^T, G], [0, A^T]])
        n = self.a.shape[-1]
        at = _mT(self.a)
        block = np.zeros(self.a.shape[:-2] + (2 * n, 2 * n), dtype=self.a.dtype)
        block[..., :n, :n] = at
        block[..., n:, n:] = at
        block[..., :n, n:] = g
        return _expm(block)[..., :n, n:]


def matrix_exp(input):
    check_square(input, "linalg.matrix_exp")
    return named(MatrixExp.apply(input), "LinalgMatrixExpBackward0")


# ---- cross product, distance, unique ----------------------------------------------------------
class Cross(Function):
    def forward(self, a, b, axis):
        self.a, self.b, self.axis = a, b, axis
        return np.cross(a, b, axis=axis)

    def backward(self, g):
        ga = np.cross(self.b, g, axis=self.axis) if self.needs_input_grad[0] else None
        gb = np.cross(g, self.a, axis=self.axis) if self.needs_input_grad[1] else None
        return ga, gb

    def backward_graph(self, g):
        a, b = self.parents
        ga = Cross.apply(b, g, axis=self.axis) if self.needs_input_grad[0] else None
        gb = Cross.apply(g, a, axis=self.axis) if self.needs_input_grad[1] else None
        return ga, gb


def _cross(input, other, dim, name):
    from .elementwise import broadcast_shape

    if input.array.ndim != other.array.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    shape = broadcast_shape(input.array.shape, other.array.shape)
    axis = _wrap_dim(dim, len(shape))
    if input.array.shape != shape:
        input = input.expand(*shape)
    if other.array.shape != shape:
        other = other.expand(*shape)
    if input.array.shape[axis] != 3 or other.array.shape[axis] != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim} must have length 3. Got {input.array.shape[axis]} and "
                           f"{other.array.shape[axis]}")
    return named(Cross.apply(input, other, axis=axis), "LinalgCrossBackward0")


def cross(input, other, dim=None):
    if dim is None:
        sizes = [i for i, n in enumerate(input.array.shape) if n == 3]
        if not sizes:
            raise RuntimeError("no dimension of size 3 in input")
        import warnings

        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree with "
                      "that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        dim = sizes[0]
    return _cross(input, other, dim, "linalg.cross")


def linalg_cross(input, other, *, dim=-1):
    return _cross(input, other, dim, "linalg.cross")


def dist(input, other, p=2):
    from ..linalg import vector_norm

    return named(vector_norm(input - other, p), "DistBackward0")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Sorted unique values (PyTorch's CPU unique always sorts), with inverse indices and counts if asked."""
    a = input.array
    if dim is None:
        values, inverse, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a.shape)
    else:
        axis = _wrap_dim(dim, a.ndim)
        values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
        inverse = inverse.reshape(-1)
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        raise RuntimeError("TorchPad's kernel: unique_consecutive supports dim=None only")
    a = input.array.reshape(-1)
    starts = np.concatenate([[True], a[1:] != a[:-1]]) if a.size else np.zeros(0, bool)
    out = [Tensor._make(a[starts])]
    if return_inverse:
        out.append(Tensor._make((np.cumsum(starts) - 1).reshape(input.array.shape).astype(np.int64)))
    if return_counts:
        idx = np.flatnonzero(starts)
        out.append(Tensor._make(np.diff(np.append(idx, a.size)).astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _named_tuple(name: str, fields: list):
    from collections import namedtuple

    base = namedtuple(name, fields)

    def __repr__(self):
        inner = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"torch.return_types.{name}(\n{inner})"

    return type(name, (base,), {"__repr__": __repr__, "__slots__": ()})


_SLOGDET = _named_tuple("linalg_slogdet", ["sign", "logabsdet"])
_EIGH = _named_tuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
_QR = _named_tuple("linalg_qr", ["Q", "R"])
_SVD = _named_tuple("linalg_svd", ["U", "S", "Vh"])
_TSVD = _named_tuple("svd", ["U", "S", "V"])

METHODS = {
    "inverse": inverse, "det": det, "logdet": logdet, "slogdet": slogdet, "svd": svd, "cross": cross,
    "matrix_exp": matrix_exp, "cholesky": lambda self, upper=False: cholesky(self, upper), "qr": qr,
    "dist": dist, "unique": unique, "unique_consecutive": unique_consecutive,
}
