"""Sequence classification for RNNs: which frequency band is this noisy sine wave in?"""

from __future__ import annotations

import numpy as np

from ._split import split


def sine_sequences(n: int = 2000, length: int = 50, classes: int = 4, noise: float = 0.2, seed: int = 0,
                   test_size: float = 0.2):
    """Noisy sine waves with random phase and amplitude; the label is the frequency band.

    Class k has 2k+1.5 to 2k+2.5 cycles over the sequence (bands with gaps between them, so
    every label is learnable). X: (n, length, 1) float32, batch first (`nn.LSTM(1, H, batch_first=True)`).
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    cycles = 2 * labels + 1.5 + rng.uniform(0, 1, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    amplitude = rng.uniform(0.8, 1.2, n)
    t = np.arange(length) / length
    X = amplitude[:, None] * np.sin(2 * np.pi * cycles[:, None] * t[None, :] + phase[:, None])
    X = X + rng.normal(0, noise, X.shape)
    return split(X[:, :, None], labels, rng, test_size)
