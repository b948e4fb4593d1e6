"""Tensor.to('meta'): a shape-only copy, in the graph as PyTorch's ToCopyBackward0 when the source needs grad."""

from __future__ import annotations

from . import meta
from .function import Function
from .tensor import Tensor


class ToCopy(Function):
    saves_tensors = False

    def forward(self, a):
        return meta.like(a)

    def backward(self, g):
        return g


def to_meta(t: Tensor) -> Tensor:
    return ToCopy.apply(t) if t.requires_grad else Tensor._make(meta.like(t.array))
