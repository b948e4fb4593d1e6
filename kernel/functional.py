"""`torch.functional`: the module where PyTorch defines some top-level functions (tutorials import
`einsum`, `split`, `norm`, `unique` from it); the same objects as `torch.<name>`."""

from .ops.decomp import unique, unique_consecutive  # noqa: F401
from .ops.linalg import einsum  # noqa: F401
from .ops.reduce import norm  # noqa: F401
from .ops.shape import split  # noqa: F401

__all__ = ["einsum", "norm", "split", "unique", "unique_consecutive"]
