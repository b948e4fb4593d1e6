"""Normalisation layers' maths (batch, layer, group and instance norm) and embedding lookup.

The three norms share one Function: standardise over some axes of a (possibly regrouped) input,
then scale and shift per channel or per element. Batch norm's running statistics are updated
in place on the caller's buffers, as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from ..function import Function, named
from ..tensor import Size, Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "embedding"]


def _sum_params(t: Tensor, axes: tuple) -> Tensor:
    """Sum over the axes a parameter broadcasts along (none: unchanged, where Tensor.sum(()) would sum all)."""
    return t.sum(axes) if axes else t


class Normalize(Function):
    """(x - mean) / sqrt(var + eps) over `axes` of x viewed as `group_shape`, then * w + b (`param_shape`)."""

    def forward(self, x, w=None, b=None, *, axes, group_shape, param_shape, eps, stats=None):
        xg = x.reshape(group_shape)
        mean = xg.mean(axis=axes, keepdims=True)
        xc = xg - mean
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        invstd = 1.0 / np.sqrt(var + eps)
        xhat = (xc * invstd).reshape(x.shape)
        if stats is not None:
            stats.extend((mean, var))
        self.xhat, self.invstd, self.axes, self.group_shape = xhat, invstd, axes, group_shape
        self.eps, self.param_shape = eps, param_shape
        self.w = None if w is None else w.reshape(param_shape)
        self.w_shape = None if w is None else w.shape
        self.param_axes = tuple(i for i, n in enumerate(param_shape) if n == 1)
        out = xhat
        if w is not None:
            out = out * self.w
        if b is not None:
            out = out + b.reshape(param_shape)
        return out

    def backward(self, g):
        need, xhat = self.needs_input_grad, self.xhat
        dx = dw = db = None
        if need[0]:
            gx = (g if self.w is None else g * self.w).reshape(self.group_shape)
            xh = xhat.reshape(self.group_shape)
            axes = self.axes
            dx = self.invstd * (gx - gx.mean(axis=axes, keepdims=True) - xh * np.mean(gx * xh, axis=axes, keepdims=True))
            dx = dx.reshape(g.shape)
        if len(need) > 1 and need[1]:
            dw = (g * xhat).sum(axis=self.param_axes).reshape(self.w_shape)
        if len(need) > 2 and need[2]:
            db = g.sum(axis=self.param_axes).reshape(self.w_shape)
        return dx, dw, db

    def backward_graph(self, g):
        """The same formulas with Tensor ops, from x and w themselves (xhat and invstd recomputed)."""
        need, axes = self.needs_input_grad, self.axes
        x, w = self.parents[0], (self.parents[1] if len(self.parents) > 1 else None)
        xg = x.reshape(self.group_shape)
        xc = xg - xg.mean(axes, keepdim=True)
        invstd = ((xc * xc).mean(axes, keepdim=True) + self.eps).rsqrt()
        xh = xc * invstd
        dx = dw = db = None
        if need[0]:
            gx = (g if w is None else g * w.reshape(self.param_shape)).reshape(self.group_shape)
            dx = (invstd * (gx - gx.mean(axes, keepdim=True) - xh * (gx * xh).mean(axes, keepdim=True))).reshape(x.shape)
        if len(need) > 1 and need[1]:
            dw = _sum_params(g * xh.reshape(x.shape), self.param_axes).reshape(self.w_shape)
        if len(need) > 2 and need[2]:
            db = _sum_params(g, self.param_axes).reshape(self.w_shape)
        return dx, dw, db


class AffineChannels(Function):
    """Batch norm in evaluation mode: x * scale + shift per channel, with fixed statistics."""

    def forward(self, x, w=None, b=None, *, mean, var, eps, param_shape):
        self.invstd = (1.0 / np.sqrt(var + eps)).reshape(param_shape)
        self.mean, self.param_shape = mean.reshape(param_shape), param_shape
        self.w = None if w is None else w.reshape(param_shape)
        scale = self.invstd if w is None else self.invstd * self.w
        shift = -self.mean * scale if b is None else b.reshape(param_shape) - self.mean * scale
        self.x, self.scale = x, scale
        return x * scale + shift

    def backward(self, g):
        need = self.needs_input_grad
        axes = tuple(i for i, n in enumerate(self.param_shape) if n == 1)
        dx = g * self.scale if need[0] else None
        dw = (g * (self.x - self.mean) * self.invstd).sum(axis=axes) if len(need) > 1 and need[1] else None
        db = g.sum(axis=axes) if len(need) > 2 and need[2] else None
        return dx, dw, db

    def backward_graph(self, g):
        need = self.needs_input_grad
        axes = tuple(i for i, n in enumerate(self.param_shape) if n == 1)
        x = self.parents[0]
        invstd = Tensor._make(self.invstd)
        scale = invstd if len(self.parents) < 2 else invstd * self.parents[1].reshape(self.param_shape)
        dx = g * scale if need[0] else None
        dw = (g * (x - Tensor._make(self.mean)) * invstd).sum(axes) if len(need) > 1 and need[1] else None
        db = g.sum(axes) if len(need) > 2 and need[2] else None
        return dx, dw, db


def _apply(cls, input, weight, bias, **kw):
    if weight is None and bias is not None:  # keep bias in the third slot
        w = Tensor._make(np.ones(bias.array.shape, dtype=bias.array.dtype))
        return cls.apply(input, w, bias, **kw)
    args = (input,) + tuple(t for t in (weight, bias) if t is not None)
    return cls.apply(*args, **kw)


def _check_size(name: str, t, c: int) -> None:
    if t is not None and t.array.size != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.array.size}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    shape = input.array.shape
    c = shape[1] if input.array.ndim > 1 else 1
    if training:
        size = int(np.prod(shape)) // c if c else 0
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {Size(shape)!r}")
    _check_size("running_mean", running_mean, c)
    _check_size("running_var", running_var, c)
    _check_size("weight", weight, c)
    _check_size("bias", bias, c)
    param_shape = (1, c) + (1,) * (input.array.ndim - 2)
    if not training:
        if running_mean is None:
            raise RuntimeError("running_mean must be defined in evaluation mode")
        if running_var is None:
            raise RuntimeError("running_var must be defined in evaluation mode")
        return named(_apply(AffineChannels, input, weight, bias, mean=running_mean.array, var=running_var.array, eps=eps,
                            param_shape=param_shape), "NativeBatchNormBackward0")
    axes = (0,) + tuple(range(2, input.array.ndim))
    stats = []
    out = _apply(Normalize, input, weight, bias, axes=axes, group_shape=shape, param_shape=param_shape, eps=eps, stats=stats)
    n = input.array.size // c
    m = momentum if momentum is not None else 0.0
    if running_mean is not None:
        rm = running_mean.array
        rm *= 1 - m
        rm += m * stats[0].reshape(c).astype(rm.dtype)
    if running_var is not None:
        rv = running_var.array
        rv *= 1 - m
        rv += (m * n / max(n - 1, 1)) * stats[1].reshape(c).astype(rv.dtype)
    return named(out, "NativeBatchNormBackward0")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05):
    if running_mean is not None or running_var is not None or not use_input_stats:
        raise NotImplementedError("instance_norm with running statistics (running_mean, running_var, "
                                  "use_input_stats=False): TorchPad's browser kernel normalises with the input's own "
                                  "statistics only; run on the GPU server runtime")
    n, c = input.array.shape[:2]
    param_shape = (1, c) + (1,) * (input.array.ndim - 2)
    axes = tuple(range(2, input.array.ndim))
    return named(_apply(Normalize, input, weight, bias, axes=axes, group_shape=input.array.shape, param_shape=param_shape,
                        eps=eps), "ViewBackward0")


def _dims(shape) -> str:
    return ", ".join(map(str, shape))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    if isinstance(normalized_shape, (int, np.integer)):
        raise TypeError(f"layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not int")
    ns = tuple(int(s) for s in normalized_shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.array.shape) != ns:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                f"[{_dims(t.array.shape)}] and normalized_shape = [{_dims(ns)}]"
            )
    shape = input.array.shape
    k = len(ns)
    if input.array.ndim < k or tuple(shape[input.array.ndim - k:]) != ns:
        raise RuntimeError(
            f"Given normalized_shape=[{_dims(ns)}], expected input with shape [*, {_dims(ns)}], but got input of "
            f"size[{_dims(shape)}]"
        )
    axes = tuple(range(input.array.ndim - k, input.array.ndim))
    param_shape = (1,) * (input.array.ndim - k) + ns
    return named(_apply(Normalize, input, weight, bias, axes=axes, group_shape=shape, param_shape=param_shape, eps=eps),
                 "NativeLayerNormBackward0")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    shape = input.array.shape
    n, c = shape[0], shape[1]
    if c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"[{_dims(shape)}] and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.array.ndim != 1 or t.array.size != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in input, but got {name} of "
                f"shape [{_dims(t.array.shape)}] and input of shape [{_dims(shape)}]"
            )
    param_shape = (1, c) + (1,) * (input.array.ndim - 2)
    return named(_apply(Normalize, input, weight, bias, axes=(2,), group_shape=(n, num_groups, -1),
                        param_shape=param_shape, eps=eps), "NativeGroupNormBackward0")


# ---- embedding ----------------------------------------------------------------------------------
class Embedding(Function):
    """weight[indices]; the weight gradient sums rows by index (sort + segment sums, no scatter loop)."""
    reads_parents = False

    def forward(self, w, *, indices, padding_idx, scale_grad_by_freq):
        self.indices, self.num, self.padding_idx, self.freq = indices, w.shape[0], padding_idx, scale_grad_by_freq
        return w[indices]

    def backward(self, g):
        d = g.shape[-1]
        flat = self.indices.ravel()
        gw = np.zeros((self.num, d), dtype=g.dtype)
        if flat.size:
            order = np.argsort(flat, kind="stable")
            keys = flat[order]
            starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
            sums = np.add.reduceat(g.reshape(-1, d)[order], starts, axis=0)
            if self.freq:
                sums /= np.diff(np.append(starts, keys.size))[:, None]
            gw[keys[starts]] = sums
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw

    def backward_graph(self, g):
        from .index import IndexPutZeros

        if self.freq:  # PyTorch's double backward leaves the 1/count scaling out: not a formula to copy
            raise RuntimeError("double backward through EmbeddingBackward0 with scale_grad_by_freq=True is not "
                               "supported by TorchPad's kernel: run this program on the GPU server runtime")
        factor = np.ones(self.indices.shape, dtype=g.array.dtype)
        if self.padding_idx is not None:
            factor = np.where(self.indices == self.padding_idx, 0, factor).astype(g.array.dtype)
        return IndexPutZeros.apply(g * Tensor._make(factor[..., None]), shape=(self.num, g.array.shape[-1]),
                                   idx=self.indices)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    idx = input.array
    if idx.dtype.kind not in "iu":
        name = input.dtype.scalar_name
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got "
            f"torch.{name}Tensor instead (while checking arguments for embedding)"
        )
    num = weight.array.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight.array, idx, max_norm, norm_type)
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _renorm_rows(w: np.ndarray, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """In place, as PyTorch's embedding_renorm_: rows used by `idx` scaled down to `max_norm`."""
    rows = np.unique(idx)
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
    w[rows[big]] *= scale[:, None]
