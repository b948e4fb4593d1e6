"""Normal(loc, scale): reparameterized sampling, so gradients flow through rsample."""

from __future__ import annotations

import math

from .. import creation
from .distribution import Distribution, broadcast_all, positive, real


class _Gaussian(Distribution):
    """Normal and MultivariateNormal: one peak at `loc`, about which they are symmetric, and rsample
    shifts (and scales) unit Gaussian noise."""

    has_rsample = True

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    def _unit_noise(self, sample_shape):
        return creation.randn(*self._extended_shape(sample_shape), dtype=self.loc.dtype)


class Normal(_Gaussian):
    arg_constraints = {"loc": real, "scale": positive}
    support = real

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale ** 2

    def rsample(self, sample_shape=()):
        return self.loc + self._unit_noise(sample_shape) * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - math.log(math.sqrt(2 * math.pi))

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value):
        from ..ops.elementwise import erf

        return 0.5 * (1 + erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))
