"""Never silently wrong: a sweep of the kernel's public functions (torch.*, torch.nn.functional.*,
Tensor methods) for keywords that are accepted but never read. Each parameter a function's
code never loads must be one whose effect in PyTorch leaves the values unchanged here, listed
below with the reason; anything else fails the sweep."""

from __future__ import annotations

import dis
import inspect
import types

import numpy as np
import pytest

import torchpad.kernel as K
import torchpad.kernel.nn.functional as KF

# parameter -> why ignoring it gives PyTorch's values in the kernel
NO_EFFECT_HERE = {
    "memory_format": "arrays are row-major; PyTorch's memory formats change strides, not values",
    "layout": "torch.strided is the only layout the kernel has (there is no torch.sparse_coo to pass)",
    "_stacklevel": "deprecated in PyTorch too: it only placed a warning",
    "non_blocking": "CPU copies are synchronous; the values are the same",
    "pin_memory": "page-locking memory for GPU copies changes no values",
    "mmap": "memory-mapping the file changes no values",
    "map_location": "every storage loads on the CPU, the only device here",
    "stable": "the kernel's sorts are always stable, a valid result for stable=False too",
    "sorted": "results come back sorted, a valid result for sorted=False too (PyTorch's CPU does the same)",
    "sparse": "the embedding gradient comes back dense, with the same values",
    "sparse_grad": "the gather gradient comes back dense, with the same values",
    "return_indices": "the *_with_indices forms return indices whatever it says, as in PyTorch",
    "output_size": "a size hint in PyTorch; the result's size is computed from repeats either way",
    "device": "Tensor.cuda(device) raises for CUDA whatever the index (no GPU here)",
}
# (function, parameter) pairs that are known gaps, each with what happens instead
KNOWN = {
    ("torch.relu", "inplace"): "not a PyTorch parameter of torch.relu; F.relu (which has it) honours it",
    ("Tensor.relu", "inplace"): "as torch.relu",
    ("F.alpha_dropout", "inplace"): "alpha dropout returns a new tensor; PyTorch's in-place form gives the same values",
    ("F.instance_norm", "momentum"): "it only updates running statistics, which the kernel refuses (NotImplementedError)",
}
LOADS = {"LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR"}


def unread_parameters(fn) -> list[str]:
    """Parameters (not *args/**kwargs) that fn's code never loads."""
    handles_out = getattr(fn, "_handles_out", False)
    fn = inspect.unwrap(fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    loads = set(code.co_cellvars)
    for ins in dis.get_instructions(code):
        if ins.opname in LOADS:
            loads.add(ins.argval)
        elif ins.opname == "LOAD_FAST_LOAD_FAST":
            loads.update(ins.argval)
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    return [n for n in names if n not in loads and n != "self" and not (n == "out" and handles_out)]


def public_functions():
    for label, ns in (("torch", K), ("F", KF)):
        for name in dir(ns):
            fn = getattr(ns, name)
            if not name.startswith("_") and isinstance(fn, types.FunctionType):
                yield f"{label}.{name}", fn
    for name in dir(K.Tensor):
        fn = getattr(K.Tensor, name, None)
        if not name.startswith("_") and isinstance(fn, types.FunctionType):
            yield f"Tensor.{name}", fn


def test_the_sweep_sees_the_api():
    names = dict(public_functions())
    assert {"torch.add", "torch.zeros", "F.linear", "F.scaled_dot_product_attention", "Tensor.sum"} <= set(names)
    assert unread_parameters(lambda a, b=1: a) == ["b"]  # the detector itself finds an ignored keyword


def test_no_keyword_is_accepted_and_ignored():
    ignored = []
    for qualname, fn in public_functions():
        for param in unread_parameters(fn):
            if param not in NO_EFFECT_HERE and (qualname, param) not in KNOWN:
                ignored.append(f"{qualname}({param}=)")
    assert ignored == [], "accepted but ignored: " + ", ".join(ignored)


def test_arguments_that_would_change_values_raise():
    x = K.ones(1, 2, 4, 4)
    with pytest.raises(NotImplementedError, match="antialias"):
        KF.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True)
    with pytest.raises(NotImplementedError, match="running_mean"):
        KF.instance_norm(x, running_mean=K.zeros(2), running_var=K.ones(2))
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        K.rand_like(x, device="cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        x.new_full((2,), 1.0, device="cuda")
    with pytest.raises(TypeError, match="unexpected keyword argument 'out'"):
        x.add(x, out=K.empty(0))  # Tensor methods take no out=, as in PyTorch
    normalized = K.empty(0)
    assert KF.normalize(x, out=normalized) is normalized and tuple(normalized.shape) == (1, 2, 4, 4)
    assert K.randn_like(x, requires_grad=True).requires_grad
    assert K.randint_like(x, 3, requires_grad=False).dtype == K.float32
    np.testing.assert_array_equal(x.new_tensor([1, 2], device="cpu").numpy(), np.array([1.0, 2.0], np.float32))
