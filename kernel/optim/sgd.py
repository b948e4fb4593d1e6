"""SGD with momentum, dampening, Nesterov, weight decay and maximize (PyTorch's update rule)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
                 foreach=None, differentiable=False, fused=None) -> None:
        if isinstance(lr, float) or isinstance(lr, int):
            if lr < 0.0:
                raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update(self, group, params) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        for p in params:
            w, g = p.array, p.grad.array
            if maximize:
                g = -g
            if wd:
                g = g + wd * w
            if momentum:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    state["momentum_buffer"] = buf = Tensor._make(np.array(g, dtype=w.dtype, copy=True))
                else:
                    b = buf.array
                    b *= momentum
                    b += g if dampening == 0 else (1 - dampening) * g
                g = g + momentum * buf.array if nesterov else buf.array
            w -= lr * g
