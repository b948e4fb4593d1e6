"""`torchpad.kernel.alias`: `import torch` gives the kernel's very modules, and undoes cleanly."""

import subprocess
import sys
import textwrap

import pytest
import torch as real_torch

import torchpad.kernel as K
from torchpad.kernel import alias

SUBMODULES = ["nn", "nn.functional", "nn.init", "optim", "optim.lr_scheduler", "autograd", "utils.data", "cuda"]


@pytest.fixture
def aliased():
    alias.install()
    yield
    alias.uninstall()


def test_torch_is_the_kernel(aliased):
    import torch

    assert torch is K
    assert torch.tensor([1.0, 2.0]).sum().item() == 3.0


@pytest.mark.parametrize("sub", SUBMODULES)
def test_submodules_are_the_same_objects(aliased, sub):
    import importlib

    aliased_mod = importlib.import_module("torch." + sub)
    kernel_mod = importlib.import_module("torchpad.kernel." + sub)
    assert aliased_mod is kernel_mod
    assert sys.modules["torch." + sub] is kernel_mod


def test_import_forms(aliased):
    import torch.nn as nn
    from torch import nn as nn2
    from torch.utils.data import DataLoader

    assert nn is nn2 is K.nn
    assert DataLoader is K.utils.data.DataLoader


def test_kernel_module_keeps_its_identity(aliased):
    import torch  # noqa: F401
    import torch.nn  # noqa: F401

    assert K.__spec__.name == "torchpad.kernel" and K.__name__ == "torchpad.kernel"
    assert K.nn.__spec__.name == "torchpad.kernel.nn"


def test_missing_submodule_explains(aliased):
    with pytest.raises(ModuleNotFoundError) as info:
        import torch.onnx  # noqa: F401
    assert str(info.value) == ("No module named 'torch.onnx' (TorchPad's browser kernel does not provide it; "
                               "run on the GPU server for full PyTorch)")
    assert info.value.name == "torch.onnx"


def test_internal_modules_are_not_torch_submodules(aliased):
    import torch

    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'torch.tensor'$"):
        import torch.tensor  # noqa: F401
    assert callable(torch.tensor)  # the function, not the kernel's tensor module


def test_uninstall_restores_real_torch():
    alias.install()
    import torch

    assert torch is K
    alias.uninstall()
    import torch

    assert torch is real_torch
    assert sys.modules["torch.nn"] is real_torch.nn
    assert not alias.installed()


def test_install_is_idempotent():
    alias.install()
    alias.install()
    assert sys.meta_path.count(alias._finder) == 1
    alias.uninstall()
    import torch

    assert torch is real_torch


def test_fresh_process_no_warnings():
    """In a process without PyTorch, the alias imports cleanly with warnings as errors."""
    code = textwrap.dedent("""
        from torchpad.kernel import alias
        alias.install()
        import torch, torch.nn, torch.cuda
        import torchpad.kernel
        assert torch is torchpad.kernel and torch.nn is torchpad.kernel.nn
        print(torch.cuda.is_available())
    """)
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_names_that_are_not_modules_stay_what_they_are(aliased):
    import torch

    for name in ("torch.device", "torch.nn.Linear"):
        with pytest.raises(ModuleNotFoundError, match=rf"^No module named '{name}'$"):
            __import__(name)
    assert isinstance(torch.device("cpu"), torch.device)
