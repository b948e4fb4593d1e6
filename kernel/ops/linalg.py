"""Matrix products: matmul and its named forms (mm bmm mv dot outer), einsum, and triangular
masks, with PyTorch's shape errors."""

from __future__ import annotations

import numpy as np

from .. import compute
from ..function import Function, named
from ..tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "addmm", "einsum", "tril", "triu", "trace", "diag"]


class MatMul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return compute.matmul(a, b) if a.ndim > 1 and b.ndim > 1 else a @ b

    def backward(self, g):
        a, b = self.a, self.b
        n = self.needs_input_grad
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if n[0] else None), (g * a if n[1] else None)
        if n[0]:
            if b.ndim == 1:
                ga = np.expand_dims(g, -1) * b
            else:
                ga = compute.matmul(np.expand_dims(g, -2) if a.ndim == 1 else g, np.swapaxes(b, -1, -2))
                if a.ndim == 1:
                    ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if n[1]:
            if a.ndim == 1:
                gb = np.expand_dims(a, -1) * np.expand_dims(g, -2)
            elif b.ndim == 1:
                gb = (np.swapaxes(a, -1, -2) @ np.expand_dims(g, -1))[..., 0]
            else:
                gb = compute.matmul(np.swapaxes(a, -1, -2), g)
            if gb.ndim > b.ndim:  # batched a with an unbatched b
                gb = gb.reshape(-1, *b.shape).sum(0)
        return ga, gb

    def backward_graph(self, g):
        a, b = self.parents
        n = self.needs_input_grad
        if a.array.ndim == 1 and b.array.ndim == 1:
            return (g * b if n[0] else None), (g * a if n[1] else None)
        ga = gb = None
        if n[0]:
            if b.array.ndim == 1:
                ga = g.unsqueeze(-1) * b
            elif a.array.ndim == 1:
                ga = (b * g.unsqueeze(-2)).sum(-1)  # the batch dims are summed by the engine
            else:
                ga = g.matmul(b.transpose(-1, -2))
        if n[1]:
            if a.array.ndim == 1:
                gb = a.unsqueeze(-1) * g.unsqueeze(-2)
            elif b.array.ndim == 1:
                gb = (a * g.unsqueeze(-1)).sum(tuple(range(a.array.ndim - 1)))
            else:
                gb = a.transpose(-1, -2).matmul(g)
        return ga, gb


def _check_dtypes(a: Tensor, b: Tensor) -> None:
    if a.array.dtype != b.array.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_dn(a)} != {_dn(b)}")


def _dn(t: Tensor) -> str:
    return t.dtype.cpp_name


def matmul(input, other):
    a, b = input.array, other.array
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    _check_dtypes(input, other)
    if a.ndim == 1 and b.ndim == 1:
        if a.shape[0] != b.shape[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    elif b.ndim == 1:
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({a.shape[-2]}), mat ({a.shape[-2]}x{a.shape[-1]}), vec ({b.shape[0]})")
    elif a.ndim == 1:
        if a.shape[0] != b.shape[-2]:
            raise RuntimeError(f"size mismatch, got input ({b.shape[-1]}), mat ({b.shape[-1]}x{b.shape[-2]}), vec ({a.shape[0]})" if b.ndim == 2 else f"Expected size for first two dimensions of batch2 tensor to be: [{b.shape[0]}, {a.shape[0]}] but got: [{b.shape[0]}, {b.shape[-2]}].")
    elif a.shape[-1] != b.shape[-2]:
        if a.ndim == 2 and b.ndim == 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
        if a.ndim == 3 and b.ndim == 3:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b.shape[0]}, {a.shape[-1]}] but got: [{b.shape[0]}, {b.shape[-2]}].")
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({int(np.prod(a.shape[:-1]))}x{a.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    return named(MatMul.apply(input, other), _MATMUL_NAMES.get((a.ndim, b.ndim), "UnsafeViewBackward0"))


_MATMUL_NAMES = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0", (1, 2): "SqueezeBackward4"}


def mm(input, mat2):
    if input.array.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.array.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input, mat2):
    a, b = input.array, mat2.array
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] "
                           f"but got: [{b.shape[0]}, {b.shape[1]}].")
    _check_dtypes(input, mat2)
    return named(MatMul.apply(input, mat2), "BmmBackward0")


def mv(input, vec):
    a, v = input.array, vec.array
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x{a.shape[1]}), vec ({v.shape[0]})")
    _check_dtypes(input, vec)
    return named(MatMul.apply(input, vec), "MvBackward0")


def dot(input, other):
    a, b = input.array, other.array
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_title(input)} and {_title(other)}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same "
                           f"number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively")
    return named(MatMul.apply(input, other), "DotBackward0")


def inner(input, other):
    if input.array.ndim == 0 or other.array.ndim == 0:
        return input * other
    return matmul(input, other.transpose(-1, -2) if other.array.ndim > 1 else other)


def _title(t: Tensor) -> str:
    return t.dtype.scalar_name


def outer(input, vec2):
    for name, t in (("self", input), ("vec2", vec2)):
        if t.array.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.array.ndim}-D")
    return input.reshape(-1, 1) * vec2


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    prod = mm(mat1, mat2)
    prod = prod if alpha == 1 else prod * alpha
    return prod + (input if beta == 1 else input * beta)


class Einsum(Function):
    """einsum; each operand's gradient is the einsum of the output gradient with the others."""

    def forward(self, *arrays, ins, out):
        self.arrays, self.ins, self.out = arrays, ins, out
        return np.einsum(",".join(ins) + "->" + out, *arrays, optimize=len(arrays) > 2)

    def _grads(self, operands, contract, spread):
        """Each input's gradient: the einsum of the output gradient with the other operands
        (`contract(others, subscripts, kept)`), then broadcast back over the letters only that input
        has (`spread(gi, shape_with_ones, shape)`). `operands` are arrays (backward) or Tensors (backward_graph)."""
        grads = []
        for i, (sub, need) in enumerate(zip(self.ins, self.needs_input_grad)):
            if not need:
                grads.append(None)
                continue
            if len(set(sub)) != len(sub):
                raise RuntimeError("TorchPad's einsum gradient does not support a repeated index within one operand")
            other_subs = [s for j, s in enumerate(self.ins) if j != i]
            present = set(self.out).union(*other_subs)
            kept = "".join(c for c in sub if c in present)
            gi = contract([x for j, x in enumerate(operands) if j != i], [self.out] + other_subs, kept)
            shape = tuple(operands[i].shape)
            grads.append(spread(gi, [n if c in kept else 1 for c, n in zip(sub, shape)], shape))
        return tuple(grads)

    def backward(self, g):
        return self._grads(self.arrays, lambda others, subs, kept: np.einsum(",".join(subs) + "->" + kept, g, *others),
                           lambda gi, ones, shape: np.broadcast_to(gi.reshape(ones), shape))

    def backward_graph(self, g):
        return self._grads(self.parents, lambda others, subs, kept: Einsum.apply(g, *others, ins=subs, out=kept),
                           lambda gi, ones, shape: gi.reshape(ones).expand(*shape))


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise RuntimeError("TorchPad's einsum does not support '...' yet")
    lhs, _, rhs = eq.partition("->")
    ins = lhs.split(",")
    if "->" not in eq:
        counts = {c: lhs.count(c) for c in lhs if c != ","}
        rhs = "".join(sorted(c for c, n in counts.items() if n == 1))
    return Einsum.apply(*operands, ins=tuple(ins), out=rhs)


class TriMask(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, k, upper):
        self.k, self.upper = k, upper
        return np.triu(a, k) if upper else np.tril(a, k)

    def backward(self, g):
        return np.triu(g, self.k) if self.upper else np.tril(g, self.k)

    def backward_graph(self, g):
        return TriMask.apply(g, k=self.k, upper=self.upper)


def tril(input, diagonal=0):
    return named(TriMask.apply(input, k=diagonal, upper=False), "TrilBackward0")


def triu(input, diagonal=0):
    return named(TriMask.apply(input, k=diagonal, upper=True), "TriuBackward0")


def trace(input):
    if input.array.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " + str(input.array.ndim))
    n = min(input.array.shape)
    return input[np.arange(n), np.arange(n)].sum()


def diag(input, diagonal=0):
    a = input.array
    if a.ndim == 1:
        n = a.shape[0] + abs(diagonal)
        rows = np.arange(a.shape[0]) + max(-diagonal, 0)
        cols = np.arange(a.shape[0]) + max(diagonal, 0)
        from ..creation import zeros

        out = zeros(n, n, dtype=input.dtype)
        out[rows, cols] = input
        return out
    idx = np.arange(max(min(a.shape[0] + min(diagonal, 0), a.shape[1] - max(diagonal, 0)), 0))
    return input[idx + max(-diagonal, 0), idx + max(diagonal, 0)]


METHODS = {
    "matmul": matmul, "__matmul__": matmul, "__rmatmul__": lambda s, o: matmul(o, s), "mm": mm, "bmm": bmm, "mv": mv,
    "dot": dot, "inner": inner, "outer": outer, "ger": outer, "addmm": addmm, "tril": tril, "triu": triu,
    "trace": trace, "diag": diag,
    "tril_": lambda s, diagonal=0: s._assign(tril(s, diagonal)), "triu_": lambda s, diagonal=0: s._assign(triu(s, diagonal)),
}
