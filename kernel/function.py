"""The autograd node: a Function per op, forward and backward side by side on NumPy arrays.

    class Mul(Function):
        def forward(self, a, b):
            self.a, self.b = a, b
            return a * b
        def backward(self, g):
            return g * self.b, g * self.a

    y = Mul.apply(x, w)          # Tensors in (or Python scalars), a Tensor out

`apply` passes positional Tensor arguments to `forward` as arrays and keyword arguments
unchanged. `backward` returns one gradient per positional input (None where not needed:
`self.needs_input_grad[i]` says which are). Gradients may come back in the broadcast
shape: the engine reduces them to each input's shape (`unbroadcast`), the one place where
broadcasting's gradient is handled.

For create_graph=True (double backward, hessians) a Function also gives `backward_graph`:
the same formula written with Tensor ops on `self.parents` (its inputs as Tensors), so the
gradient it returns has a graph of its own. A Function without one raises a clear error.
"""

from __future__ import annotations

import numpy as np

from . import grad_mode, meta
from .tensor import Tensor


def named(t: Tensor, name: str) -> Tensor:
    """Give t's grad_fn PyTorch's name for this form of the op (it shows in repr)."""
    if t._ctx is not None:
        t._ctx.torch_name = name
    return t


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing NumPy broadcasting."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def unbroadcast_graph(grad, like: Tensor) -> Tensor:
    """`unbroadcast` with Tensor ops (create_graph=True): `grad` summed to `like`'s shape, at its dtype."""
    from .ops.elementwise import cast
    from .ops.reduce import sum as sum_

    if not isinstance(grad, Tensor):
        grad = Tensor._make(np.asarray(grad, dtype=like.array.dtype))
    shape = like.array.shape
    if grad.array.shape != shape:
        extra = grad.array.ndim - len(shape)
        if extra:
            grad = sum_(grad, tuple(range(extra)))
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.array.shape[i] != 1)
        if axes:
            grad = sum_(grad, axes, keepdim=True)
        if grad.array.shape != shape:
            grad = grad.reshape(shape)
    return grad if grad.array.dtype == like.array.dtype else cast(grad, like.dtype)


MODIFIED_INPLACE = ("one of the variables needed for gradient computation has been modified by an inplace operation: "
                    "the input of {} was changed in place after it was used, and TorchPad's kernel takes the double "
                    "backward from the inputs themselves; use the out-of-place form (e.g. inplace=False) where "
                    "create_graph=True is used")


def graph_backward(node, grad: Tensor) -> tuple:
    """node's backward as Tensor ops, for create_graph=True (one tuple entry per input). Formulas that
    read their inputs refuse an input an in-place op has since given a new node (its values changed)."""
    if node.reads_parents:
        for p, pctx in zip(node.parents, node.parent_ctxs):
            if isinstance(p, Tensor) and p._ctx is not pctx:
                raise RuntimeError(MODIFIED_INPLACE.format(node.name()))
    out = node.backward_graph(grad)
    return out if isinstance(out, tuple) else (out,)


class Function:
    """One node of the graph. Subclasses define forward/backward on NumPy arrays."""

    saves_tensors = True  # False for ops whose backward needs no saved values (a second backward is fine)
    torch_name = None  # PyTorch's grad_fn class name where it differs from "<ClassName>Backward0"
    reads_parents = True  # False where backward_graph never reads the inputs' values (no in-place check needed)

    def forward(self, *arrays, **kwargs):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def backward_graph(self, grad: Tensor):
        """backward as Tensor ops on `self.parents` (create_graph=True: the gradient gets a graph).
        Ops with a second-order formula override this; the rest say so."""
        raise RuntimeError(f"double backward through {self.name()} is not supported by TorchPad's kernel; only "
                           "first-order gradients flow through it (create_graph=True, hessian and grad of grad need "
                           "it): run this program on the GPU server runtime")

    @classmethod
    def apply(cls, *args, **kwargs) -> Tensor:
        if meta.created and meta.any_meta(args):
            return meta.apply(cls, args, kwargs)
        fn = cls()
        out = fn.forward(*[a.array if isinstance(a, Tensor) else a for a in args], **kwargs)
        if grad_mode._enabled:
            needs = tuple([isinstance(a, Tensor) and a.requires_grad for a in args])
            if True in needs:
                fn.parents = args
                # each input's node as of now: a later in-place op may give the same Tensor a new node
                fn.parent_ctxs = tuple([a._ctx if isinstance(a, Tensor) else None for a in args])
                fn.needs_input_grad = needs
                fn.released = False
                return Tensor._make(out, True, fn)
        return Tensor._make(out, False, None)

    def name(self) -> str:
        return self.torch_name or f"{type(self).__name__}Backward0"

    @property
    def next_functions(self):
        """Each input's node as PyTorch shows it: its grad_fn, an AccumulateGrad for a leaf that requires
        grad, None for a constant."""
        return tuple((next_node(p, c), 0) for p, c in zip(self.parents, self.parent_ctxs))

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


class AccumulateGrad:
    """The node PyTorch shows in `next_functions` for a leaf that requires grad (the end of the graph)."""

    next_functions = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def next_node(parent, ctx):
    if ctx is not None:
        return ctx
    return AccumulateGrad(parent) if isinstance(parent, Tensor) and parent.requires_grad else None
