"""torch.linalg, torch.svd and matrix_exp against real PyTorch: values, gradients and errors."""

import math

import numpy as np
import pytest
import torch as T

from tests.kernel.opcheck import check, rand
from tests.kernel.parity import K, assert_close, same_error


def spd(n, seed=0, batch=()):
    a = rand(*batch, n, n, seed=seed)
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(np.float32)


def well_conditioned(n, seed=0, batch=()):
    return (rand(*batch, n, n, seed=seed) + 3 * np.eye(n)).astype(np.float32)


@pytest.mark.parametrize("batch", [(), (2,)])
def test_inv_det_solve(batch):
    a = well_conditioned(3, 1, batch)
    check(lambda t, x: t.linalg.inv(x), a)
    check(lambda t, x: t.inverse(x), a)
    check(lambda t, x: t.linalg.det(x), a)
    check(lambda t, x: x.det(), a)
    check(lambda t, x, b: t.linalg.solve(x, b), a, rand(*batch, 3, 2, seed=2))
    check(lambda t, x, b: t.linalg.solve(x, b), a, rand(*batch, 3, seed=2))
    check(lambda t, x: t.linalg.slogdet(x), a)
    check(lambda t, x: t.logdet(x), spd(3, 4, batch))


def test_eigh_cholesky_qr():
    s = spd(4, 3)
    check(lambda t, x: t.linalg.eigh(x).eigenvalues, s)
    check(lambda t, x: t.linalg.eigvalsh(x), s)
    # eigenvectors are defined up to sign: compare a sign-free function of them (values and gradient)
    check(lambda t, x: t.linalg.eigh(x)[1] ** 2, s, atol=1e-4)
    check(lambda t, x: t.linalg.cholesky(x), s)
    check(lambda t, x: t.linalg.cholesky(x, upper=True), s)
    check(lambda t, x: t.cholesky(x), s)
    check(lambda t, x: t.linalg.qr(x), rand(5, 3, seed=5), atol=1e-4)
    check(lambda t, x: t.linalg.qr(x).R.abs(), rand(4, 4, seed=6), atol=1e-4)


def test_svd_values_and_singular_value_gradients():
    a = rand(4, 3, seed=7)
    check(lambda t, x: t.linalg.svdvals(x), a)
    check(lambda t, x: t.linalg.svd(x, full_matrices=False).S, a)
    check(lambda t, x: t.svd(x)[1], a)
    for full in (True, False):
        ku, ks, kvh = K.linalg.svd(K.tensor(a), full_matrices=full)
        tu, ts, tvh = T.linalg.svd(T.tensor(a), full_matrices=full)
        assert_close(ks, ts)
        assert_close(ku.abs(), tu.abs(), atol=1e-4)
        assert_close(kvh.abs(), tvh.abs(), atol=1e-4)
        assert_close(ku[:, :3] * ks @ kvh, K.tensor(a), atol=1e-4)
    ku, ks, kv = K.svd(K.tensor(a))
    tu, ts, tv = T.svd(T.tensor(a))
    assert_close(kv.abs(), tv.abs(), atol=1e-4)
    assert tuple(ku.shape) == tuple(tu.shape)
    for k, t in zip(K.svd(K.tensor(a), compute_uv=False), T.svd(T.tensor(a), compute_uv=False)):
        assert_close(k, t)


def test_svd_vectors_refuse_a_gradient_instead_of_a_wrong_one():
    x = K.tensor(rand(3, 3, seed=1), requires_grad=True)
    u, s, vh = K.linalg.svd(x)
    with pytest.raises(RuntimeError, match="does not differentiate the singular vectors"):
        u.sum().backward()


@pytest.mark.parametrize("ord", [None, 2, 1, math.inf, -math.inf, 3, 0.5])
def test_vector_norm(ord):
    a = rand(3, 4, seed=2)
    if ord is None:
        check(lambda t, x: t.linalg.norm(x), a)
        check(lambda t, x: t.linalg.norm(x, dim=1, keepdim=True), a)
        return
    check(lambda t, x: t.linalg.vector_norm(x, ord), a)
    check(lambda t, x: t.linalg.vector_norm(x, ord, dim=0), a)
    check(lambda t, x: t.linalg.vector_norm(x, ord, dim=(0, 1), keepdim=True), a)
    check(lambda t, x: t.linalg.norm(x[0], ord), a)


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf])
def test_matrix_norm(ord):
    a = rand(2, 3, 4, seed=3)
    check(lambda t, x: t.linalg.matrix_norm(x, ord), a)
    check(lambda t, x: t.linalg.matrix_norm(x, ord, dim=(0, 2), keepdim=True), a)
    check(lambda t, x: t.linalg.norm(x[0], ord), a)


def test_matrix_exp():
    check(lambda t, x: t.linalg.matrix_exp(x), rand(3, 3, seed=4))
    check(lambda t, x: t.matrix_exp(x * 3), rand(2, 3, 3, seed=5), rtol=2e-4)
    check(lambda t, x: x.matrix_exp(), np.zeros((2, 2), np.float32))


@pytest.mark.parametrize("case", [
    lambda t: t.linalg.inv(t.ones(2, 3)),
    lambda t: t.linalg.inv(t.zeros(2, 2)),
    lambda t: t.linalg.inv(t.ones(2, 2, dtype=t.long)),
    lambda t: t.linalg.cholesky(-t.eye(2)),
    lambda t: t.linalg.solve(t.eye(2), t.ones(3)),
    lambda t: t.linalg.det(t.ones(2, 3)),
    lambda t: t.linalg.det(t.ones(3)),
    lambda t: t.linalg.eigh(t.ones(2, 3)),
    lambda t: t.linalg.matrix_exp(t.ones(2, 3)),
    lambda t: t.linalg.vector_norm(t.tensor([1, 2])),
    lambda t: t.linalg.norm(t.ones(2, 2, 2), 2),
])
def test_errors(case):
    same_error(lambda: case(K), lambda: case(T))


def test_linalg_error_is_a_runtime_error():
    assert issubclass(K.linalg.LinAlgError, RuntimeError)
    with pytest.raises(K.linalg.LinAlgError):
        K.linalg.cholesky(-K.eye(3))
