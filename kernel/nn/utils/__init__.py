"""torch.nn.utils: gradient clipping and parameter/vector conversion."""

from __future__ import annotations

import math

import numpy as np

from ... import creation
from ...tensor import Tensor

from . import parametrize, prune, rnn  # noqa: E402,F401  (reachable after `import torch.nn`, as in PyTorch)

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return creation.tensor(0.0)
    if norm_type == math.inf:
        total = max(float(np.abs(g.array).max()) if g.array.size else 0.0 for g in grads)
    else:
        total = sum(float((np.abs(g.array.astype(np.float64)) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    total32 = np.float32(total)
    if error_if_nonfinite and not np.isfinite(total32):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    coef = np.float32(max_norm) / (total32 + np.float32(1e-6))
    if coef < 1:
        for g in grads:
            g.array *= coef.astype(g.array.dtype)
    return Tensor._make(np.asarray(total32))


def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g.array, -clip_value, clip_value, out=g.array)


def parameters_to_vector(parameters) -> Tensor:
    return Tensor._make(np.concatenate([p.array.reshape(-1) for p in parameters]))


def vector_to_parameters(vec, parameters) -> None:
    offset = 0
    for p in parameters:
        n = p.array.size
        p.array[...] = vec.array[offset:offset + n].reshape(p.array.shape)
        offset += n
