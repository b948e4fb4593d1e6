"""Image datasets: the 8x8 handwritten digits and procedural coloured shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._split import split

DIGIT_CLASSES = tuple(str(d) for d in range(10))
SHAPE_CLASSES = ("circle", "square", "triangle")
_DIGITS = Path(__file__).with_name("digits.npz")


def digits(seed: int = 0, test_size: float = 0.2):
    """The 1,797 8x8 handwritten digits (UCI, via scikit-learn; see DIGITS_NOTICE.txt).

    X: (N, 1, 8, 8) float32 in [0, 1]; y: the digit 0..9.
    """
    with np.load(_DIGITS) as f:
        images, labels = f["images"], f["labels"]
    X = (images.astype(np.float32) / 16.0)[:, None]
    return split(X, labels, np.random.default_rng(seed), test_size)


def shapes(n: int = 2000, size: int = 32, seed: int = 0, test_size: float = 0.2, noise: float = 0.05):
    """`n` RGB images of one circle, square or triangle each, random colours, sizes and places.

    A CIFAR-like task small enough for the browser. X: (n, 3, size, size) float32 in [0, 1];
    y: index into SHAPE_CLASSES. The shape's colour differs from the background's by at least
    0.35 in every channel, so the task is about form, not colour.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SHAPE_CLASSES), n)
    r = rng.uniform(0.28, 0.45, n).astype(np.float32) * size
    cx = rng.uniform(r, size - r).astype(np.float32)[:, None, None]
    cy = rng.uniform(r, size - r).astype(np.float32)[:, None, None]
    grid = np.arange(size, dtype=np.float32) + 0.5
    dx, dy, r = grid[None, None, :] - cx, grid[None, :, None] - cy, r[:, None, None]
    circle = dx * dx + dy * dy <= r * r
    square = np.maximum(np.abs(dx), np.abs(dy)) <= 0.8 * r
    triangle = (dy <= 0.7 * r) & (np.abs(dx) <= (dy + r) * 0.65)  # apex up at (cx, cy - r)
    mask = np.where((labels == 0)[:, None, None], circle, np.where((labels == 1)[:, None, None], square, triangle))
    background = rng.uniform(0, 1, (n, 3, 1, 1)).astype(np.float32)
    colour = (background + rng.uniform(0.35, 0.65, (n, 3, 1, 1)).astype(np.float32)) % 1.0
    X = np.where(mask[:, None], colour, background)
    X += rng.normal(0, noise, X.shape).astype(np.float32)
    np.clip(X, 0.0, 1.0, out=X)
    return split(X, labels, rng, test_size)
