"""Modules that only wrap another one and forward to it (torch.compile's OptimizedModule, and the
parallel wrappers in nn.parallel): attribute look-ups fall through to the wrapped module."""

from __future__ import annotations

from .module import Module

__all__ = ["OptimizedModule"]


class _Forwarding(Module):
    _inner = "module"

    def forward(self, *args, **kwargs):
        return self._modules[self._inner](*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == self._inner or self._inner not in self.__dict__.get("_modules", {}):
                raise
            return getattr(self._modules[self._inner], name)


class OptimizedModule(_Forwarding):
    """What torch.compile returns for a Module: calls go to `_orig_mod` (so state_dict keys start `_orig_mod.`)."""

    _inner = "_orig_mod"

    def __init__(self, mod) -> None:
        super().__init__()
        self._orig_mod = mod
