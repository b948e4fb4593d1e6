"""`torch.autograd.functional` (jacobian, vjp, jvp) and `torch.autograd.gradcheck`, from first-order
reverse mode only: a Jacobian is built row by row (one backward per output element), and a
Jacobian-vector product contracts that Jacobian. Both are exact. The kernel's backward does not
record a graph (no `create_graph=True`), so second-order functions (hessian, hvp, vhp,
gradgradcheck) raise a clear error instead of returning something approximate.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import grad_mode
from .tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

SECOND_ORDER = ("TorchPad's browser kernel computes first-order gradients only, so {} (which needs "
                "create_graph=True) is not available; run this program on the GPU server runtime")


def _tuple(x, arg_name: str, fn_name: str):
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            where = f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors"
            which = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"{where} but the {which} has type {type(t)}.")
    return is_tuple, items


def _no_create_graph(create_graph: bool, name: str) -> None:
    if create_graph:
        raise RuntimeError(SECOND_ORDER.format(f"{name}(create_graph=True)"))


def _inputs(inputs, create_graph: bool, fn_name: str):
    """(was a tuple, the inputs as fresh leaves that require grad where they can), after the argument checks."""
    _no_create_graph(create_graph, fn_name)
    is_tuple, inputs = _tuple(inputs, "inputs", fn_name)
    return is_tuple, tuple(t.detach().requires_grad_(t.is_floating_point()) for t in inputs)


def _outputs(func, inputs, fn_name: str):
    """func(*inputs), checked to be a Tensor or a tuple of Tensors: (was a tuple, the outputs)."""
    return _tuple(func(*inputs), "outputs of the user-provided function", fn_name)


def _grads(outputs, inputs, grad_outputs, retain_graph: bool):
    """d(sum outputs * grad_outputs)/d inputs, zeros where an input is unused or nothing requires grad."""
    from .autograd import grad

    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return tuple(Tensor._make(np.zeros_like(t.array)) for t in inputs)
    found = grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs], retain_graph=retain_graph,
                 allow_unused=True)
    return tuple(Tensor._make(np.zeros_like(t.array)) if g is None else g for t, g in zip(inputs, found))


def _vector(v, against, fn_name: str, none_means: str):
    """vjp's/jvp's `v` as a tuple shaped like `against`; None stands for 1 only when that is one 1-element tensor."""
    if v is None:
        if len(against) != 1 or against[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if {none_means} a single Tensor with a single element.")
        return (Tensor._make(np.ones_like(against[0].array)),)
    _, vs = _tuple(v, "v", fn_name)
    for t, g in zip(against, vs):
        if tuple(t.shape) != tuple(g.shape):
            raise RuntimeError(f"v has invalid size: should be {t.shape} but got {g.shape}.")
    return vs


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    is_tuple, inputs = _inputs(inputs, create_graph, "vjp")
    with grad_mode.enable_grad():
        out_tuple, outputs = _outputs(func, inputs, "vjp")
        vs = _vector(v, outputs, "vjp", "the user-provided function returns")
        result = _grads(outputs, inputs, vs, retain_graph=False)
    detached = tuple(o.detach() for o in outputs)
    return (detached if out_tuple else detached[0]), (result if is_tuple else result[0])


def _jacobian_blocks(outputs, inputs):
    """blocks[i][j]: d outputs[i] / d inputs[j], shaped output.shape + input.shape."""
    blocks = []
    for o in outputs:
        rows = [[] for _ in inputs]
        flat = o.array.size
        for k in range(flat):
            seed = np.zeros(flat, dtype=o.array.dtype)
            seed[k] = 1
            gs = _grads((o,), inputs, (Tensor._make(seed.reshape(o.array.shape)),), retain_graph=True)
            for j, g in enumerate(gs):
                rows[j].append(g.array)
        blocks.append(tuple(
            Tensor._make(np.stack(r).reshape(o.array.shape + t.array.shape) if r else
                         np.zeros(o.array.shape + t.array.shape, t.array.dtype))
            for r, t in zip(rows, inputs)))
    return blocks


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
                         'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer '
                         'to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` requires "
                                  "`vectorize=True`.")
    if strategy == "forward-mode" and create_graph:
        raise NotImplementedError("torch.autograd.functional.jacobian: `create_graph=True` and "
                                  "`strategy=\"forward-mode\"` are not supported together (yet). Please either set "
                                  "`create_graph=False` or `strategy=\"reverse-mode\"`.")
    is_tuple, inputs = _inputs(inputs, create_graph, "jacobian")
    with grad_mode.enable_grad():
        out_tuple, outputs = _outputs(func, inputs, "jacobian")
        blocks = _jacobian_blocks(outputs, inputs)
    if not out_tuple and not is_tuple:
        return blocks[0][0]
    if not out_tuple:
        return blocks[0]
    if not is_tuple:
        return tuple(b[0] for b in blocks)
    return tuple(blocks)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    is_tuple, inputs = _inputs(inputs, create_graph, "jvp")
    vs = _vector(v, inputs, "jvp", "the input to the user-provided function is")
    with grad_mode.enable_grad():
        out_tuple, outputs = _outputs(func, inputs, "jvp")
        blocks = _jacobian_blocks(outputs, inputs)
    result = []
    for o, row in zip(outputs, blocks):
        total = np.zeros(o.array.shape, dtype=o.array.dtype)
        for block, t in zip(row, vs):
            n = t.array.ndim
            total = total + np.tensordot(block.array, t.array, axes=n) if n else total + block.array * t.array
        result.append(Tensor._make(total.astype(o.array.dtype)))
    detached = tuple(o.detach() for o in outputs)
    return (detached if out_tuple else detached[0]), (tuple(result) if out_tuple else result[0])


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    raise RuntimeError(SECOND_ORDER.format("torch.autograd.functional.hessian"))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    raise RuntimeError(SECOND_ORDER.format("torch.autograd.functional.hvp"))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    raise RuntimeError(SECOND_ORDER.format("torch.autograd.functional.vhp"))


# ---- gradcheck --------------------------------------------------------------------------------
class GradcheckError(RuntimeError):
    """torch.autograd.gradcheck.GradcheckError: the numerical and analytical Jacobians disagree."""


def gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """Compare the analytical Jacobian (backward) with central finite differences, input by input."""
    if check_batched_grad or check_batched_forward_grad or check_forward_ad:
        raise RuntimeError("TorchPad's kernel gradcheck checks backward-mode gradients only (check_batched_grad, "
                           "check_batched_forward_grad and check_forward_ad must be False)")
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.array.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", UserWarning, stacklevel=2)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    for i in diff:  # the finite differences nudge the input's own storage
        if not inputs[i].array.flags.c_contiguous:
            inputs[i].array = np.ascontiguousarray(inputs[i].array)

    def call(*xs):
        args = list(inputs)
        for i, x in zip(diff, xs):
            args[i] = x
        out = func(*args)
        return out if isinstance(out, tuple) else (out,)

    with grad_mode.enable_grad():
        outputs = call(*(inputs[i] for i in diff))
        analytical = _jacobian_blocks(list(outputs), tuple(inputs[i] for i in diff))
    for oi, o in enumerate(outputs):
        for k, i in enumerate(diff):
            x = inputs[i].array
            numerical = np.zeros(o.array.shape + x.shape, dtype=np.float64)
            flat = x.reshape(-1)
            for e in range(flat.size):
                old = flat[e]
                flat[e] = old + eps
                plus = call(*(inputs[j] for j in diff))[oi].array.astype(np.float64)
                flat[e] = old - eps
                minus = call(*(inputs[j] for j in diff))[oi].array.astype(np.float64)
                flat[e] = old
                numerical.reshape(o.array.size, -1)[:, e] = ((plus - minus) / (2 * eps)).reshape(-1)
            a = analytical[oi][k].array.astype(np.float64)
            if not np.allclose(a, numerical, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                num = Tensor._make(numerical.reshape(o.array.size, -1).T.astype(x.dtype))
                ana = Tensor._make(a.reshape(o.array.size, -1).T.astype(x.dtype))
                raise GradcheckError(f"Jacobian mismatch for output {oi} with respect to input {k},\n"
                                     f"numerical:{num!r}\nanalytical:{ana!r}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, **kwargs):
    raise RuntimeError(SECOND_ORDER.format("torch.autograd.gradgradcheck"))
