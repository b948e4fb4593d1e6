"""RMSprop (centered, momentum) and Adagrad (lr_decay), following PyTorch's update rules."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, _step, _zeros


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, alpha, eps, wd = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
        for p in params:
            w, g = p.array, p.grad.array
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {"step": Tensor._make(np.zeros((), np.float32)), "square_avg": _zeros(p)}
                if momentum > 0:
                    state["momentum_buffer"] = _zeros(p)
                if centered:
                    state["grad_avg"] = _zeros(p)
            _step(state)
            if maximize:
                g = -g
            if wd:
                g = g + wd * w
            sq = state["square_avg"].array
            sq *= alpha
            sq += (1 - alpha) * g * g
            if centered:
                ga = state["grad_avg"].array
                ga += (g - ga) * (1 - alpha)
                avg = np.sqrt(sq - ga * ga)
            else:
                avg = np.sqrt(sq)
            avg += eps
            if momentum > 0:
                buf = state["momentum_buffer"].array
                buf *= momentum
                buf += g / avg
                w -= lr * buf
            else:
                w -= lr * (g / avg)


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch creates Adagrad's state up front
            for p in group["params"]:
                self.state[p] = {"step": Tensor._make(np.zeros((), np.float32)),
                                 "sum": Tensor._make(np.full_like(p.array, group["initial_accumulator_value"]))}

    def _update(self, group, params) -> None:
        lr, lr_decay, eps, wd, maximize = group["lr"], group["lr_decay"], group["eps"], group["weight_decay"], group["maximize"]
        for p in params:
            w, g = p.array, p.grad.array
            state = self.state.get(p)
            if state is None:  # a group added after construction
                state = self.state[p] = {"step": Tensor._make(np.zeros((), np.float32)),
                                         "sum": Tensor._make(np.full_like(w, group["initial_accumulator_value"]))}
            step = _step(state)
            if maximize:
                g = -g
            if wd:
                g = g + wd * w
            clr = lr / (1 + (step - 1) * lr_decay)
            s = state["sum"].array
            s += g * g
            std = np.sqrt(s)
            std += eps
            w -= clr * (g / std)
