"""`torch.autograd`: backward, grad, and user-defined Functions (ctx.save_for_backward)."""

from __future__ import annotations

import numpy as np

from . import grad_mode
from .engine import accumulate_leaf, run_backward
from .function import Function as _Node
from .grad_mode import enable_grad, no_grad, set_grad_enabled  # noqa: F401
from .tensor import Tensor

def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _initial_grads(outputs: list, grads) -> list:
    grads = _as_list(grads) or [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs")
    result = []
    for t, g in zip(outputs, grads):
        if g is None:
            if t.array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t.array.dtype.kind != "f":
                raise RuntimeError(f"grad can be computed only for real floating point outputs")
            result.append(np.ones_like(t.array))
        else:
            ga = g.array if isinstance(g, Tensor) else np.asarray(g, dtype=t.array.dtype)
            if ga.shape != t.array.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of torch.Size([{', '.join(map(str, ga.shape))}]) and output[0] "
                    f"has a shape of torch.Size([{', '.join(map(str, t.array.shape))}])."
                )
            result.append(ga)
    return result


def _retain(retain_graph, create_graph: bool) -> bool:
    """PyTorch's default: retain_graph follows create_graph unless given."""
    return bool(create_graph if retain_graph is None else retain_graph)


def _graph_seeds(grads: list, given) -> list:
    """create_graph=True seeds as Tensors: a given Tensor stays itself (its own graph is differentiated through)."""
    given = _as_list(given) or [None] * len(grads)
    return [g if isinstance(g, Tensor) and g.array is a else Tensor._make(a) for g, a in zip(given, grads)]


def _check_requires_grad(outputs: list) -> None:
    for i, t in enumerate(outputs):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None) -> None:
    outputs = _as_list(tensors)
    _check_requires_grad(outputs)
    grads = _initial_grads(outputs, grad_tensors)
    if create_graph:
        import warnings

        warnings.warn("Using backward() with create_graph=True will create a reference cycle between the parameter and "
                      "its gradient which can cause a memory leak. We recommend using autograd.grad when creating the "
                      "graph to avoid this. If you have to use this function, make sure to reset the .grad fields of "
                      "your parameters to None after use to break the cycle and avoid the leak.", UserWarning,
                      stacklevel=3)
        grads = _graph_seeds(grads, grad_tensors)
    if inputs is not None:
        _backward_into(outputs, grads, _as_list(inputs), _retain(retain_graph, create_graph), create_graph)
        return
    for t, g in zip(outputs, grads):
        if t._ctx is None:  # backward on a leaf: its own grad is the seed
            accumulate_leaf(t, g)
    with grad_mode.set_grad_enabled(create_graph):
        run_backward(outputs, grads, _retain(retain_graph, create_graph), create_graph=create_graph)


def _backward_into(outputs: list, grads: list, inputs: list, retain: bool, create_graph: bool) -> None:
    """backward(inputs=...): only these leaves accumulate; a non-leaf input retains its grad, as PyTorch does."""
    if not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if t._ctx is not None:
            t.retain_grad()
    with grad_mode.set_grad_enabled(create_graph):
        run_backward(outputs, grads, retain, create_graph=create_graph, only={id(t) for t in inputs})


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True, allow_unused=None,
         materialize_grads=False):
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    _check_requires_grad(outs)
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _initial_grads(outs, grad_outputs)
    if create_graph:
        grads = _graph_seeds(grads, grad_outputs)
    with grad_mode.set_grad_enabled(create_graph):
        captured = run_backward(outs, grads, _retain(retain_graph, create_graph), capture=ins, create_graph=create_graph)
    result = []
    for i, t in enumerate(ins):
        g = captured.get(id(t))
        if g is None:
            if not (allow_unused or materialize_grads):
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            result.append(Tensor._make(np.zeros_like(t.array)) if materialize_grads else None)
        elif isinstance(g, Tensor):  # create_graph=True: the gradient with its graph
            result.append(g)
        else:
            result.append(Tensor._make(np.array(g, dtype=t.array.dtype)))
    return tuple(result)


class FunctionCtx:
    """The `ctx` a custom Function's forward and backward share."""

    def __init__(self) -> None:
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self._non_differentiable = set()

    def save_for_backward(self, *tensors) -> None:
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        pass


class _CustomNode(_Node):
    """Runs a user Function's tensor-level backward inside the engine."""

    def backward(self, g):
        ctx, user_fn = self.ctx, self.user_fn
        with grad_mode.no_grad():
            grads = user_fn.backward(ctx, Tensor._make(g))
        if not isinstance(grads, tuple):
            grads = (grads,)
        out = []
        for gr in grads[: len(self.parents)]:
            out.append(gr.array if isinstance(gr, Tensor) else gr)
        out += [None] * (len(self.parents) - len(out))
        return tuple(out)

    def backward_graph(self, g):
        """create_graph=True: the user's backward runs under grad mode, so its Tensor ops record a graph."""
        grads = self.user_fn.backward(self.ctx, g)
        grads = grads if isinstance(grads, tuple) else (grads,)
        grads = tuple(grads[: len(self.parents)])
        return grads + (None,) * (len(self.parents) - len(grads))

    def name(self) -> str:
        return f"{self.user_fn.__name__}Backward"


class Function:
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grads)`; call `.apply(*args)`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx()
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with grad_mode.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not (grad_mode._enabled and any(t.requires_grad for t in tensor_args)):
            return out
        node = _CustomNode()
        node.ctx, node.user_fn = ctx, cls
        node.parents = tuple(args)
        node.parent_ctxs = tuple(a._ctx if isinstance(a, Tensor) else None for a in args)
        node.needs_input_grad = ctx.needs_input_grad
        node.released = False
        if isinstance(out, Tensor):
            return Tensor._make(out.array, True, node)
        raise RuntimeError("TorchPad's custom autograd.Function supports a single Tensor output")


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper PyTorch keeps: `Variable(t)` is a new leaf Tensor sharing t's data."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            import warnings

            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            data = Tensor._make(np.zeros((0,), np.float32))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = Tensor._make(data.array)
        if requires_grad:
            out.requires_grad_(True)
        return out


def _install_functional() -> None:
    """`torch.autograd.functional`, `.forward_ad` and `torch.autograd.gradcheck`, importable as in PyTorch."""
    import sys

    from . import autograd_forward_ad, autograd_functional

    sys.modules[__name__ + ".functional"] = autograd_functional
    sys.modules[__name__ + ".forward_ad"] = autograd_forward_ad
    globals()["__path__"] = []  # lets `import torch.autograd.functional` reach the finder (a package's submodule)
    globals().update(functional=autograd_functional, forward_ad=autograd_forward_ad, gradcheck=autograd_functional.gradcheck,
                     gradgradcheck=autograd_functional.gradgradcheck)


_install_functional()
