"""Matrix products and friends against PyTorch: values and gradients, batched and broadcast forms,
non-contiguous operands."""

import numpy as np
import pytest

from tests.kernel.opcheck import NC, check, rand
from tests.kernel.parity import K, T, assert_close

MATMUL_SHAPES = [
    ((3, 4), (4, 5)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (3, 4, 2)), ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((5, 3, 4), (1, 4, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check(lambda t, a, b: a @ b, rand(*shapes[0], seed=1), rand(*shapes[1], seed=2))
    check(lambda t, a, b: t.matmul(a, b), rand(*shapes[0], seed=1), rand(*shapes[1], seed=2))


def test_matmul_non_contiguous():
    check(lambda t, a, b: a @ b, NC(rand(3, 4, seed=1)), NC(rand(4, 5, seed=2)))
    check(lambda t, a, b: a.mm(b), rand(3, 4, seed=1), NC(rand(4, 2, seed=2)))


PRODUCTS = {
    "mm": (lambda t, a, b: t.mm(a, b), (3, 4), (4, 2)), "bmm": (lambda t, a, b: t.bmm(a, b), (2, 3, 4), (2, 4, 5)),
    "bmm_method": (lambda t, a, b: a.bmm(b), (3, 1, 4), (3, 4, 2)), "mv": (lambda t, a, b: t.mv(a, b), (3, 4), (4,)),
    "dot": (lambda t, a, b: t.dot(a, b), (5,), (5,)), "outer": (lambda t, a, b: t.outer(a, b), (3,), (4,)),
    "ger": (lambda t, a, b: a.ger(b), (2,), (3,)), "inner": (lambda t, a, b: t.inner(a, b), (3, 4), (2, 4)),
    "addmm": (lambda t, a, b: t.addmm(b[0], a, b, beta=0.5, alpha=2.0), (4, 4), (4, 4)),
    "einsum_mm": (lambda t, a, b: t.einsum("ij,jk->ik", a, b), (3, 4), (4, 5)),
    "einsum_batch": (lambda t, a, b: t.einsum("bij,bjk->bik", a, b), (2, 3, 4), (2, 4, 5)),
    "einsum_outer": (lambda t, a, b: t.einsum("i,j->ij", a, b), (3,), (4,)),
    "einsum_implicit": (lambda t, a, b: t.einsum("ij,jk", a, b), (3, 4), (4, 2)),
    "einsum_sum_only_in_one": (lambda t, a, b: t.einsum("ij,k->k", a, b), (3, 4), (5,)),
    "einsum_attention": (lambda t, a, b: t.einsum("bqd,bkd->bqk", a, b), (2, 3, 4), (2, 5, 4)),
    "einsum_list": (lambda t, a, b: t.einsum("ij,ij->i", [a, b]), (3, 4), (3, 4)),
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_products(name):
    fn, sa, sb = PRODUCTS[name]
    check(fn, rand(*sa, seed=3), rand(*sb, seed=4))


TRI = {
    "tril": lambda t, a: a.tril(), "triu1": lambda t, a: t.triu(a, 1), "tril_neg": lambda t, a: t.tril(a, -1),
    "trace": lambda t, a: a.trace(), "diag": lambda t, a: t.diag(a), "diag_off": lambda t, a: a.diag(1),
    "diag_vec": lambda t, a: t.diag(a[0]), "diag_vec_off": lambda t, a: t.diag(a[1], -1),
}


@pytest.mark.parametrize("name", sorted(TRI))
def test_triangular_and_diagonal(name):
    check(TRI[name], rand(4, 4, seed=5))
    check(TRI[name], rand(3, 5, seed=6)) if name not in ("diag_vec", "diag_vec_off") else None


def test_float64_and_integer_matmul():
    check(lambda t, a, b: a @ b, rand(3, 4, dtype=np.float64), rand(4, 2, dtype=np.float64))
    a, b = np.arange(6).reshape(2, 3), np.arange(6).reshape(3, 2)
    assert_close(K.tensor(a) @ K.tensor(b), T.tensor(a) @ T.tensor(b))
