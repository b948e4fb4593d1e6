"""torch.jit: script and trace give back the program itself (the kernel runs Python as is), so it
behaves exactly as the eager code does; the decorators and queries TorchScript code uses."""

from __future__ import annotations

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting", "is_tracing", "Final",
           "annotate"]


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """A Module, function or class, unchanged: its behaviour is the scripted one's."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """Runs `func` once on the example inputs, as tracing does (so their errors show here), and returns it."""
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("example_kwarg_inputs or example_inputs must be provided")
    if example_kwarg_inputs is not None:
        func(**example_kwarg_inputs)
    else:
        func(*(example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)))
    return func


def trace_module(mod, inputs, **kwargs):
    for method, example in inputs.items():
        trace(getattr(mod, method), example)
    return mod


def ignore(drop=False, **kwargs):
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def annotate(the_type, the_value):
    return the_value


class _FinalType:
    def __getitem__(self, item):
        return item


Final = _FinalType()
