"""Finite-difference checks of the kernel's own gradients, in float64, without PyTorch.

Each op's analytic gradient (the kernel's backward) is compared with central differences of the
kernel's own forward. Imports only numpy, pytest and torchpad, so it also runs in WebAssembly.
"""

import numpy as np
import pytest

import torchpad.kernel as torch

from gradcheck import gradcheck as _gradcheck  # noqa: E402  (this folder is on sys.path under pytest)


def _inputs(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) if isinstance(s, tuple) else s for s in shapes]


def gradcheck(fn, *shapes, seed=0, positive=False, rtol=1e-5, atol=1e-7):
    """fn(*inputs): each shape (a tuple) becomes a float64 leaf, anything else is passed as is."""
    arrays = _inputs(shapes, seed)
    if positive:
        arrays = [np.abs(a) + 0.5 if isinstance(a, np.ndarray) else a for a in arrays]
    args = [torch.tensor(a, dtype=torch.float64, requires_grad=True) if isinstance(a, np.ndarray) else a for a in arrays]
    leaves = [t for t, a in zip(args, arrays) if isinstance(a, np.ndarray)]
    _gradcheck(lambda: fn(*args), leaves, seed, rtol=rtol, atol=atol)


I = torch.tensor  # noqa: E741  (short for index tensors in the table)

OPS = {
    # elementwise, with broadcasting
    "add": (lambda a, b: a + b, (3, 4), (4,)), "sub_alpha": (lambda a, b: torch.sub(a, b, alpha=2), (3, 1), (1, 4)),
    "mul": (lambda a, b: a * b, (2, 3), (2, 1)), "div": (lambda a, b: a / (b.abs() + 1), (3,), (2, 3)),
    "pow": (lambda a, b: (a.abs() + 0.5) ** b, (3,), (3,)), "rpow": (lambda a: 2 ** a, (4,)),
    "maximum": (lambda a, b: torch.maximum(a, b), (3, 4), (4,)), "minimum": (lambda a, b: torch.minimum(a, b), (3,), (3,)),
    "where": (lambda a, b: torch.where(a > 0, a, b * 2), (3, 4), (3, 4)),
    "remainder": (lambda a, b: torch.remainder(a, b.abs() + 2), (5,), (5,)),
    "atan2": (lambda a, b: torch.atan2(a, b), (4,), (4,)), "lerp": (lambda a, b: torch.lerp(a, b, 0.3), (4,), (4,)),
    "exp": (lambda a: a.exp(), (5,)), "log": (lambda a: (a.abs() + 0.5).log(), (5,)),
    "log1p": (lambda a: a.abs().log1p(), (5,)), "sqrt": (lambda a: (a.abs() + 0.5).sqrt(), (5,)),
    "rsqrt": (lambda a: (a.abs() + 0.5).rsqrt(), (5,)), "sin_cos_tan": (lambda a: a.sin() * a.cos() + (a * 0.3).tan(), (5,)),
    "tanh_sigmoid": (lambda a: a.tanh() + a.sigmoid(), (6,)), "relu": (lambda a: a.relu(), (6,)),
    "abs_neg": (lambda a: -a.abs(), (6,)), "clamp": (lambda a: a.clamp(-0.5, 0.5), (6,)), "erf": (lambda a: torch.erf(a), (6,)),
    "square_reciprocal": (lambda a: a.square() + (a.abs() + 1).reciprocal(), (6,)),
    "asin_acos_atan": (lambda a: (a * 0.3).asin() + (a * 0.3).acos() + a.atan(), (5,)),
    "sinh_cosh_expm1": (lambda a: a.sinh() + a.cosh() + a.expm1(), (5,)),
    "log2_log10": (lambda a: (a.abs() + 0.5).log2() + (a.abs() + 0.5).log10(), (5,)),
    # reductions and scans
    "sum_dims": (lambda a: a.sum((0, 2)), (2, 3, 2)), "mean_keep": (lambda a: a.mean(1, keepdim=True), (2, 3, 2)),
    "std": (lambda a: a.std(1), (3, 4)), "var_biased": (lambda a: a.var(unbiased=False), (3, 4)),
    "prod": (lambda a: a.prod(1), (3, 4)), "prod_all": (lambda a: a.prod(), (5,)),
    "max_dim": (lambda a: a.max(1).values, (3, 4)), "min_all": (lambda a: a.min(), (3, 4)),
    "amax": (lambda a: a.amax((0, 1)), (3, 4)), "median": (lambda a: a.median(0).values, (5, 2)),
    "softmax": (lambda a: a.softmax(1), (3, 4)), "log_softmax": (lambda a: a.log_softmax(0), (3, 4)),
    "logsumexp": (lambda a: a.logsumexp(1), (3, 4)), "cumsum": (lambda a: a.cumsum(1), (3, 4)),
    "cumprod": (lambda a: (a.abs() + 0.5).cumprod(0), (4, 2)), "norm": (lambda a: a.norm(), (3, 4)),
    "norm_dim_p3": (lambda a: a.norm(p=3, dim=1), (3, 4)), "sort": (lambda a: a.sort(1, descending=True).values, (3, 4)),
    "topk": (lambda a: a.topk(2, dim=0).values, (4, 3)),
    # shape
    "reshape_permute": (lambda a: a.reshape(3, 4).t().permute(1, 0).reshape(-1), (2, 6)),
    "expand": (lambda a: a.expand(3, 2, 4), (2, 1)), "repeat": (lambda a: a.repeat(2, 3), (2, 2)),
    "repeat_interleave": (lambda a: a.repeat_interleave(2, dim=0), (2, 3)),
    "cat_stack": (lambda a, b: torch.stack([torch.cat([a, b], 1), torch.cat([b, a], 1)]), (2, 3), (2, 3)),
    "split_chunk": (lambda a: [x * (i + 1) for i, x in enumerate(a.split(2) + a.chunk(2, 1))], (5, 4)),
    "unbind": (lambda a: [x * (i + 1) for i, x in enumerate(a.unbind(1))], (2, 3)),
    "flip_roll": (lambda a: a.flip(0) * a.roll(1, 1), (3, 4)), "movedim": (lambda a: a.movedim(0, 2), (2, 3, 4)),
    "squeeze_unsqueeze": (lambda a: a.unsqueeze(0).unsqueeze(-1).squeeze(), (3, 2)),
    # indexing
    "getitem_slices": (lambda a: a[1:, ::2], (3, 5)), "getitem_int_tensor": (lambda a: a[I([0, 2, 2, 0])], (3, 2)),
    "getitem_two_tensors": (lambda a: a[I([0, 1, 1]), I([2, 2, 0])], (3, 3)), "getitem_mask": (lambda a: a[a > 0], (4, 3)),
    "getitem_none_ellipsis": (lambda a: a[None, ..., 1], (2, 3, 2)),
    "setitem": (lambda a, b: _setitem(a, b), (3, 4), (4,)),
    "gather": (lambda a: a.gather(1, I([[0, 0], [2, 1], [1, 1]])), (3, 3)),
    "scatter": (lambda a, b: a.scatter(1, I([[0], [2]]), b), (2, 3), (2, 1)),
    "scatter_add": (lambda a, b: a.scatter_add(0, I([[0, 1, 0], [0, 0, 1]]), b), (2, 3), (2, 3)),
    "index_select": (lambda a: a.index_select(1, I([2, 0, 2])), (2, 3)),
    "masked_fill": (lambda a, b: a.masked_fill(a > 0, 0.0) + a.masked_fill(a < 0, b.sum()), (3, 4), (2,)),
    # matrix products
    "matmul_2d": (lambda a, b: a @ b, (3, 4), (4, 2)), "matmul_batched_broadcast": (lambda a, b: a @ b, (2, 3, 4), (4, 2)),
    "matmul_vec": (lambda a, b: a @ b, (3, 4), (4,)), "matmul_vec_left": (lambda a, b: a @ b, (4,), (2, 4, 3)),
    "bmm": (lambda a, b: torch.bmm(a, b), (2, 2, 3), (2, 3, 2)), "dot_outer": (lambda a, b: torch.dot(a, b) * torch.outer(a, b), (3,), (3,)),
    "einsum": (lambda a, b: torch.einsum("bij,bkj->bik", a, b), (2, 2, 3), (2, 4, 3)),
    "einsum_reduce_only_one": (lambda a, b: torch.einsum("ij,k->jk", a, b), (2, 3), (4,)),
    "tril_triu_diag": (lambda a: a.tril() + a.triu(1) * 2 + torch.diag(a.diag()), (3, 3)),
}


def _setitem(a, b):
    y = a * 1
    y[1] = b
    y[:, 0] = b[0] * 3
    return y


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradient_matches_finite_differences(name):
    fn, *shapes = OPS[name]
    gradcheck(fn, *shapes, seed=len(name))


def test_inplace_graph_gradient():
    def fn(a):
        y = a * 2
        z = y.sin()
        y.mul_(a)
        y.add_(z)
        return y

    gradcheck(fn, (4,))


def test_custom_function_gradient():
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    gradcheck(lambda a: Cube.apply(a) * a, (5,))
