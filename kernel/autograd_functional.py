"""`torch.autograd.functional` (jacobian, vjp, jvp, hessian, hvp, vhp) and `torch.autograd.gradcheck`
/ `gradgradcheck`, on the kernel's reverse mode: a Jacobian is built row by row (one backward per
output element), and a Jacobian-vector product contracts that Jacobian; all exact.

Second order comes from create_graph=True (the engine's backward recorded as Tensor ops), as in
PyTorch: hessian is the Jacobian of a Jacobian taken with create_graph, vhp differentiates the
gradient once more, hvp uses PyTorch's double-backward trick. An op without a second-order
formula raises a clear error naming it.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import grad_mode
from .tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

def _tuple(x, arg_name: str, fn_name: str):
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            where = f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors"
            which = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"{where} but the {which} has type {type(t)}.")
    return is_tuple, items


def _inputs(inputs, create_graph: bool, fn_name: str):
    """(was a tuple, the inputs to differentiate against), after the argument checks: fresh leaves
    that require grad where they can, or with create_graph a view of an input that already requires
    grad, so the result keeps its graph back to it (PyTorch's _grad_preprocess)."""
    is_tuple, inputs = _tuple(inputs, "inputs", fn_name)
    return is_tuple, tuple(t.view_as(t) if create_graph and t.requires_grad else
                           t.detach().requires_grad_(t.is_floating_point()) for t in inputs)


def _no_strict(strict: bool, fn_name: str) -> None:
    if strict:
        raise RuntimeError(f"TorchPad's kernel: {fn_name}(strict=True) is not supported (its independence checks); "
                           "use strict=False")


def _post(tensors, create_graph: bool):
    """Results as PyTorch returns them: detached unless create_graph."""
    return tensors if create_graph else tuple(t.detach() for t in tensors)


def _outputs(func, inputs, fn_name: str):
    """func(*inputs), checked to be a Tensor or a tuple of Tensors: (was a tuple, the outputs)."""
    return _tuple(func(*inputs), "outputs of the user-provided function", fn_name)


def _grads(outputs, inputs, grad_outputs, retain_graph: bool, create_graph: bool = False):
    """d(sum outputs * grad_outputs)/d inputs, zeros where an input is unused or nothing requires grad."""
    from .autograd import grad

    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return tuple(Tensor._make(np.zeros_like(t.array)) for t in inputs)
    found = grad([o for o, _ in pairs], list(inputs), [g for _, g in pairs], retain_graph=retain_graph,
                 create_graph=create_graph, allow_unused=True)
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
    _no_strict(strict, "vjp")
    is_tuple, inputs = _inputs(inputs, create_graph, "vjp")
    with grad_mode.enable_grad():
        out_tuple, outputs = _outputs(func, inputs, "vjp")
        vs = _vector(v, outputs, "vjp", "the user-provided function returns")
        result = _post(_grads(outputs, inputs, vs, retain_graph=create_graph, create_graph=create_graph), create_graph)
    outs = _post(outputs, create_graph)
    return (outs if out_tuple else outs[0]), (result if is_tuple else result[0])


def _jacobian_blocks(outputs, inputs, create_graph: bool = False):
    """blocks[i][j]: d outputs[i] / d inputs[j], shaped output.shape + input.shape (with a graph
    under create_graph, stacked by Tensor ops)."""
    from .ops.shape import stack

    blocks = []
    for o in outputs:
        rows = [[] for _ in inputs]
        flat = o.array.size
        for k in range(flat):
            seed = np.zeros(flat, dtype=o.array.dtype)
            seed[k] = 1
            gs = _grads((o,), inputs, (Tensor._make(seed.reshape(o.array.shape)),), retain_graph=True,
                        create_graph=create_graph)
            for j, g in enumerate(gs):
                rows[j].append(g if create_graph else g.array)
        shaped = []
        for r, t in zip(rows, inputs):
            shape = o.array.shape + t.array.shape
            if not r:
                shaped.append(Tensor._make(np.zeros(shape, t.array.dtype)))
            else:
                shaped.append(stack(r).reshape(shape) if create_graph else Tensor._make(np.stack(r).reshape(shape)))
        blocks.append(tuple(shaped))
    return blocks


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
                         'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer '
                         'to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                  "only implemented for `vectorize=True`.")  # PyTorch's text, its missing space too
    if strategy == "forward-mode" and create_graph:
        raise NotImplementedError("torch.autograd.functional.jacobian: `create_graph=True` and "
                                  "`strategy=\"forward-mode\"` are not supported together (yet). Please either set "
                                  "`create_graph=False` or `strategy=\"reverse-mode\"`.")
    _no_strict(strict, "jacobian")
    is_tuple, inputs = _inputs(inputs, create_graph, "jacobian")
    with grad_mode.enable_grad():
        out_tuple, outputs = _outputs(func, inputs, "jacobian")
        blocks = [_post(row, create_graph) for row in _jacobian_blocks(outputs, inputs, create_graph)]
    if not out_tuple and not is_tuple:
        return blocks[0][0]
    if not out_tuple:
        return blocks[0]
    if not is_tuple:
        return tuple(b[0] for b in blocks)
    return tuple(blocks)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    _no_strict(strict, "jvp")
    is_tuple, inputs = _inputs(inputs, create_graph, "jvp")
    vs = _vector(v, inputs, "jvp", "the input to the user-provided function is")
    with grad_mode.enable_grad():
        out_tuple, outputs = _outputs(func, inputs, "jvp")
        blocks = _jacobian_blocks(outputs, inputs, create_graph)
        result = []
        for o, row in zip(outputs, blocks):
            if create_graph:  # the same contraction with Tensor ops, keeping the graph
                total = None
                for block, t in zip(row, vs):
                    part = (block * t).sum(tuple(range(-t.array.ndim, 0))) if t.array.ndim else block * t
                    total = part if total is None else total + part
                result.append(total)
                continue
            total = np.zeros(o.array.shape, dtype=o.array.dtype)
            for block, t in zip(row, vs):
                n = t.array.ndim
                total = total + np.tensordot(block.array, t.array, axes=n) if n else total + block.array * t.array
            result.append(Tensor._make(total.astype(o.array.dtype)))
    outs = _post(outputs, create_graph)
    return (outs if out_tuple else outs[0]), (tuple(result) if out_tuple else result[0])


def _single_output(func, inputs, fn_name: str) -> Tensor:
    """func(*inputs), checked to be one Tensor with one element (hessian, hvp and vhp need a scalar)."""
    out_tuple, outputs = _outputs(func, inputs, fn_name)
    if out_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")
    return outputs[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Jacobian of the gradient: the inner Jacobian is taken with create_graph=True (as PyTorch)."""
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    _no_strict(strict, "hessian")
    is_tuple, _ = _tuple(inputs, "inputs", "hessian")

    def scalar(*inp):
        return _single_output(func, inp, "hessian").squeeze()

    def jac_func(*inp):
        return jacobian(scalar, inp, create_graph=True)

    res = jacobian(jac_func, inputs if is_tuple else (inputs,), create_graph=create_graph, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    if not is_tuple:
        return res[0][0]
    return res


def _second_order_setup(func, inputs, v, create_graph: bool, fn_name: str):
    """(was a tuple, inputs, v, output, gradient with a graph): what hvp and vhp share."""
    is_tuple, inputs = _inputs(inputs, create_graph, fn_name)
    if v is not None:
        _, vs = _tuple(v, "v", fn_name)
        vs = tuple(t if create_graph and t.requires_grad else t.detach() for t in vs)
        if len(vs) != len(inputs):
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(inputs)} but got {len(vs)}." if is_tuple
                               else "The given v should contain a single Tensor.")
        for i, (t, g) in enumerate(zip(inputs, vs)):
            if tuple(t.shape) != tuple(g.shape):
                where = f"Entry {i} in " if is_tuple else ""
                raise RuntimeError(f"{where}v has invalid size: should be {t.shape} but got {g.shape}.")
    else:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a single "
                               "Tensor with a single element.")
        vs = (Tensor._make(np.ones_like(inputs[0].array)),)
    out = _single_output(func, inputs, fn_name)
    jac = _grads((out,), inputs, (Tensor._make(np.ones_like(out.array)),), retain_graph=True, create_graph=True)
    return is_tuple, inputs, vs, out, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """v^T H: the gradient (with a graph) differentiated once more against v."""
    _no_strict(strict, "vhp")
    with grad_mode.enable_grad():
        is_tuple, inputs, vs, out, jac = _second_order_setup(func, inputs, v, create_graph, "vhp")
        result = _post(_grads(jac, inputs, vs, retain_graph=create_graph, create_graph=create_graph), create_graph)
    return _post((out,), create_graph)[0], (result if is_tuple else result[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """H v by PyTorch's double-backward trick: differentiate (grad . u) against the inputs, then against u."""
    _no_strict(strict, "hvp")
    with grad_mode.enable_grad():
        is_tuple, inputs, vs, out, jac = _second_order_setup(func, inputs, v, create_graph, "hvp")
        us = tuple(Tensor._make(np.zeros_like(t.array)).requires_grad_() for t in inputs)
        double_back = _grads(jac, inputs, us, retain_graph=True, create_graph=True)
        result = _post(_grads(double_back, us, vs, retain_graph=create_graph, create_graph=create_graph), create_graph)
    return _post((out,), create_graph)[0], (result if is_tuple else result[0])


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


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the function inputs -> d(outputs . grad_outputs)/d inputs (taken with create_graph=True),
    with random grad_outputs in [-1, 1) where none are given, as PyTorch. (gen_non_contig_grad_outputs
    changes only their memory layout in PyTorch, never the values checked.)"""
    from .autograd import grad
    from .random import generator_rng

    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_fwd_over_rev:
        raise RuntimeError("TorchPad's kernel gradgradcheck checks reverse-over-reverse only (check_fwd_over_rev must "
                           "be False)")
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    if grad_outputs is None:
        with grad_mode.enable_grad():
            outputs = func(*inputs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        rng = generator_rng(None)
        grad_outputs = tuple(Tensor._make((rng.random(o.array.shape) * 2 - 1).astype(o.array.dtype)).requires_grad_()
                             for o in outputs if o.requires_grad and o.is_floating_point())
    else:
        grad_outputs = grad_outputs if isinstance(grad_outputs, tuple) else (grad_outputs,)
    n_out = len(grad_outputs)

    def first_derivatives(*args):
        with grad_mode.enable_grad():
            outs = func(*args[:-n_out])
            outs = tuple(o for o in (outs if isinstance(outs, tuple) else (outs,)) if o.requires_grad)
            wrt = tuple(x for x in args[:-n_out] if isinstance(x, Tensor) and x.requires_grad)
            found = grad(outs, wrt, args[-n_out:], create_graph=True, allow_unused=True)
        return tuple(g for g in found if g is not None)

    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad, fast_mode=fast_mode,
                     masked=masked)
