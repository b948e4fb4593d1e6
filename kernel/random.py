"""The kernel's random number generator (a NumPy Generator; numbers differ from PyTorch's)."""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(0)
_seed = 0


def manual_seed(seed: int):
    global _rng, _seed
    _seed = int(seed)
    _rng = np.random.default_rng(_seed)
    return Generator(_seed)


seed = manual_seed


def initial_seed() -> int:
    return _seed


def rng() -> np.random.Generator:
    return _rng


def get_rng_state():
    from .tensor import Tensor

    state = _rng.bit_generator.state
    return Tensor._make(np.frombuffer(repr(state).encode(), dtype=np.uint8).copy())


def set_rng_state(state) -> None:
    import ast

    _rng.bit_generator.state = ast.literal_eval(bytes(state.array).decode())


class Generator:
    """torch.Generator: accepted where PyTorch takes one; draws come from its own NumPy Generator."""

    def __init__(self, seed_or_device=None) -> None:
        self.rng = np.random.default_rng(seed_or_device if isinstance(seed_or_device, int) else None)

    def manual_seed(self, seed: int) -> "Generator":
        self.rng = np.random.default_rng(int(seed))
        return self


def generator_rng(generator) -> np.random.Generator:
    return generator.rng if generator is not None else _rng
