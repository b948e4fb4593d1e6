"""Reverse-mode autodiff: an iterative topological sort (Pyodide's stack is shallow), then
one pass from the outputs back to the leaves."""

from __future__ import annotations

import numpy as np

from .function import unbroadcast

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


def run_backward(outputs, out_grads, retain_graph: bool, capture=None) -> dict:
    """Propagate `out_grads` from `outputs` to the leaves.

    Without `capture`, gradients accumulate into leaves' `.grad` (and retain_grad tensors').
    With `capture` (a list of tensors), their gradients are returned by id and nothing is accumulated.
    """
    grads: dict[int, np.ndarray] = {}
    roots = []
    for t, g in zip(outputs, out_grads):
        if t._ctx is None:
            continue
        key = id(t._ctx)
        grads[key] = grads[key] + g if key in grads else g
        roots.append(t._ctx)
    captured: dict[int, np.ndarray] = {}
    capture_nodes = {id(t._ctx): id(t) for t in capture or () if t._ctx is not None}
    capture_leaves = {id(t) for t in capture or () if t._ctx is None}
    for t, g in zip(outputs, out_grads):  # an output that is itself a leaf or a captured tensor
        if capture is not None and id(t) in capture_leaves:
            captured[id(t)] = g
    for node in _topo_order(roots):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        if node.released:
            raise RuntimeError(SECOND_BACKWARD)
        if id(node) in capture_nodes:
            captured[capture_nodes[id(node)]] = g
        in_grads = node.backward(g)
        if not isinstance(in_grads, tuple):
            in_grads = (in_grads,)
        for p, pctx, need, ig in zip(node.parents, node.parent_ctxs, node.needs_input_grad, in_grads):
            if not need or ig is None:
                continue
            ig = np.asarray(ig)
            if ig.shape != p.array.shape:
                ig = unbroadcast(ig, p.array.shape)
            if ig.dtype != p.array.dtype:
                ig = ig.astype(p.array.dtype)
            if pctx is None:
                if capture is None:
                    p._accumulate_grad(ig)
                elif id(p) in capture_leaves:
                    captured[id(p)] = captured[id(p)] + ig if id(p) in captured else ig
                continue
            if capture is None and p._retains_grad:
                p._accumulate_grad(ig)
            key = id(pctx)
            grads[key] = grads[key] + ig if key in grads else ig
        if not retain_graph and node.saves_tensors:
            keep = {k: node.__dict__[k] for k in _KEEP if k in node.__dict__}
            node.__dict__.clear()  # free saved arrays, like PyTorch frees saved tensors
            node.__dict__.update(keep)
            node.released = True
    return captured
