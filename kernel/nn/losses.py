"""The loss functions of torch.nn.functional, each one graph node, with PyTorch's checks.

Elementwise losses share `_ElementwiseLoss` (loss and both derivatives on arrays, then the
reduction); the classification losses are `NllLoss` on log-probabilities, which
`cross_entropy` feeds from log_softmax.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..function import Function
from ..ops.elementwise import broadcast_shape, locally_constant, log, log1p, sigmoid, where
from ..ops.reduce import log_softmax
from ..tensor import Tensor

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "nll_loss", "cross_entropy", "kl_div", "soft_margin_loss",
]


def _reduction(reduction: str, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


_RETURN_TYPES = {"max", "min", "sort", "topk", "kthvalue", "median", "mode", "aminmax", "cummax", "cummin"}


def _arg_type_name(x) -> str:
    if isinstance(x, tuple) and hasattr(x, "_fields") and type(x).__name__ in _RETURN_TYPES:  # torch.max(t, 0) and friends return these
        return f"torch.return_types.{type(x).__name__}"
    return type(x).__name__


def _check_tensor(x, fn: str, position: int, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {_arg_type_name(x)}")


def _warn_size(input: Tensor, target: Tensor) -> None:
    if not isinstance(target, Tensor):  # PyTorch's Python wrapper calls target.size() first
        raise AttributeError(f"'{_arg_type_name(target)}' object has no attribute 'size'")
    if input.array.shape != target.array.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). This will likely "
            "lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _common_float(x: np.ndarray, y: np.ndarray):
    dt = x.dtype if y.dtype.kind != "f" else (y.dtype if x.dtype.kind != "f" else np.promote_types(x.dtype, y.dtype))
    return x.astype(dt, copy=False), y.astype(dt, copy=False)


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return loss
    with np.errstate(invalid="ignore", divide="ignore"):
        r = loss.sum() if reduction == "sum" else loss.sum() / np.asarray(loss.size, loss.dtype)
    return np.asarray(r, dtype=loss.dtype)


# ---- elementwise losses ------------------------------------------------------------------------
class _ElementwiseLoss(Function):
    """loss = reduce(weight * f(x, y)); subclasses give f and its partial derivatives."""

    def forward(self, x, y, weight=None, reduction="mean", **kw):
        x, y = _common_float(x, y)
        self.x, self.y, self.weight, self.reduction, self.kw = x, y, weight, reduction, kw
        loss = self.f(x, y, **kw)
        if weight is not None:
            loss = loss * weight
        self.size = loss.size
        return _reduce(loss.astype(x.dtype, copy=False), reduction)

    def backward(self, g):
        n = self.needs_input_grad
        if self.reduction == "mean":
            g = g / np.asarray(self.size, g.dtype)
        if self.weight is not None:
            g = g * self.weight
        gx = g * self.dx(self.x, self.y, **self.kw) if n[0] else None
        gy = g * self.dy(self.x, self.y, **self.kw) if len(n) > 1 and n[1] else None
        return gx, gy

    def backward_graph(self, g):
        """backward with Tensor ops, for losses that give `dx_graph` and `dy_graph` (dx and dy on Tensors)."""
        if not hasattr(self, "dx_graph"):
            return super().backward_graph(g)
        n = self.needs_input_grad
        x, y = self.parents[0], self.parents[1]
        if y.array.dtype != x.array.dtype:
            y = y.to(x.dtype)
        if self.reduction == "mean":
            g = g / float(self.size)
        if self.weight is not None:
            g = g * Tensor._make(self.weight)
        gx = g * self.dx_graph(x, y, **self.kw) if n[0] else None
        gy = g * self.dy_graph(x, y, **self.kw) if len(n) > 1 and n[1] else None
        return gx, gy


class MseLoss(_ElementwiseLoss):
    @staticmethod
    def f(x, y):
        d = x - y
        return d * d

    @staticmethod
    def dx(x, y):
        return 2 * (x - y)

    @staticmethod
    def dy(x, y):
        return 2 * (y - x)

    dx_graph, dy_graph = dx, dy  # the same arithmetic on Tensors


class L1Loss(_ElementwiseLoss):
    @staticmethod
    def f(x, y):
        return np.abs(x - y)

    @staticmethod
    def dx(x, y):
        return np.sign(x - y)

    @staticmethod
    def dy(x, y):
        return np.sign(y - x)

    @staticmethod
    def dx_graph(x, y):
        return locally_constant(x - y, np.sign)

    @staticmethod
    def dy_graph(x, y):
        return locally_constant(y - x, np.sign)


class SmoothL1Loss(_ElementwiseLoss):
    """Huber with `delta` (huber_loss) or smooth L1 with `beta` (= huber / beta)."""

    @staticmethod
    def f(x, y, beta, scale):
        d = np.abs(x - y)
        if beta == 0:
            return d
        quad = d < beta
        return np.where(quad, 0.5 * d * d / beta, d - 0.5 * beta) * scale

    @staticmethod
    def dx(x, y, beta, scale):
        d = x - y
        if beta == 0:
            return np.sign(d)
        return np.where(np.abs(d) < beta, d / beta, np.sign(d)) * scale

    @classmethod
    def dy(cls, x, y, beta, scale):
        return -cls.dx(x, y, beta, scale)

    @staticmethod
    def dx_graph(x, y, beta, scale):
        d = x - y
        sign = locally_constant(d, np.sign)
        if beta == 0:
            return sign
        return where(d.abs() < beta, d / beta, sign) * scale

    @classmethod
    def dy_graph(cls, x, y, beta, scale):
        return -cls.dx_graph(x, y, beta, scale)


class SoftMarginLoss(_ElementwiseLoss):
    @staticmethod
    def f(x, y):
        z = -y * x
        return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))

    @staticmethod
    def dx(x, y):
        return -y / (1 + np.exp(y * x))

    @staticmethod
    def dy(x, y):
        return -x / (1 + np.exp(y * x))

    @staticmethod
    def dx_graph(x, y):
        return -y / (1 + (y * x).exp())

    @staticmethod
    def dy_graph(x, y):
        return -x / (1 + (y * x).exp())


class BceLoss(_ElementwiseLoss):
    @staticmethod
    def f(x, y):
        with np.errstate(divide="ignore"):
            return -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log1p(-x), -100))

    @staticmethod
    def dx(x, y):
        return (x - y) / np.maximum((1 - x) * x, 1e-12)

    @staticmethod
    def dy(x, y):
        with np.errstate(divide="ignore"):
            return np.maximum(np.log1p(-x), -100) - np.maximum(np.log(x), -100)

    @staticmethod
    def dx_graph(x, y):
        return (x - y) / ((1 - x) * x).clamp(min=1e-12)

    @staticmethod
    def dy_graph(x, y):
        return log1p(-x).clamp(min=-100) - log(x).clamp(min=-100)


class BceWithLogitsLoss(_ElementwiseLoss):
    torch_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def f(x, y, pos_weight):
        sp = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))  # softplus(-x), stable
        if pos_weight is None:
            return (1 - y) * x + sp
        return (1 - y) * x + (1 + (pos_weight - 1) * y) * sp

    @staticmethod
    def dx(x, y, pos_weight):
        e = np.exp(-np.abs(x))
        s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        if pos_weight is None:
            return s - y
        return (1 + (pos_weight - 1) * y) * s - pos_weight * y

    @staticmethod
    def dy(x, y, pos_weight):
        if pos_weight is None:
            return -x
        return -x + (pos_weight - 1) * (np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))

    @staticmethod
    def dx_graph(x, y, pos_weight):
        if pos_weight is None:
            return sigmoid(x) - y
        pw = Tensor._make(pos_weight)
        return (1 + (pw - 1) * y) * sigmoid(x) - pw * y

    @staticmethod
    def dy_graph(x, y, pos_weight):
        if pos_weight is None:
            return -x
        softplus_neg = (-x).clamp(min=0) + log1p((-x.abs()).exp())
        return -x + (Tensor._make(pos_weight) - 1) * softplus_neg


class KlDiv(_ElementwiseLoss):
    """target * (log(target) - input), with 0 * log(0) = 0 (PyTorch's xlogy)."""

    @staticmethod
    def f(x, y, log_target):
        if log_target:
            return np.exp(y) * (y - x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y == 0, 0, y * np.log(y)) - y * x

    @staticmethod
    def dx(x, y, log_target):
        return -np.exp(y) if log_target else -y

    @staticmethod
    def dy(x, y, log_target):
        if log_target:
            return np.exp(y) * (y - x + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(y) + 1 - x

    @staticmethod
    def dx_graph(x, y, log_target):
        return -y.exp() if log_target else -y

    @staticmethod
    def dy_graph(x, y, log_target):
        if log_target:
            return y.exp() * (y - x + 1)
        return log(y) + 1 - x


def _elementwise(cls, input, target, reduction, weight=None, **kw):
    if input.array.shape != target.array.shape:
        broadcast_shape(input.array.shape, target.array.shape)  # PyTorch's size-mismatch error
    return cls.apply(input, target, weight=None if weight is None else weight.array, reduction=reduction, **kw)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _warn_size(input, target)
    return _elementwise(MseLoss, input, target, _reduction(reduction, size_average, reduce), weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _warn_size(input, target)
    return _elementwise(L1Loss, input, target, _reduction(reduction, size_average, reduce), weight)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _warn_size(input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _elementwise(SmoothL1Loss, input, target, _reduction(reduction, size_average, reduce), beta=beta, scale=1.0)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _warn_size(input, target)
    return _elementwise(SmoothL1Loss, input, target, _reduction(reduction), weight, beta=delta, scale=delta)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _elementwise(SoftMarginLoss, input, target, _reduction(reduction, size_average, reduce))


def _weight_array(weight, shape):
    if weight is None:
        return None
    w = weight.array
    try:
        np.broadcast_to(w, shape)
    except ValueError:
        raise RuntimeError(
            f"Attempting to broadcast a dimension of length {w.shape[-1]} at -1! Mismatching argument at index 1 had "
            f"torch.Size([{', '.join(map(str, w.shape))}]); but expected shape should be broadcastable to "
            f"[{', '.join(map(str, shape))}]"
        ) from None
    return w


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if target.array.shape != input.array.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is deprecated. "
            "Please ensure they have the same size."
        )
    if target.array.dtype.kind != "f":
        raise RuntimeError(f"Found dtype {_dtype_word(target)} but expected {_dtype_word(input)}")
    x = input.array
    if x.size and (x.min() < 0 or x.max() > 1 or np.isnan(x).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = _weight_array(weight, x.shape)
    return BceLoss.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    reduction = _reduction(reduction, size_average, reduce)
    if target.array.shape != input.array.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    if target.array.dtype.kind != "f":
        raise RuntimeError(f"result type {_dtype_word(input)} can't be cast to the desired output type {_dtype_word(target)}")
    w = _weight_array(weight, input.array.shape)
    pw = None if pos_weight is None else pos_weight.array
    return BceWithLogitsLoss.apply(input, target, weight=w, reduction=reduction, pos_weight=pw)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce)
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' divides "
            "only by the batch size, and aligns with the KL div math definition.'mean' will be changed to behave the "
            "same as 'batchmean' in the next major release."
        )
    if reduction == "batchmean":
        batch = input.array.shape[0] if input.array.ndim else 1
        return KlDiv.apply(input, target, reduction="sum", log_target=log_target) / batch
    return KlDiv.apply(input, target, reduction=_reduction(reduction), log_target=log_target)


def _dtype_word(t: Tensor) -> str:
    return t.dtype.scalar_name


# ---- classification --------------------------------------------------------------------------
class NllLoss(Function):
    """-logp[n, target[n]] (weighted), with the class dimension at axis 1 (or 0 for unbatched input)."""

    def forward(self, logp, target, weight, ignore_index, reduction):
        batched = logp.ndim > 1
        lp = logp if batched else logp[None]
        t = target if batched else target.reshape(1)
        ignored = t == ignore_index
        any_ignored = bool(ignored.any())
        safe = np.where(ignored, 0, t) if any_ignored else t
        # w: each row's weight, None when all are 1 (no weight, nothing ignored: -picked is -1 * picked exactly)
        w = None if weight is None and not any_ignored else \
            (weight[safe] if weight is not None else np.ones(safe.shape, lp.dtype)).astype(lp.dtype, copy=False)
        if any_ignored:
            w = np.where(ignored, 0, w).astype(lp.dtype, copy=False)
        rows = np.arange(lp.shape[0])
        picked = lp[rows, safe]  # one fancy index (take_along_axis builds its index in Python each call)
        loss = -picked if w is None else -w * picked
        self.shape, self.rows, self.safe, self.w, self.reduction, self.batched = lp.shape, rows, safe, w, reduction, batched
        if reduction == "none":
            return loss if batched else loss.reshape(())
        total = loss.sum()
        if reduction == "sum":
            return np.asarray(total, lp.dtype)
        self.denom = np.asarray(lp.shape[0], lp.dtype) if w is None else w.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(total / self.denom, lp.dtype)

    def _weights(self, dtype) -> np.ndarray:
        return np.ones(self.shape[0], dtype) if self.w is None else self.w

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=np.result_type(g, self.w if self.w is not None else g))
        if self.reduction == "none":
            scale = -self._weights(grad.dtype) * (g if self.batched else g.reshape(1))
        else:
            step = g / self.denom if self.reduction == "mean" else g
            scale = -step if self.w is None else -self.w * step
        grad[self.rows, self.safe] = scale
        return (grad if self.batched else grad[0]), None

    def backward_graph(self, g):
        picks = np.zeros(self.shape, dtype=g.array.dtype)  # -w at each row's target class
        picks[self.rows, self.safe] = -self._weights(g.array.dtype).astype(g.array.dtype, copy=False)
        if self.reduction == "mean":
            g = g / Tensor._make(np.asarray(self.denom, g.array.dtype))
        elif self.reduction == "none":
            g = g.reshape(-1, 1)
        grad = g * Tensor._make(picks)
        return (grad if self.batched else grad[0]), None


def _check_nll_target(input: Tensor, target: Tensor, weight, ignore_index: int) -> None:
    x, t = input.array, target.array
    n_classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if x.ndim == 1:
        if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != 1):
            if t.ndim <= 1:
                raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
    elif x.shape[0] != (t.shape[0] if t.ndim else 1):
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0] if t.ndim else 1}).")
    if x.ndim <= 2 and t.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if x.ndim > 2 and t.shape != x.shape[:1] + x.shape[2:]:
        raise RuntimeError(f"Expected target size [{', '.join(map(str, x.shape[:1] + x.shape[2:]))}], got [{', '.join(map(str, t.shape))}]")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_dtype_word(target)}")
    if weight is not None and weight.array.size != n_classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes or no classes but got weight tensor of "
            f"shape: [{', '.join(map(str, weight.array.shape))}]"
        )
    if t.size and (t.min() < 0 or t.max() >= n_classes):  # the full check only when some target is out of range
        bad = (t < 0) | (t >= n_classes)
        bad &= t != ignore_index
        if bad.any():
            raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    _check_tensor(target, "nll_loss_nd", 2, "target")
    reduction = _reduction(reduction, size_average, reduce)
    _check_nll_target(input, target, weight, ignore_index)
    x, t = input, target.array.astype(np.int64, copy=False)
    if x.array.ndim > 2:  # (N, C, d1, ...): move classes last, flatten, and fold back for reduction="none"
        c = x.array.shape[1]
        moved = x.movedim(1, -1) if hasattr(x, "movedim") else x.permute(0, *range(2, x.array.ndim), 1)
        flat = moved.reshape(-1, c)
        out = NllLoss.apply(flat, t.reshape(-1), weight=None if weight is None else weight.array,
                            ignore_index=ignore_index, reduction=reduction)
        return out.reshape(*t.shape) if reduction == "none" else out
    return NllLoss.apply(x, t, weight=None if weight is None else weight.array, ignore_index=ignore_index, reduction=reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    _check_tensor(input, "cross_entropy_loss", 1, "input")
    _check_tensor(target, "cross_entropy_loss", 2, "target")
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.array.ndim == 1 else 1
    n_classes = input.array.shape[class_dim]
    if input.array.dtype.kind != "f":
        kernel = "log_softmax_lastdim_kernel_impl" if class_dim == input.array.ndim - 1 else "log_softmax_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_dtype_word(input)}\'')
    if target.array.shape == input.array.shape:  # class probabilities
        if target.array.dtype.kind != "f":
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got {_dtype_word(target)}")
    logp = log_softmax(input, class_dim)
    if target.array.shape == input.array.shape:
        return _soft_target_cross_entropy(logp, target, weight, ignore_index, reduction, label_smoothing, class_dim)
    loss = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0.0:
        return loss
    t = target.array
    keep = Tensor._make((t != ignore_index).astype(logp.array.dtype))
    wshape = [1] * logp.array.ndim
    wshape[class_dim] = n_classes
    lp = logp * weight.reshape(*wshape) if weight is not None else logp
    smooth = -lp.sum(class_dim) * keep
    if reduction == "mean":
        if weight is not None:
            safe = np.where(t != ignore_index, t, 0)
            denom = float((weight.array[safe] * keep.array).sum())
        else:
            denom = float(keep.array.sum())
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return loss * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _soft_target_cross_entropy(logp, target, weight, ignore_index, reduction, label_smoothing, class_dim):
    if ignore_index != -100:
        raise RuntimeError("ignore_index is not supported for floating point target")
    n_classes = logp.array.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    if weight is not None:
        wshape = [1] * logp.array.ndim
        wshape[class_dim] = n_classes
        logp = logp * weight.reshape(*wshape)
    prod = logp * target
    if reduction == "mean":
        return -prod.sum() / (logp.array.size / n_classes)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum(class_dim)
