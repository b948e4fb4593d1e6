"""A first end-to-end check of the kernel core: an MLP step matches PyTorch."""

import numpy as np

from tests.kernel.parity import K, T, assert_close, pair


def test_mlp_forward_backward_matches_torch():
    kx, tx = pair(8, 5, seed=1)
    kw, tw = pair(5, 4, seed=2, requires_grad=True)
    kb, tb = pair(4, seed=3, requires_grad=True)
    kl = ((kx @ kw + kb).relu() ** 2).mean()
    tl = ((tx @ tw + tb).relu() ** 2).mean()
    assert_close(kl, tl)
    kl.backward()
    tl.backward()
    assert_close(kw.grad, tw.grad)
    assert_close(kb.grad, tb.grad)


def test_int_division_promotes_to_float32():
    assert K.tensor([1, 2]).div(K.tensor([2, 2])).dtype == K.float32
    assert str((K.tensor([1, 2]) / 2).dtype) == str((T.tensor([1, 2]) / 2).dtype)
    np.testing.assert_array_equal((K.tensor([3]) // 2).numpy(), [1])
