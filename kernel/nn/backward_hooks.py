"""Module backward hooks: `register_full_backward_hook`, `register_full_backward_pre_hook` and the
old `register_backward_hook`.

A module with full hooks runs its forward between identity nodes: one on each input tensor that
requires grad (its backward sees that input's gradient) and one on the output (its backward sees
the gradient of the output, runs the pre-hooks, which may replace it, and - when no input
requires grad - the hooks with grad_input of Nones, as PyTorch does). The old hook sees the
gradients the output's own node hands to its inputs (PyTorch's documented caveat: exact for
modules of one op).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..function import Function
from ..tensor import Tensor

_NO_INPUT_GRAD = ("Full backward hook is firing when gradients are computed with respect to module outputs since no "
                  "inputs require gradients. See https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                  "#torch.nn.Module.register_full_backward_hook for more details.")
_MIXED = "Cannot use both regular backward hooks and full backward hooks on a single Module. Please use only one of them."


def _as_tensors(grads: tuple) -> tuple:
    """Gradients as the hooks see them: Tensors (those of create_graph=True already are, with their graph)."""
    return tuple(g if g is None or isinstance(g, Tensor) else Tensor._make(g) for g in grads)


def _as_arrays(result, expected: int, what: str, graph: bool = False) -> tuple:
    """A hook's replacement gradients in the engine's form: arrays, or Tensors under create_graph=True."""
    result = result if isinstance(result, tuple) else (result,)
    if len(result) != expected:
        raise RuntimeError(f"Backward hook returned an invalid number of grad_{what} , got {len(result)}, but expected {expected}")
    return tuple(None if r is None else r if graph else r.array for r in result)


def _is_graph(grads) -> bool:
    return any(isinstance(g, Tensor) for g in grads)


class _Pass:
    """What one call's identity nodes share: the module, the gradients seen so far."""

    def __init__(self, module, n_inputs: int) -> None:
        self.module, self.n_inputs = module, n_inputs
        self.grad_output = None
        self.grad_input: dict = {}

    def run_hooks(self, grad_input: tuple) -> tuple | None:
        result = None
        for hook in list(self.module._backward_hooks.values()):
            r = hook(self.module, _as_tensors(grad_input), _as_tensors(self.grad_output))
            if r is not None:
                result = _as_arrays(r, len(grad_input), "input", _is_graph(grad_input))
                grad_input = result
        return result


class OutputGrad(Function):
    saves_tensors = False
    torch_name = "BackwardHookFunctionBackward"
    reads_parents = False

    def forward(self, a, state):
        self.state = state
        return a

    def backward(self, g):
        state = self.state
        grads = (g,)
        for hook in list(state.module._backward_pre_hooks.values()):
            r = hook(state.module, _as_tensors(grads))
            if r is not None:
                grads = _as_arrays(r, 1, "output", isinstance(g, Tensor))
        state.grad_output = grads
        if state.n_inputs == 0:
            warnings.warn(_NO_INPUT_GRAD, UserWarning, stacklevel=2)
            state.run_hooks((None,) * max(1, state.n_tensor_args))
        return grads[0]

    backward_graph = backward  # create_graph=True: the same, the gradients being Tensors with graphs


class InputGrad(Function):
    saves_tensors = False
    torch_name = "BackwardHookFunctionBackward"
    reads_parents = False

    def forward(self, a, state, index):
        self.state, self.index = state, index
        return a

    def backward(self, g):
        state = self.state
        state.grad_input[self.index] = g
        if len(state.grad_input) < state.n_inputs:
            return g
        grads = tuple(state.grad_input.get(i) for i in range(state.n_tensor_args))
        result = state.run_hooks(grads)
        if result is None:
            return g
        others_changed = any(i != self.index and result[i] is not grads[i] for i in range(len(grads)))
        if state.n_inputs > 1 and others_changed:
            raise RuntimeError("TorchPad's kernel: a full backward hook may replace grad_input only for modules "
                               "with one input that requires grad")
        return result[self.index]

    backward_graph = backward


def call(module, args: tuple, kwargs: dict):
    """module.forward(*args, **kwargs) between the identity nodes that run its backward hooks."""
    from .. import grad_mode

    if not grad_mode._enabled:
        return module.forward(*args, **kwargs)
    if not module.__dict__.get("_is_full_backward_hook", True):
        return _call_legacy(module, args, kwargs)
    tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    needs = [i for i in tensor_positions if args[i].requires_grad]
    state = _Pass(module, len(needs))
    state.n_tensor_args = len(tensor_positions)
    args = list(args)
    for k, i in enumerate(tensor_positions):
        if args[i].requires_grad:
            args[i] = InputGrad.apply(args[i], state=state, index=k)
    out = module.forward(*args, **kwargs)
    if isinstance(out, Tensor) and out.requires_grad:
        return OutputGrad.apply(out, state=state)
    if isinstance(out, Tensor):
        return out
    raise RuntimeError("TorchPad's kernel supports full backward hooks on modules that return one Tensor; "
                       f"{type(module).__name__} returned {type(out).__name__}")


_LEGACY_ORDER = {"Linear": (2, 0, 1)}  # nn.Linear on 2-D input: PyTorch's addmm node takes (bias, input, weight.t())


def _call_legacy(module, args, kwargs):
    out = module.forward(*args, **kwargs)
    node = out.grad_fn if isinstance(out, Tensor) else None
    if node is None:
        return out
    original, original_graph = node.backward, node.backward_graph

    def backward(g, _node=node):
        """The node's own backward, its input gradients shown to (and replaceable by) the old hooks."""
        graph = isinstance(g, Tensor)  # create_graph=True: Tensors with graphs throughout
        grads = original_graph(g) if graph else original(g)
        grads = grads if isinstance(grads, tuple) else (grads,)
        grads = tuple(gr if need else None for gr, need in zip(grads, _node.needs_input_grad))
        two_d = len(grads) == 3 and _node.parents[0].array.ndim == 2
        order = _LEGACY_ORDER.get(type(_node).__name__) if two_d else None
        shown = tuple(grads[i] for i in order) if order else grads
        if order:
            shown = shown[:2] + (None if shown[2] is None else _swap_last(shown[2]),)
        for hook in list(module._backward_hooks.values()):
            r = hook(module, _as_tensors(shown), _as_tensors((g,)))
            if r is not None:
                shown = _as_arrays(r, len(shown), "input", graph)
        if order:
            shown = shown[:2] + (None if shown[2] is None else _swap_last(shown[2]),)
            back = [None] * 3
            for pos, i in enumerate(order):
                back[i] = shown[pos]
            shown = tuple(back)
        return shown

    node.backward = node.backward_graph = backward
    return out


def _swap_last(g):
    return g.transpose(-1, -2) if isinstance(g, Tensor) else np.swapaxes(g, -1, -2)


def register(module, hook, full: bool, store: str, prepend: bool = False):
    from ..hooks import RemovableHandle

    d = module.__dict__
    d.setdefault("_backward_hooks", {})
    d.setdefault("_backward_pre_hooks", {})
    current = d.get("_is_full_backward_hook")
    if store == "_backward_hooks" and current is not None and current != full and d["_backward_hooks"]:
        raise RuntimeError(_MIXED)
    if store == "_backward_hooks":
        d["_is_full_backward_hook"] = full
    elif not d.get("_is_full_backward_hook", True):
        raise RuntimeError(_MIXED)
    else:
        d["_is_full_backward_hook"] = True
    handle = RemovableHandle(d[store], hook)
    if prepend:
        hooks = d[store]
        d[store] = {handle.id: hook, **{k: v for k, v in hooks.items() if k != handle.id}}
        hooks.clear()
        hooks.update(d[store])
        d[store] = hooks
    return handle
