"""Bernoulli(probs | logits): samples are 0./1. floats."""

from __future__ import annotations

import numpy as np

from .. import creation
from .distribution import Distribution, boolean, broadcast_all, lazy_property, real, unit_interval


class Bernoulli(Distribution):
    arg_constraints = {"probs": unit_interval, "logits": real}
    support = boolean

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            param = self.probs
        else:
            (self.logits,) = broadcast_all(logits)
            param = self.logits
        super().__init__(param.shape, (), validate_args)

    @lazy_property
    def probs(self):
        return self.logits.sigmoid()

    @lazy_property
    def logits(self):
        eps = float(np.finfo(self.probs.array.dtype).eps)
        p = self.probs.clamp(eps, 1 - eps)
        return p.log() - (1 - p).log()

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, float("nan"))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        probs = self.probs.detach().expand(*self._extended_shape(sample_shape))
        return creation.bernoulli(probs)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        from ..nn.functional import binary_cross_entropy_with_logits

        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        from ..nn.functional import binary_cross_entropy_with_logits

        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
