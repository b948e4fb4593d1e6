"""nn.Parameter: a Tensor that a Module registers as a learnable weight.

Tensor objects are built with `object.__new__` (Tensor.__init__ refuses), so Parameter does
the same and fills the same slots; it shares the source tensor's array, like PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def zero_grads(params, set_to_none: bool = True) -> None:
    """What Module.zero_grad and Optimizer.zero_grad both do: drop each gradient, or zero it in place."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad.array[...] = 0


class Parameter(Tensor):
    __slots__ = ()

    def __new__(cls, data=None, requires_grad: bool = True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data.array
        else:
            raise TypeError(f"Parameter.__new__() got an unexpected data type: {type(data).__name__}")
        p = object.__new__(cls)
        p.array = array
        p.requires_grad = bool(requires_grad)
        p.grad = None
        p._ctx = None
        p._retains_grad = False
        p._hooks = None
        return p

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.array, self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(Tensor._make(self.array.copy()), self.requires_grad)
        if self.grad is not None:
            p.grad = Tensor._make(self.grad.array.copy())
        memo[id(self)] = p
        return p


Parameter.__module__ = "torch.nn.parameter"  # type(p) prints as PyTorch's


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._make(array), requires_grad)

