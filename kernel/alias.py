"""`import torch` that gives the kernel: a meta-path finder mapping `torch.*` to `torchpad.kernel.*`.

    from torchpad.kernel import alias
    alias.install()
    import torch, torch.nn as nn        # torch is torchpad.kernel, nn is torchpad.kernel.nn

The aliased names are the very same module objects (`torch.nn is torchpad.kernel.nn`), so
`isinstance` checks and module state agree whichever name the user code imports. A torch
submodule the kernel lacks fails with PyTorch's ImportError plus a pointer to the GPU server.
`install` sets aside any real `torch` already imported and `uninstall` puts it back, so tests
can alias inside a process that also uses PyTorch.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from contextlib import contextmanager

ALIAS, TARGET = "torch", "torchpad.kernel"
# Kernel modules that are implementation, not torch submodules (several collide with
# torch functions: importing them as `torch.tensor` would overwrite `torch.tensor`).
INTERNAL = {"alias", "creation", "device", "dtypes", "engine", "function", "grad_mode", "ops", "printing", "tensor"}
MISSING = "No module named '{}' (TorchPad's browser kernel does not provide it; run on the GPU server for full PyTorch)"


def _is_alias(name: str) -> bool:
    return name == ALIAS or name.startswith(ALIAS + ".")


def _target(name: str) -> str:
    return TARGET + name[len(ALIAS):]


class _SameModule(importlib.abc.Loader):
    """Hands the import system the already-imported kernel module, leaving it unchanged."""

    def __init__(self, module) -> None:
        self.module, self.spec = module, module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        module.__spec__ = self.spec  # the import system stamped the alias spec on it: put the real one back


class TorchAlias(importlib.abc.MetaPathFinder):
    """Resolves `torch` and `torch.<sub>` to the kernel module of the same path."""

    def find_spec(self, fullname, path=None, target=None):
        if not _is_alias(fullname):
            return None
        rest = fullname[len(ALIAS) + 1:]
        if rest.partition(".")[0] in INTERNAL or rest.startswith("_") or self._shadows_attribute(fullname):
            raise ModuleNotFoundError(f"No module named '{fullname}'", name=fullname)
        try:
            found = importlib.util.find_spec(_target(fullname)) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise ModuleNotFoundError(MISSING.format(fullname), name=fullname)
        module = importlib.import_module(_target(fullname))
        return importlib.util.spec_from_loader(
            fullname, _SameModule(module), is_package=hasattr(module, "__path__"))

    @staticmethod
    def _shadows_attribute(fullname: str) -> bool:
        """True where the parent has a non-module attribute of that name (`torch.device` is a class)."""
        parent_name, _, child = fullname.rpartition(".")
        parent = sys.modules.get(_target(parent_name))
        return parent is not None and hasattr(parent, child) and not isinstance(getattr(parent, child), type(sys))


_finder = TorchAlias()
_set_aside: dict = {}


def installed() -> bool:
    return _finder in sys.meta_path


def install() -> None:
    """Make `import torch` (and its submodules) give the kernel. Idempotent."""
    if installed():
        return
    for name in [n for n in sys.modules if _is_alias(n)]:
        _set_aside[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Undo `install`: forget the aliased names and restore any real torch set aside."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if _is_alias(n)]:
        del sys.modules[name]
    sys.modules.update(_set_aside)
    _set_aside.clear()


@contextmanager
def aliased():
    """`with aliased(): import torch` gives the kernel inside the block only."""
    was = installed()
    install()
    try:
        yield
    finally:
        if not was:
            uninstall()
