"""TorchPad's user-facing API: `torchpad.log`, `torchpad.autolog` and `torchpad.datasets`.

The same names work in every runtime (browser worker, server job, plain Python); what
`torch` is depends on the host, and the datasets return tensors of whichever `torch`
is running.
"""

from importlib import import_module

from .metrics import autolog, log, show

__version__ = "0.1.0"
__all__ = ["log", "autolog", "show", "datasets", "__version__"]


def __getattr__(name: str):
    # `datasets` imports `torch`, so it loads only when user code asks for it.
    if name == "datasets":
        return import_module(".datasets", __name__)
    raise AttributeError(f"module 'torchpad' has no attribute {name!r}")
