"""torch.compile: the kernel runs the eager program (there is no compiler in the browser), which
is what a compiled program computes. A compiled Module is wrapped as PyTorch wraps it, so its
state_dict keys carry the same `_orig_mod.` prefix."""

from __future__ import annotations

import functools

_MODES = (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None, disable=False):
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: default, reduce-overhead, max-autotune, "
                           "max-autotune-no-cudagraphs")
    if model is None:  # @torch.compile(mode=...) as a decorator with arguments
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options,
                                 disable=disable)
    if not callable(model):
        raise RuntimeError(f"model must be callable, got {type(model).__name__}")
    from .nn.module import Module
    from .nn.wrapped import OptimizedModule

    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    return compiled
