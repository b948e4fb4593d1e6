"""`torch.autograd.forward_ad`: dual tensors, computed exactly from the reverse-mode graph.

`make_dual(primal, tangent)` gives a tensor that records its graph; `unpack_dual(y)` returns y's
value and its tangent, the Jacobian-vector product sum_j (dy/dx_j) t_j over the duals y depends
on, built row by row from first-order backward passes (as torch.autograd.functional.jvp is).
So any op with a backward formula has a forward derivative here. A dual lives until its
`dual_level` ends.
"""

from __future__ import annotations

from collections import namedtuple
from contextlib import contextmanager

import numpy as np

from .tensor import Tensor

__all__ = ["dual_level", "make_dual", "unpack_dual", "UnpackedDualTensor", "enter_dual_level", "exit_dual_level"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
_levels: list = []  # one {id(dual): (dual, tangent)} per open level


def enter_dual_level() -> int:
    _levels.append({})
    return len(_levels) - 1


def exit_dual_level(*, level=None) -> None:
    if not _levels:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    _levels.pop()


@contextmanager
def dual_level():
    enter_dual_level()
    try:
        yield
    finally:
        exit_dual_level()


def make_dual(tensor, tangent, *, level=None):
    if not _levels:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if not (tensor.is_floating_point() and tangent.is_floating_point()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}" if not
                         tensor.is_floating_point() else
                         f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tensor.shape) != tuple(tangent.shape):
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    dual = Tensor._make(tensor.array).requires_grad_()
    _levels[-1][id(dual)] = (dual, tangent.detach())
    return dual


def unpack_dual(tensor, *, level=None) -> UnpackedDualTensor:
    if not _levels or not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    duals = list(_levels[-1].values())
    own = _levels[-1].get(id(tensor))
    if own is not None:
        return UnpackedDualTensor(tensor.detach(), own[1])
    if not tensor.requires_grad or not duals:
        return UnpackedDualTensor(tensor, None)
    from .autograd import grad

    flat = tensor.array.size
    out = np.zeros(flat, dtype=np.float64)
    reached = False
    for k in range(flat):
        seed = np.zeros(flat, dtype=tensor.array.dtype)
        seed[k] = 1
        found = grad([tensor], [d for d, _ in duals], [Tensor._make(seed.reshape(tensor.array.shape))],
                     retain_graph=True, allow_unused=True)
        for g, (_, t) in zip(found, duals):
            if g is not None:
                reached = True
                out[k] += float((g.array.astype(np.float64) * t.array).sum())
    if not reached:
        return UnpackedDualTensor(tensor.detach(), None)
    return UnpackedDualTensor(tensor.detach(), Tensor._make(out.reshape(tensor.array.shape).astype(tensor.array.dtype)))
