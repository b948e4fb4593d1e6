"""Helpers for parity tests: the same values in the kernel and in real PyTorch, compared."""

from __future__ import annotations

import numpy as np
import torch as T

import torchpad.kernel as K

RTOL, ATOL = 1e-4, 1e-5


def pair(*shape, seed: int = 0, requires_grad: bool = False, dtype=np.float32, low=None, high=None, positive=False):
    """(kernel tensor, torch tensor) holding the same random values."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        a = rng.integers(low if low is not None else 0, high if high is not None else 10, size=shape).astype(dtype)
    elif np.dtype(dtype) == np.bool_:
        a = rng.random(shape) > 0.5
    else:
        a = rng.standard_normal(shape).astype(dtype)
        if positive:
            a = np.abs(a) + 0.1
    k = K.tensor(a, requires_grad=requires_grad)
    t = T.tensor(a, requires_grad=requires_grad)
    return k, t


def to_np(x):
    if isinstance(x, K.Tensor):
        return x.detach().numpy()
    if isinstance(x, T.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def assert_close(k, t, rtol=RTOL, atol=ATOL, check_dtype=True):
    """Values, shape and dtype of a kernel result match PyTorch's."""
    a, b = to_np(k), to_np(t)
    assert a.shape == b.shape, f"shape {a.shape} != torch {b.shape}"
    if check_dtype:
        assert str(k.dtype) == str(t.dtype), f"dtype {k.dtype} != torch {t.dtype}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def assert_grads_close(ks, ts, rtol=RTOL, atol=ATOL):
    for i, (k, t) in enumerate(zip(ks, ts)):
        assert (k.grad is None) == (t.grad is None), f"grad presence differs for input {i}"
        if t.grad is not None:
            assert_close(k.grad, t.grad, rtol, atol)


def same_error(fn_kernel, fn_torch):
    """Both raise the same exception type with the same message; returns the message."""
    errs = []
    for fn in (fn_kernel, fn_torch):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - the point is to capture whatever is raised
            errs.append(e)
        else:
            errs.append(None)
    ek, et = errs
    assert et is not None, "torch did not raise"
    assert ek is not None, f"kernel did not raise; torch raised {type(et).__name__}: {et}"
    assert type(ek).__name__ == type(et).__name__, f"{type(ek).__name__}: {ek} != torch {type(et).__name__}: {et}"
    assert str(ek) == str(et), f"message differs:\n kernel: {ek}\n torch:  {et}"
    return str(et)
