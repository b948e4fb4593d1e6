"""Categorical(probs | logits) over the last dim: samples are int64 class indices."""

from __future__ import annotations

import numpy as np

from .. import creation
from .distribution import Constraint, Distribution, lazy_property, real_vector, simplex


class Categorical(Distribution):
    arg_constraints = {"probs": simplex, "logits": real_vector}

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            param = self.logits
        self._param = param
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], (), validate_args)

    @lazy_property
    def probs(self):
        return self.logits.softmax(-1)

    @lazy_property
    def logits(self):
        eps = float(np.finfo(self.probs.array.dtype).eps)
        return self.probs.clamp(eps, 1 - eps).log()

    @property
    def support(self):
        n = self._num_events
        return Constraint(f"IntegerInterval(lower_bound=0, upper_bound={n - 1})",
                          lambda a: (a >= 0) & (a <= n - 1) & (a == np.floor(a)))

    @property
    def param_shape(self):
        return self._param.shape

    @property
    def mean(self):
        return creation.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return creation.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=()):
        probs = self.probs.detach().reshape(-1, self._num_events)
        n = int(np.prod(sample_shape)) if len(sample_shape) else 1
        draws = creation.multinomial(probs, n, replacement=True)  # (batch, n)
        out = draws.t().reshape(*self._extended_shape(sample_shape))
        return out

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long()
        logits = self.logits
        shape = np.broadcast_shapes(tuple(value.shape) + (1,), tuple(logits.shape))
        value = value.unsqueeze(-1).expand(*shape[:-1], 1)
        logits = logits.expand(*shape)
        return logits.gather(-1, value).squeeze(-1)

    def entropy(self):
        eps = float(np.finfo(self.logits.array.dtype).min)
        logits = self.logits.clamp(min=eps)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = creation.arange(self._num_events).reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values
