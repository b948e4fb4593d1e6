"""Run one op on the kernel and on PyTorch with the same inputs; compare outputs and gradients.

    check(lambda torch, x, w: torch.matmul(x, w), rand(3, 4), rand(4, 5))

Float inputs become leaves that require grad; the loss is a fixed random weighting of every float
output, so each output element's gradient path is exercised. `NC(array)` passes a non-contiguous
view (the leaf transposed) instead of the leaf itself.
"""

from __future__ import annotations

import numpy as np
import torch as T

import torchpad.kernel as K

from .parity import assert_close


class NC:
    """An input given to the op as a transposed (non-contiguous) view of its leaf."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = np.ascontiguousarray(np.swapaxes(array, 0, -1))


def rand(*shape, seed: int = 0, positive: bool = False, dtype=np.float32) -> np.ndarray:
    rng = np.random.default_rng(seed + 17 * len(shape) + sum(shape))
    a = rng.standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    return a.astype(dtype)


def ints(*shape, high: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(np.int64)


def _leaves(lib, inputs):
    leaves, args = [], []
    for x in inputs:
        arr = x.array if isinstance(x, NC) else x
        if isinstance(arr, np.ndarray):
            grad = arr.dtype.kind == "f"
            t = lib.tensor(arr.copy(), requires_grad=grad)
            if grad:
                leaves.append(t)
            args.append(t.transpose(0, -1) if isinstance(x, NC) else t)
        else:
            args.append(x)
    return leaves, args


def _outputs(out) -> list:
    if isinstance(out, (tuple, list)):
        return [o for o in out]
    return [out]


def check(fn, *inputs, grad: bool = True, rtol: float = 1e-4, atol: float = 1e-5, check_dtype: bool = True):
    kl, ka = _leaves(K, inputs)
    tl, ta = _leaves(T, inputs)
    kouts, touts = _outputs(fn(K, *ka)), _outputs(fn(T, *ta))
    assert len(kouts) == len(touts)
    for k, t in zip(kouts, touts):
        assert_close(k, t, rtol, atol, check_dtype)
    if not grad or not tl:
        return kouts
    kloss, tloss = 0, 0
    for i, (k, t) in enumerate(zip(kouts, touts)):
        if t.requires_grad and t.dtype.is_floating_point:
            w = np.random.default_rng(100 + i).standard_normal(tuple(t.shape)).astype(np.float32)
            kloss = kloss + (k * K.tensor(w).to(k.dtype)).sum()
            tloss = tloss + (t * T.tensor(w).to(t.dtype)).sum()
    if isinstance(tloss, int):
        return kouts
    kloss.backward()
    tloss.backward()
    for i, (k, t) in enumerate(zip(kl, tl)):
        assert (k.grad is None) == (t.grad is None), f"grad presence differs for input {i}"
        if t.grad is not None:
            assert_close(k.grad, t.grad, rtol, atol)
    return kouts
