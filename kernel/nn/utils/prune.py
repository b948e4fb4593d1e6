"""`torch.nn.utils.prune`: unstructured pruning by a mask, PyTorch's way.

Pruning `name` moves the parameter to `<name>_orig`, keeps the mask in the buffer `<name>_mask`,
and sets `module.<name> = <name>_orig * <name>_mask` before every forward (a forward pre-hook),
so gradients reach only the kept entries. Pruning again combines masks: the new method only
looks at entries still kept. `remove` makes the pruning permanent.
"""

from __future__ import annotations

import numbers

import numpy as np

from ... import creation, grad_mode
from ...tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured", "RandomStructured",
           "LnStructured", "CustomFromMask", "identity", "random_unstructured", "l1_unstructured", "random_structured",
           "ln_structured", "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


def _validate_amount_init(amount) -> None:
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _n_to_prune(amount, size: int) -> int:
    n = amount if isinstance(amount, numbers.Integral) else round(amount * size)
    if n > size:
        raise ValueError(f"amount={n} should be smaller than the number of parameters to prune={size}")
    return n


class BasePruningMethod:
    """A forward pre-hook that recomputes `module.<name>` from `<name>_orig` and `<name>_mask`."""

    PRUNING_TYPE = "unstructured"
    _tensor_name: str

    def __call__(self, module, inputs) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        raise NotImplementedError

    def apply_mask(self, module) -> Tensor:
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name: str, *args, importance_scores=None, **kwargs):
        old = None
        for key, hook in list(module._forward_pre_hooks.items()):
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old = hook
                del module._forward_pre_hooks[key]
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old is not None:
            container = old if isinstance(old, PruningContainer) else PruningContainer(old)
            container.add_pruning_method(method)
            method = container
        orig = getattr(module, name)
        if importance_scores is not None and tuple(importance_scores.shape) != tuple(orig.shape):
            raise AssertionError(f"importance_scores should have the same shape as parameter {name} of {module}")
        if old is None:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = creation.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        scores = importance_scores if importance_scores is not None else getattr(module, name + "_orig")
        with grad_mode.no_grad():
            mask = method.compute_mask(scores.detach(), default_mask=default_mask)
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t: Tensor, default_mask=None, importance_scores=None) -> Tensor:
        scores = importance_scores if importance_scores is not None else t
        mask = self.compute_mask(scores, default_mask if default_mask is not None else creation.ones_like(t))
        return t * mask

    def remove(self, module) -> None:
        name = self._tensor_name
        weight = self.apply_mask(module)
        if hasattr(module, name):
            delattr(module, name)
        orig = module._parameters[name + "_orig"]
        orig.array = weight.detach().array
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        module.register_parameter(name, orig)


class PruningContainer(BasePruningMethod):
    """Several pruning methods applied in turn to one parameter; each new mask covers kept entries only."""

    def __init__(self, *methods) -> None:
        self._pruning_methods = ()
        if len(methods) == 1 and not isinstance(methods[0], BasePruningMethod):
            methods = tuple(methods[0])
        for m in methods:
            self.add_pruning_method(m)

    def add_pruning_method(self, method) -> None:
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._pruning_methods and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' to "
                             f"PruningContainer. Found '{method._tensor_name}'")
        if method is not None:
            self._tensor_name = method._tensor_name
            self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        if method.PRUNING_TYPE == "global":  # a mask over the whole tensor, combined with the old one
            return method.compute_mask(t, default_mask)
        mask = default_mask.array
        if method.PRUNING_TYPE == "unstructured":  # the new method sees the entries still kept
            keep = mask == 1
        elif method.PRUNING_TYPE == "structured":  # ... or the slices along its dim that still hold any
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute `dim` defined.')
            dim = method.dim + mask.ndim if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor of size {tuple(mask.shape)}")
            others = tuple(d for d in range(mask.ndim) if d != dim)
            keep = (slice(None),) * dim + (mask.sum(axis=others) != 0,)
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        new = mask.copy()
        partial = method.compute_mask(Tensor._make(t.array[keep]), Tensor._make(mask[keep]))
        new[keep] = partial.array
        return Tensor._make(new)


class Identity(BasePruningMethod):
    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class _UnstructuredByAmount(BasePruningMethod):
    """Zero the `amount` entries (a count, or a fraction of them) that come first in `_prune_order`."""

    def __init__(self, amount) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def _prune_order(self, t: Tensor) -> np.ndarray:
        raise NotImplementedError

    def compute_mask(self, t, default_mask):
        n = _n_to_prune(self.amount, t.numel())
        mask = default_mask.array.copy()
        if n:  # no random draw when nothing is pruned, as in PyTorch
            mask.reshape(-1)[self._prune_order(t)[:n]] = 0
        return Tensor._make(mask)


class RandomUnstructured(_UnstructuredByAmount):
    def _prune_order(self, t):
        return np.argsort(-creation.rand_like(t).array.reshape(-1), kind="stable")

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_UnstructuredByAmount):
    def _prune_order(self, t):
        return np.argsort(np.abs(t.array).reshape(-1), kind="stable")

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class _StructuredByAmount(BasePruningMethod):
    """Zero whole slices along `dim`: the `amount` of them (a count or a fraction) chosen by `_kept`."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1) -> None:
        _validate_amount_init(amount)
        self.amount, self.dim = amount, dim

    def _kept(self, t: Tensor, n_keep: int) -> np.ndarray:
        raise NotImplementedError

    def compute_mask(self, t, default_mask):
        a = t.array
        if a.ndim <= 1:
            raise ValueError("Structured pruning can only be applied to multidimensional tensors. Found tensor of shape "
                             f"{t.shape} with {a.ndim} dims")
        if self.dim >= a.ndim or self.dim < -a.ndim:
            raise IndexError(f"Invalid index {self.dim} for tensor of size {t.shape}")
        size = a.shape[self.dim]
        n = _n_to_prune(self.amount, size)
        if n == 0:  # no random draw when nothing is pruned, as in PyTorch
            return default_mask
        mask = np.zeros_like(default_mask.array)
        where = [slice(None)] * a.ndim
        where[self.dim] = self._kept(t, size - n)
        mask[tuple(where)] = 1
        return Tensor._make(mask * default_mask.array)


class RandomStructured(_StructuredByAmount):
    def _kept(self, t, n_keep):
        draws = creation.rand(t.array.shape[self.dim]).array
        return np.sort(np.argsort(-draws, kind="stable")[:n_keep])

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_StructuredByAmount):
    """Keep the slices along `dim` with the largest L`n` norm (n: a number, inf, -inf, 'fro' or 'nuc' as torch.norm)."""

    def __init__(self, amount, n, dim=-1) -> None:
        super().__init__(amount, dim)
        self.n = n

    def _kept(self, t, n_keep):
        from ...ops.reduce import norm

        dims = [d for d in range(t.array.ndim) if d != self.dim % t.array.ndim]
        norms = norm(t, p=self.n, dim=dims).array
        return np.sort(np.argsort(-norms, kind="stable")[:n_keep])

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    PRUNING_TYPE = "global"

    def __init__(self, mask) -> None:
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise AssertionError("mask and default_mask must have the same shape")
        return Tensor._make((default_mask.array * self.mask.array).astype(default_mask.array.dtype))

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs) -> None:
    """Prune across all `(module, name)` pairs at once, as if their entries were one vector."""
    if not isinstance(parameters, (list, tuple)) and not hasattr(parameters, "__iter__"):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = np.concatenate([importance_scores.get((m, n), getattr(m, n)).detach().array.reshape(-1)
                             for m, n in parameters])
    default = np.concatenate([
        (getattr(m, n + "_mask") if hasattr(m, n + "_mask") else creation.ones_like(getattr(m, n))).array.reshape(-1)
        for m, n in parameters])
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    method._tensor_name = "temp"
    container = PruningContainer(method)
    final = container.compute_mask(Tensor._make(scores), Tensor._make(default)).array
    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        n = param.numel()
        custom_from_mask(module, name, Tensor._make(final[pointer:pointer + n].reshape(param.array.shape)))
        pointer += n


def remove(module, name):
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module) -> bool:
    for _, submodule in module.named_modules():
        for hook in submodule._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False


for _cls in (BasePruningMethod, PruningContainer, Identity, RandomUnstructured, L1Unstructured, RandomStructured,
             LnStructured, CustomFromMask):
    _cls.__module__ = "torch.nn.utils.prune"  # a pruning hook prints as PyTorch's: <torch.nn.utils.prune.X object at ...>
