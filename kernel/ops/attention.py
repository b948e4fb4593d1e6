"""scaled_dot_product_attention as one fused node: scores, mask, softmax, dropout and the
weighted sum in a single Function, its backward side by side (two batched GEMMs each way).

Shapes follow PyTorch: query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev),
with broadcasting of the leading dimensions. A boolean mask marks the keys that take part
(True = attend); a float mask is added to the scores. Rows whose keys are all masked give 0,
as PyTorch's CPU kernel does.
"""

from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..compute import matmul as _mm  # the compute seam: products go where the host routes them
from ..function import Function, named
from ..tensor import Tensor

__all__ = ["scaled_dot_product_attention"]


class ScaledDotProductAttention(Function):
    """softmax(q k^T * scale + mask) [* dropout] @ v; the mask is a float array added to the scores."""

    def forward(self, q, k, v, mask=None, *, scale, keep=None):
        s = _mm(q, np.swapaxes(k, -1, -2))
        s *= s.dtype.type(scale)
        if mask is not None:
            s = s + mask
        m = s.max(axis=-1, keepdims=True)
        m[~np.isfinite(m)] = 0  # a fully masked row: exp gives zeros, and the row stays 0
        p = np.exp(s - m, out=s)
        total = p.sum(axis=-1, keepdims=True)
        total[total == 0] = 1
        p /= total
        pd = p if keep is None else p * keep
        self.q, self.k, self.v, self.p, self.pd, self.keep, self.scale = q, k, v, p, pd, keep, scale
        return _mm(pd, v)

    def backward(self, g):
        n = self.needs_input_grad
        q, k, v, p, pd = self.q, self.k, self.v, self.p, self.pd
        gv = _mm(np.swapaxes(pd, -1, -2), g) if n[2] else None
        gp = _mm(g, np.swapaxes(v, -1, -2))
        if self.keep is not None:
            gp *= self.keep
        gs = p * (gp - (gp * p).sum(axis=-1, keepdims=True))  # softmax backward, fused
        gm = gs if len(n) > 3 and n[3] else None
        gs = gs * gs.dtype.type(self.scale)
        gq = _mm(gs, k) if n[0] else None
        gk = _mm(np.swapaxes(gs, -1, -2), q) if n[1] else None
        return gq, gk, gv, gm

    def backward_graph(self, g):
        """The same formulas with Tensor ops, the probabilities recomputed from q and k (create_graph=True)."""
        from .elementwise import where
        from .reduce import softmax

        n = self.needs_input_grad
        q, k, v = self.parents[:3]
        s = q.matmul(k.transpose(-1, -2)) * self.scale
        if len(self.parents) > 3:
            s = s + self.parents[3]
        dead = Tensor._make(~np.isfinite(s.array.max(axis=-1, keepdims=True)))  # fully masked rows give 0
        zero = Tensor._make(np.zeros((), s.array.dtype))
        p = where(dead, zero, softmax(where(dead, zero, s), -1))
        keep = None if self.keep is None else Tensor._make(self.keep)
        pd = p if keep is None else p * keep
        gv = pd.transpose(-1, -2).matmul(g) if n[2] else None
        gp = g.matmul(v.transpose(-1, -2))
        if keep is not None:
            gp = gp * keep
        gs = p * (gp - (gp * p).sum(-1, keepdim=True))
        gm = gs if len(n) > 3 and n[3] else None
        gs = gs * self.scale
        gq = gs.matmul(k) if n[0] else None
        gk = gs.transpose(-1, -2).matmul(q) if n[1] else None
        return gq, gk, gv, gm


def _dtype_name(t: Tensor) -> str:
    return t.dtype.cpp_name


def _check(query, key, value, attn_mask, dropout_p, is_causal) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_dtype_name(query)} key.dtype: {_dtype_name(key)} and value.dtype: {_dtype_name(value)} instead.")
    if query.array.dtype.kind != "f":
        raise RuntimeError(f"scaled_dot_product_attention: expected query to be a floating point tensor, got {_dtype_name(query)}")
    if attn_mask is not None:
        kind = attn_mask.array.dtype
        if kind != np.bool_ and kind != query.array.dtype:
            raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: "
                               f"{_dtype_name(attn_mask)} and  query.dtype: {_dtype_name(query)} instead.")
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.array.ndim < 2:
            raise RuntimeError(f"scaled_dot_product_attention: expected {name} to have at least 2 dimensions, got {t.array.ndim}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(key.shape[:-2]))}, {query.shape[-1]}] but got: [{int(np.prod(key.shape[:-2]))}, {key.shape[-1]}].")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{int(np.prod(value.shape[:-2]))}, "
                           f"{key.shape[-2]}] but got: [{int(np.prod(value.shape[:-2]))}, {value.shape[-2]}].")


def _repeat_heads(query, key, value):
    """enable_gqa: key/value with fewer heads (dim -3) are shared by groups of query heads."""
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hq % hk or hq % hv:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
    if hk != hq:
        key = key.repeat_interleave(hq // hk, dim=-3)
    if hv != hq:
        value = value.repeat_interleave(hq // hv, dim=-3)
    return key, value


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    _check(query, key, value, attn_mask, dropout_p, is_causal)
    if enable_gqa and query.array.ndim >= 3:
        key, value = _repeat_heads(query, key, value)
    L, S = query.shape[-2], key.shape[-2]
    dt = query.array.dtype
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    mask = None
    if is_causal:
        mask = Tensor._make(np.where(np.tril(np.ones((L, S), dtype=bool)), dt.type(0), dt.type(-np.inf)))
    elif attn_mask is not None:
        if attn_mask.array.dtype == np.bool_:
            mask = Tensor._make(np.where(attn_mask.array, dt.type(0), dt.type(-np.inf)))
        else:
            mask = attn_mask
    keep = None
    if dropout_p > 0.0:
        shape = np.broadcast_shapes(query.shape[:-1] + (S,), key.shape[:-2] + (L, S))
        if dropout_p == 1.0:
            keep = np.zeros(shape, dtype=dt)
        else:
            keep = (_random.rng().random(shape, dtype=np.float32) >= dropout_p).astype(dt) * dt.type(1.0 / (1.0 - dropout_p))
    args = (query, key, value) if mask is None else (query, key, value, mask)
    return named(ScaledDotProductAttention.apply(*args, scale=float(scale), keep=keep), _node_name(query, key, value))


def _node_name(query, key, value) -> str:
    """The node PyTorch's CPU attention ends with: its flash kernel (4-D, all three need grad), else the math path's."""
    if query.array.ndim == 2:
        return "MmBackward0"
    if query.array.ndim == 4 and query.requires_grad and key.requires_grad and value.requires_grad:
        return "ScaledDotProductFlashAttentionForCpuBackward0"
    return "UnsafeViewBackward0"
