"""nn.MultiheadAttention with PyTorch's parameters, state_dict keys, masks and errors.

Heads are batched: one packed input projection, a (B, H, L, head_dim) view, and one fused
`scaled_dot_product_attention` node when the weights are not asked for (the Transformer
layers' case). With `need_weights=True` the weights are built from plain ops, as PyTorch does,
so they can be returned (and differentiated).
"""

from __future__ import annotations

import contextlib
import enum
import math

import numpy as np

from .. import creation
from ..function import named
from ..ops.shape import cat
from ..tensor import Tensor
from . import functional as F, init
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class SDPBackend(enum.IntEnum):
    """torch.nn.attention.SDPBackend: which kernel PyTorch uses for scaled_dot_product_attention."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Choosing PyTorch's attention backend changes speed, not values: the kernel has one implementation."""
    yield


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for the output projection (it only affects quantization there)."""


def _float_mask(mask, name: str, dtype) -> Tensor | None:
    """A mask as scores to add: bool True (masked) -> -inf, float masks unchanged."""
    if mask is None:
        return None
    kind = mask.array.dtype
    if kind == np.bool_:
        return Tensor._make(np.where(mask.array, np.asarray(-np.inf, dtype), np.asarray(0, dtype)))
    if kind.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """One more key column that every query may attend (bias_kv / zero_attn)."""
    if mask is None:
        return None
    return cat([mask, creation.zeros(*mask.shape[:-1], 1, dtype=mask.dtype)], -1)


class MultiheadAttention(Module):
    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None,
                 vdim=None, batch_first=False, device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        def empty(*shape, dtype=None):  # device checked as PyTorch does (CUDA raises on a CPU-only build)
            return creation.empty(*shape, dtype=dtype, device=device)

        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    # ---- projections -------------------------------------------------------------------
    def _project(self, query, key, value):
        """(B, L, E) inputs -> q, k, v as (B, L, E), (B, S, E), (B, S, E)."""
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else b.chunk(3)
        if not self._qkv_same_embed_dim:
            return (F.linear(query, self.q_proj_weight, bq), F.linear(key, self.k_proj_weight, bk),
                    F.linear(value, self.v_proj_weight, bv))
        if query is key and key is value:  # self-attention: one GEMM for all three
            return F.linear(query, self.in_proj_weight, b).chunk(3, -1)
        wq, wk, wv = self.in_proj_weight.chunk(3)
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def _check_shapes(self, query, key, value, key_padding_mask, attn_mask) -> bool:
        qd = query.dim()
        if qd == 3:
            if key.dim() != 3 or value.dim() != 3:
                raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                     f"{key.dim()}-D and {value.dim()}-D tensors respectively")
            if key_padding_mask is not None and key_padding_mask.dim() != 2:
                raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                     f"found {key_padding_mask.dim()}-D tensor instead")
            if attn_mask is not None and attn_mask.dim() not in (2, 3):
                raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                     f"found {attn_mask.dim()}-D tensor instead")
            return True
        if qd == 2:
            if key.dim() != 2 or value.dim() != 2:
                raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                     f"{key.dim()}-D and {value.dim()}-D tensors respectively")
            if key_padding_mask is not None and key_padding_mask.dim() != 1:
                raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                                     f"but found {key_padding_mask.dim()}-D tensor instead")
            return False
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {qd}-D query tensor")

    # ---- forward -----------------------------------------------------------------------
    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = self._check_shapes(query, key, value, key_padding_mask, attn_mask)
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                               "method `generate_square_subsequent_mask` to create this mask.")
        same_kv = key is value
        same_qkv = query is key and same_kv
        if not batched:  # a batch of one, dropped again at the end
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:  # PyTorch's (L, B, E) layout: work batch-first inside
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if same_qkv:
            key = value = query
        elif same_kv:
            value = key
        B, L, E = query.shape
        if E != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {E}")
        if self._qkv_same_embed_dim and key.shape != value.shape:
            raise AssertionError(f"key shape {tuple(key.transpose(0, 1).shape) if batched and not self.batch_first else tuple(key.shape)} "
                                 f"does not match value shape "
                                 f"{tuple(value.transpose(0, 1).shape) if batched and not self.batch_first else tuple(value.shape)}")
        dt = query.array.dtype
        key_padding_mask = _float_mask(key_padding_mask, "key_padding_mask", dt)
        attn_mask = _float_mask(attn_mask, "attn_mask", dt)
        q, k, v = self._project(query, key, value)
        S = k.shape[1]
        H, hd = self.num_heads, self.head_dim
        if attn_mask is not None:
            if attn_mask.dim() == 2:
                if tuple(attn_mask.shape) != (L, S):
                    raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be {(L, S)}.")
            elif tuple(attn_mask.shape) != (B * H, L, S):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be {(B * H, L, S)}.")
            else:
                attn_mask = attn_mask.reshape(B, H, L, S)
        if key_padding_mask is not None:  # PyTorch checks after padding for bias_kv / zero_attn: so do its numbers
            extra = int(self.bias_k is not None) + int(self.add_zero_attn)
            if key_padding_mask.shape[0] != B:
                raise AssertionError(f"Expected key_padded_mask.shape[0] to be {B}, but got {key_padding_mask.shape[0]}")
            if key_padding_mask.shape[1] != S:
                raise AssertionError(f"Expected key_padded_mask.shape[1] to be {S + extra}, "
                                     f"but got {key_padding_mask.shape[1] + extra}")
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(B, 1, E)], 1)
            v = cat([v, self.bias_v.expand(B, 1, E)], 1)
            attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
        q = q.reshape(B, L, H, hd).transpose(1, 2)
        k = k.reshape(B, k.shape[1], H, hd).transpose(1, 2)
        v = v.reshape(B, v.shape[1], H, hd).transpose(1, 2)
        if self.add_zero_attn:
            k = cat([k, creation.zeros(B, H, 1, hd, dtype=k.dtype)], 2)
            v = cat([v, creation.zeros(B, H, 1, hd, dtype=v.dtype)], 2)
            attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
        mask = attn_mask
        if key_padding_mask is not None:
            kpm = key_padding_mask.reshape(B, 1, 1, key_padding_mask.shape[-1])
            mask = kpm if mask is None else mask + kpm
        p = self.dropout if self.training else 0.0
        if need_weights:
            scores = (q * (1.0 / math.sqrt(hd))) @ k.transpose(-2, -1)
            if mask is not None:
                scores = scores + mask
            weights = F.softmax(scores, dim=-1)
            if p > 0.0:
                weights = F.dropout(weights, p=p)
            out = weights @ v
        else:
            weights = None
            out = F.scaled_dot_product_attention(q, k, v, mask, p)
        out = self.out_proj(out.transpose(1, 2).reshape(B, L, E))
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out = named(out.squeeze(0), "SqueezeBackward1")
            weights = weights.squeeze(0) if weights is not None else None
        elif not self.batch_first:
            out = named(out.transpose(0, 1), "ViewBackward0")  # PyTorch's last op is a view of its (L, B, E) result
        else:
            named(out, "TransposeBackward0")  # PyTorch's batch-first result is a transpose of its (L, B, E) one
        return out, weights
