"""The one place that shuffles, splits and hands NumPy arrays to the running `torch`."""

from __future__ import annotations

import sys

import numpy as np


def running_torch():
    """The `torch` user code sees: the kernel when aliased (browser), else real PyTorch."""
    torch = sys.modules.get("torch")
    if torch is None:
        import torch
    return torch


def split(X: np.ndarray, y: np.ndarray, rng: np.random.Generator, test_size: float):
    """Shuffle with `rng`, hold out `test_size` of the samples; returns ((Xtr, ytr), (Xte, yte)) as tensors."""
    if not 0.0 <= test_size < 1.0:
        raise ValueError(f"test_size must be in [0, 1), got {test_size}")
    order = rng.permutation(len(X))
    n_test = int(round(len(X) * test_size))
    torch = running_torch()

    def tensors(idx):
        return (torch.from_numpy(np.ascontiguousarray(X[idx], dtype=np.float32)),
                torch.from_numpy(np.ascontiguousarray(y[idx], dtype=np.int64)))

    return tensors(order[n_test:]), tensors(order[:n_test])
