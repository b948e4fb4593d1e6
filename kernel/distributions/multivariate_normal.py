"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril), through the
Cholesky factor: rsample = loc + L @ eps, log_prob from a triangular solve."""

from __future__ import annotations

import math

import numpy as np

from .. import creation
from ..linalg import cholesky, inv, solve
from .distribution import Constraint, lazy_property, real_vector
from .normal import _Gaussian

_positive_definite = Constraint("PositiveDefinite()", lambda a: True)
_lower_cholesky = Constraint("LowerCholesky()", lambda a: True)


def _diagonal(m):
    n = m.shape[-1]
    return (m * creation.eye(n, dtype=m.dtype)).sum(-1)


class MultivariateNormal(_Gaussian):
    arg_constraints = {"loc": real_vector, "covariance_matrix": _positive_definite,
                       "precision_matrix": _positive_definite, "scale_tril": _lower_cholesky}
    support = real_vector

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        matrix = scale_tril if scale_tril is not None else (
            covariance_matrix if covariance_matrix is not None else precision_matrix)
        if matrix.dim() < 2:
            name = "scale_tril" if scale_tril is not None else (
                "covariance_matrix" if covariance_matrix is not None else "precision_matrix")
            raise ValueError(f"{name} matrix must be at least two-dimensional, with optional leading batch dimensions")
        batch = tuple(np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
        n = loc.shape[-1]
        self.loc = loc.expand(*batch, n)
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(*batch, n, n)
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(*batch, n, n)
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self.precision_matrix = precision_matrix.expand(*batch, n, n)
            self._unbroadcasted_scale_tril = cholesky(inv(precision_matrix))
        super().__init__(batch, (n,), validate_args)

    def _matrix_shape(self):
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(*self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        lt = self._unbroadcasted_scale_tril
        return (lt @ lt.mT).expand(*self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        lt = self._unbroadcasted_scale_tril
        return inv(lt @ lt.mT).expand(*self._matrix_shape())

    @property
    def variance(self):
        lt = self._unbroadcasted_scale_tril
        return (lt ** 2).sum(-1).expand(*(self._batch_shape + self._event_shape))

    def rsample(self, sample_shape=()):
        eps = self._unit_noise(sample_shape)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        lt = self._unbroadcasted_scale_tril.tril()  # a triangular solve reads the lower triangle only, as in PyTorch
        shape = np.broadcast_shapes(tuple(diff.shape[:-1]), tuple(lt.shape[:-2]))
        n = self._event_shape[0]
        z = solve(lt.expand(*shape, n, n), diff.expand(*shape, n).unsqueeze(-1)).squeeze(-1)
        m = (z ** 2).sum(-1)
        half_log_det = _diagonal(lt).log().sum(-1)
        return -0.5 * (n * math.log(2 * math.pi) + m) - half_log_det

    def entropy(self):
        n = self._event_shape[0]
        half_log_det = _diagonal(self._unbroadcasted_scale_tril).log().sum(-1)
        h = 0.5 * n * (1.0 + math.log(2 * math.pi)) + half_log_det
        return h.expand(*self._batch_shape) if len(self._batch_shape) else h
