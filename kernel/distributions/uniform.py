"""Uniform(low, high) on [low, high): reparameterized sampling."""

from __future__ import annotations

from .. import creation
from .distribution import Constraint, Distribution, broadcast_all, real


class Uniform(Distribution):
    arg_constraints = {"low": real, "high": real}
    has_rsample = True

    def __init__(self, low, high, validate_args=None) -> None:
        self.low, self.high = broadcast_all(low, high)
        lo, hi = self.low.detach().array, self.high.detach().array
        if (validate_args is None and self._validate_args or validate_args) and not (lo < hi).all():
            raise ValueError(f"Expected parameter low (Tensor of shape {tuple(self.low.shape)}) of distribution "
                             f"{self!r} to satisfy the constraint LessThan(upper_bound={self.high.detach()}), but found "
                             f"invalid values:\n{self.low.detach()}")
        super().__init__(self.low.shape, (), validate_args)

    @property
    def support(self):
        lo, hi = self.low.detach(), self.high.detach()
        desc = (f"Interval(lower_bound={lo}, upper_bound={hi})")
        return Constraint(desc, lambda a: (a >= lo.array) & (a < hi.array))

    @property
    def mean(self):
        return (self.high + self.low) / 2

    @property
    def stddev(self):
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()):
        u = creation.rand(*self._extended_shape(sample_shape), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        inside = ((value >= self.low) & (value < self.high)).to(self.low.dtype)
        return inside.log() - (self.high - self.low).log()

    def entropy(self):
        return (self.high - self.low).log()

    def cdf(self, value):
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)
