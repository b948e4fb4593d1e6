"""Adam and AdamW (amsgrad, weight decay, maximize), following PyTorch's single-tensor update."""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _step, _zeros


class Adam(Optimizer):
    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False, fused=None, decoupled_weight_decay=None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        decoupled = self._decoupled if decoupled_weight_decay is None else decoupled_weight_decay
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled)
        super().__init__(params, defaults)

    def _init_state(self, p, amsgrad: bool) -> dict:
        s = {"step": Tensor._make(np.zeros((), np.float32)), "exp_avg": _zeros(p), "exp_avg_sq": _zeros(p)}
        if amsgrad:
            s["max_exp_avg_sq"] = _zeros(p)
        return s

    def _update(self, group, params) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group.get("decoupled_weight_decay", False)
        scratch = np.empty(max(p.array.size for p in params), params[0].array.dtype)  # one for all parameters
        for p in params:
            w, g = p.array, p.grad.array
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = self._init_state(p, amsgrad)
            step = _step(state)
            if maximize:
                g = -g
            if wd:
                if decoupled:
                    w *= 1 - lr * wd
                else:
                    g = g + wd * w
            m, v = state["exp_avg"].array, state["exp_avg_sq"].array
            # in-place passes through one scratch array (Pyodide's NumPy pays for each pass and each new array)
            tmp = scratch[: m.size].reshape(m.shape) if m.dtype == scratch.dtype else np.empty_like(m)
            m += np.multiply(np.subtract(g, m, out=tmp), 1 - beta1, out=tmp)  # lerp toward g
            v *= beta2
            v += np.multiply(np.multiply(g, 1 - beta2, out=tmp), g, out=tmp)
            if amsgrad:
                vmax = state["max_exp_avg_sq"].array
                np.maximum(vmax, v, out=vmax)
                v = vmax
            # lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) = (lr sqrt(bc2)/bc1) * m / (sqrt(v) + eps sqrt(bc2)):
            # the bias corrections folded into two scalars, one pass fewer than PyTorch's order
            root_bc2 = math.sqrt(1 - beta2**step)
            denom = np.sqrt(v, out=tmp)
            denom += eps * root_bc2
            np.divide(m, denom, out=tmp)
            tmp *= lr * root_bc2 / (1 - beta1**step)
            w -= tmp


class AdamW(Adam):
    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused, decoupled_weight_decay=True)
