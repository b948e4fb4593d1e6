"""`torch.func` for the common cases, on the kernel's reverse mode.

grad / grad_and_value / vjp / jacrev / jacfwd / jvp are exact (a Jacobian is built row by row);
vmap runs the function once per slice of the mapped dims and stacks the results, so gradients
flow through it as through any loop; functional_call runs a module with the given tensors in
place of its parameters and buffers.

Transforms compose (hessian = jacfwd(jacrev(f)), grad of grad): a transform whose arguments
already require grad (it runs inside another transform, or under ordinary autograd) differentiates
with create_graph=True, so its result keeps a graph back to them, and so it does for tensors the
function closes over (a module's parameters), as in PyTorch.
"""

from __future__ import annotations

from . import autograd_functional as AF
from . import grad_mode
from .ops.shape import stack
from .tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap", "functional_call"]


def _leaves(tree) -> list:
    """The tensors of a nest of tuples, lists and dicts, in a fixed order."""
    if isinstance(tree, Tensor):
        return [tree]
    if isinstance(tree, dict):
        return [x for v in tree.values() for x in _leaves(v)]
    if isinstance(tree, (tuple, list)):
        return [x for v in tree for x in _leaves(v)]
    return []


def _rebuild(tree, leaves: list):
    """`tree` with its tensors replaced, in order, by `leaves` (consumed from the front)."""
    if isinstance(tree, Tensor):
        return leaves.pop(0)
    if isinstance(tree, dict):
        return {k: _rebuild(v, leaves) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(_rebuild(v, leaves) for v in tree)
    return tree


def _argnums_tuple(argnums, n: int):
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"Got type {type(a)} for argnums but expected int or tuple of int.")
        if not -n <= a < n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")
    return tuple(a % n for a in nums)


def _nested(args) -> bool:
    """True when some argument already requires grad: the transform then keeps a graph back to it."""
    return grad_mode._enabled and any(t.requires_grad for a in args for t in _leaves(a))


def _closes_over_grad(out: Tensor, own: list) -> bool:
    """True when out's graph reaches a leaf that requires grad besides `own`: a tensor the function closes
    over (a module's parameters), which the gradient must then keep a graph to, as in PyTorch."""
    from .engine import _topo_order

    if out._ctx is None:
        return False
    mine = {id(t) for t in own}
    for node in _topo_order([out._ctx]):
        for p, pctx in zip(node.parents, node.parent_ctxs):
            if pctx is None and isinstance(p, Tensor) and p.requires_grad and id(p) not in mine:
                return True
    return False


def grad_and_value(func, argnums=0, has_aux=False):
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args))
        outer_grad = grad_mode._enabled
        nested = _nested(args)
        args = list(args)
        for i in nums:
            args[i] = _rebuild(args[i], [t.view_as(t) if nested and t.requires_grad else t.detach().requires_grad_()
                                         for t in _leaves(args[i])])
        with grad_mode.enable_grad():
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: (output, aux) "
                                       "if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")
            if out.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                                   f"with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
            leaves = [t for i in nums for t in _leaves(args[i])]
            nested = nested or (outer_grad and _closes_over_grad(out, leaves))
            flat = list(AF._grads((out,), tuple(leaves), (Tensor._make(out.array * 0 + 1),), retain_graph=nested,
                                  create_graph=nested))
            grads = tuple(_rebuild(args[i], flat) for i in nums)
        g = grads if isinstance(argnums, tuple) else grads[0]
        value = out if nested else out.detach()
        return (g, (value, aux)) if has_aux else (g, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    inner = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux=False):
    outer_grad = grad_mode._enabled
    nested = _nested(primals)
    primals = tuple(p.view_as(p) if nested and p.requires_grad else p.detach().requires_grad_() for p in primals)
    with grad_mode.enable_grad():
        out = func(*primals)
    aux = None
    if has_aux:
        out, aux = out
    outs = out if isinstance(out, tuple) else (out,)
    keep = nested or (outer_grad and any(_closes_over_grad(o, list(primals)) for o in outs))

    def vjp_fn(*cotangents):
        cots = cotangents[0] if len(cotangents) == 1 and isinstance(cotangents[0], tuple) else cotangents
        with grad_mode.enable_grad():
            return AF._grads(outs, primals, cots, retain_graph=True, create_graph=keep)

    shown = AF._post(outs, keep)
    return (shown if isinstance(out, tuple) else shown[0], vjp_fn) + ((aux,) if has_aux else ())


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    if has_aux:
        raise RuntimeError("TorchPad's kernel: torch.func.jvp does not support has_aux=True")
    primals = tuple(primals)
    return AF.jvp(func, primals, tuple(tangents), create_graph=_nested(primals), strict=strict)


def _jacobian(func, inputs: tuple, nested: bool):
    """Per input (per output, if a tuple): autograd.functional.jacobian's blocks, with a graph when nested
    (hessian = jacfwd(jacrev(f))) or when func closes over tensors that require grad."""
    outer_grad = grad_mode._enabled
    _, inputs = AF._inputs(inputs, nested, "jacobian")
    with grad_mode.enable_grad():
        out_tuple, outputs = AF._outputs(func, inputs, "jacobian")
        keep = nested or (outer_grad and any(_closes_over_grad(o, list(inputs)) for o in outputs))
        blocks = [AF._post(row, keep) for row in AF._jacobian_blocks(outputs, inputs, keep)]
    return tuple(blocks) if out_tuple else blocks[0]


def _jac(func, argnums, has_aux, name):
    def wrapper(*args):
        nums = _argnums_tuple(argnums, len(args))
        if has_aux:
            raise RuntimeError(f"TorchPad's kernel: torch.func.{name} does not support has_aux=True")

        def partial(*chosen):
            full = list(args)
            for i, t in zip(nums, chosen):
                full[i] = t
            return func(*full)

        result = _jacobian(partial, tuple(args[i] for i in nums), _nested(args))
        if isinstance(argnums, tuple):
            return result
        return tuple(r[0] for r in result) if isinstance(result[0], tuple) else result[0]

    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    return _jac(func, argnums, has_aux, "jacrev")


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    return _jac(func, argnums, has_aux, "jacfwd")


def hessian(func, argnums=0):
    """jacfwd(jacrev(func, argnums), argnums), as torch.func defines it (both exact here)."""
    return jacfwd(jacrev(func, argnums), argnums)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    def wrapper(*args):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(func, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             f"structure of `inputs`. in_dims has structure {len(dims)} but inputs has structure "
                             f"{len(args)}.")
        sizes = {t.shape[d] for a, d in zip(args, dims) if d is not None for t in _leaves(a)}
        if not sizes:
            raise ValueError("vmap(func)(<inputs>): at least one input must be mapped (in_dims not all None)")
        if len(sizes) > 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sorted(sizes)} for the mapped dimension")
        n = sizes.pop()
        results = []
        for i in range(n):
            sliced = [a if d is None else _rebuild(a, [t.select(d, i) for t in _leaves(a)]) for a, d in zip(args, dims)]
            results.append(func(*sliced))
        if isinstance(results[0], tuple) and isinstance(out_dims, (tuple, list)):
            return tuple(stack([r[k] for r in results], od) for k, od in enumerate(out_dims))
        per_result = [_leaves(r) for r in results]
        stacked = [stack([leaves[k] for leaves in per_result], out_dims) for k in range(len(per_result[0]))]
        return _rebuild(results[0], stacked)

    return wrapper


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call `module` with the given tensors standing in for its parameters and buffers (by dotted name)."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, (list, tuple)):
        merged = {}
        for d in dicts:
            merged.update(d)
        dicts = merged
    saved = []
    try:
        for name, value in dicts.items():
            owner_name, _, attr = name.rpartition(".")
            owner = module.get_submodule(owner_name) if owner_name else module
            store = owner._parameters if attr in owner._parameters else owner._buffers if attr in owner._buffers else None
            if store is None:
                if strict:
                    raise RuntimeError(f"Unexpected key(s): '{name}'.")
                continue
            saved.append((store, attr, store[attr]))
            store[attr] = value
        args = () if args is None else args if isinstance(args, tuple) else (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for store, attr, old in reversed(saved):
            store[attr] = old
