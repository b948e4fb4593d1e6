"""2-D point clouds for MLPs: spirals and moons."""

from __future__ import annotations

import numpy as np

from ._split import split


def spirals(n: int = 1500, classes: int = 3, noise: float = 0.2, seed: int = 0, test_size: float = 0.2):
    """`classes` interleaved spiral arms (the CS231n toy problem). X: (n, 2) in about [-1, 1]; y: the arm."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    t = rng.uniform(0.05, 1.0, n)
    theta = 2 * np.pi * labels / classes + 4.0 * t + rng.normal(0, noise, n)
    X = np.stack([t * np.sin(theta), t * np.cos(theta)], axis=1)
    return split(X, labels, rng, test_size)


def moons(n: int = 1000, noise: float = 0.1, seed: int = 0, test_size: float = 0.2):
    """Two interleaved half circles (like scikit-learn's make_moons). X: (n, 2); y: which moon."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    X = np.where(labels[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], axis=1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1))
    X = X + rng.normal(0, noise, X.shape)
    return split(X, labels, rng, test_size)
