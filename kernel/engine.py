"""Reverse-mode autodiff: an iterative topological sort (Pyodide's stack is shallow), then
one pass from the outputs back to the leaves."""

from __future__ import annotations

import numpy as np

from .function import graph_backward, unbroadcast, unbroadcast_graph
from .tensor import Tensor

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward."
)


_KEEP = ("parents", "parent_ctxs", "needs_input_grad", "torch_name", "user_fn")  # not saved values


def _topo_order(roots: list) -> list:
    """Nodes reachable from `roots`, each after every node that consumes its output."""
    post, seen, stack = [], set(), [(r, False) for r in roots]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            post.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for ctx in node.parent_ctxs:
            if ctx is not None and id(ctx) not in seen:
                stack.append((ctx, False))
    post.reverse()
    return post


def _leading_to(order: list, capture_nodes: dict, capture_leaves: set) -> set:
    """ids of the nodes whose backward leads to a captured tensor (the part of the graph autograd.grad runs)."""
    needed = set()
    for node in reversed(order):  # every node after the nodes that produce its inputs
        for p, pctx in zip(node.parents, node.parent_ctxs):
            if (id(pctx) in needed or id(pctx) in capture_nodes) if pctx is not None else id(p) in capture_leaves:
                needed.add(id(node))
                break
    return needed


def run_hooks(t, g):
    """`t`'s tensor hooks on its whole gradient `g`, in the order registered; each may replace it.
    `g` is an array, or a Tensor with a graph under create_graph=True (hooks then see and return it as is)."""
    from .dtypes import from_numpy

    graph = isinstance(g, Tensor)
    for hook in list(t._hooks.values()):
        result = hook(g if graph else Tensor._make(g))
        if result is None:
            continue
        if not isinstance(result, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
        name = getattr(hook, "__name__", type(hook).__name__)
        ga = g.array if graph else g
        if result.array.shape != ga.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        if result.array.dtype != ga.dtype:
            raise RuntimeError(f"hook '{name}' has changed the type of value (was torch.{from_numpy(ga.dtype).scalar_name}Tensor "
                               f"got torch.{result.dtype.scalar_name}Tensor)")
        g = result if graph else result.array
    return g


def accumulate_leaf(t, g) -> None:
    """A leaf's whole gradient of this backward, through its hooks, into `.grad`.
    A Tensor gradient (create_graph=True) keeps its graph: `.grad` becomes a copy of it, or the sum with it."""
    accumulate(t, run_hooks(t, g) if t._hooks else g)


def accumulate(t, g) -> None:
    """`g` into `t.grad`: an array summed in place, or a Tensor with a graph (create_graph=True)."""
    if isinstance(g, Tensor):
        _accumulate_graph(t, g)
    else:
        t._accumulate_grad(g)


def _accumulate_graph(t, g) -> None:
    """`.grad` from a Tensor gradient with a graph: a copy of it (CopyBackwards, as PyTorch), then sums."""
    from .function import named

    t._grad = named(g.clone(), "CopyBackwards") if t._grad is None else t._grad + g


def run_backward(outputs, out_grads, retain_graph: bool, capture=None, create_graph: bool = False,
                 only=None) -> dict:
    """Propagate `out_grads` from `outputs` to the leaves.

    `only` (tensor ids: backward(inputs=...)) limits which leaves accumulate.
    With `create_graph` (the caller enables grad mode) gradients are Tensors and each node's
    `backward_graph` computes its input gradients with Tensor ops, so they have a graph of their own.

    Without `capture`, gradients accumulate into leaves' `.grad` (and retain_grad tensors').
    With `capture` (a list of tensors), their gradients are returned by id and nothing is accumulated.
    A leaf's contributions are summed before its hooks see them; a non-leaf's hooks (and
    retain_grad) act when the pass reaches its node, whose `output_ref` names the tensor.
    """
    grads: dict[int, np.ndarray] = {}
    leaves: dict[int, list] = {}  # tensor id -> [leaf tensor (None: a captured non-leaf), summed gradient]
    roots = []
    for t, g in zip(outputs, out_grads):
        if t._ctx is None:
            continue
        key = id(t._ctx)
        grads[key] = grads[key] + g if key in grads else g
        roots.append(t._ctx)
    capture_nodes = {id(t._ctx): id(t) for t in capture or () if t._ctx is not None}
    capture_leaves = {id(t) for t in capture or () if t._ctx is None}
    for t, g in zip(outputs, out_grads):  # an output that is itself a leaf or a captured tensor
        if capture is not None and id(t) in capture_leaves:
            leaves[id(t)] = [t, g]
    order = _topo_order(roots)
    needed = None if capture is None else _leading_to(order, capture_nodes, capture_leaves)
    for node in order:
        g = grads.pop(id(node), None)
        if g is None:
            continue
        if node.released:
            raise RuntimeError(SECOND_BACKWARD)
        captured_here = capture_nodes.get(id(node))
        if captured_here is not None:
            leaves[captured_here] = [None, g]  # as PyTorch: a captured non-leaf's gradient before its hooks
        if needed is not None and id(node) not in needed:
            continue  # autograd.grad runs only the nodes on a path to its inputs, as PyTorch
        ref = node.__dict__.get("output_ref")
        out = ref() if ref is not None else None
        if out is not None and out._ctx is node:
            if out._hooks:
                g = run_hooks(out, g)
            if capture is None and out._retains_grad:
                _accumulate_graph(out, g) if create_graph else out._accumulate_grad(g)
        in_grads = graph_backward(node, g) if create_graph else node.backward(g)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        for p, pctx, need, ig in zip(node.parents, node.parent_ctxs, node.needs_input_grad, in_grads):
            if not need or ig is None:
                continue
            if create_graph:
                ig = unbroadcast_graph(ig, p)
            else:
                ig = np.asarray(ig)
                if ig.shape != p.array.shape:
                    ig = unbroadcast(ig, p.array.shape)
                if ig.dtype != p.array.dtype:
                    ig = ig.astype(p.array.dtype)
            if pctx is None:
                if capture is None or id(p) in capture_leaves:
                    summed = leaves.get(id(p))
                    if summed is None:
                        leaves[id(p)] = [p, ig]
                    else:
                        summed[1] = summed[1] + ig
                continue
            key = id(pctx)
            grads[key] = grads[key] + ig if key in grads else ig
        if not retain_graph and node.saves_tensors:
            keep = {k: node.__dict__[k] for k in _KEEP if k in node.__dict__}
            node.__dict__.clear()  # free saved arrays, like PyTorch frees saved tensors
            node.__dict__.update(keep)
            node.released = True
    if capture is None:
        for t, g in leaves.values():
            if only is None or id(t) in only:
                accumulate_leaf(t, g)
        return {}
    return {key: run_hooks(t, g) if t is not None and t._hooks else g for key, (t, g) in leaves.items()}
