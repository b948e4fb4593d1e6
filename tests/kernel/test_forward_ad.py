"""torch.autograd.forward_ad (dual tensors) against real PyTorch for elementwise and linear ops."""

import pytest
import torch as T
import torch.autograd.forward_ad as TFW

import torchpad.kernel.autograd_forward_ad as KFW
from tests.kernel.opcheck import rand
from tests.kernel.parity import K, assert_close, same_error

CASES = {
    "elementwise": lambda lib, x, w: (x.sin() * x.exp() + x ** 2 / (1 + x.abs())).tanh(),
    "linear": lambda lib, x, w: lib.nn.functional.linear(x, w, None) * 2 - 1,
    "matmul_softmax": lambda lib, x, w: (x @ w).softmax(-1),
    "reduction": lambda lib, x, w: (x.relu().sum() + x.mean()) * 3,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_jvp_of_dual_tensors(name):
    x, w, t = rand(2, 3, seed=1), rand(3, 3, seed=2), rand(2, 3, seed=3)
    out = []
    for lib, fw in ((K, KFW), (T, TFW)):
        with fw.dual_level():
            dual = fw.make_dual(lib.tensor(x), lib.tensor(t))
            y = CASES[name](lib, dual, lib.tensor(w))
            primal, tangent = fw.unpack_dual(y)
            out.append((primal, tangent, fw.unpack_dual(dual).tangent, fw.unpack_dual(lib.tensor(w)).tangent))
    (kp, kt, kd, kw), (tp, tt, td, tw) = out
    assert_close(kp, tp)
    assert_close(kt, tt)
    assert_close(kd, td)
    assert kw is None and tw is None


def test_two_duals_and_importable():
    from torchpad.kernel import alias
    import importlib

    with alias.aliased():
        assert importlib.import_module("torch.autograd.forward_ad") is KFW
    a, b, ta, tb = rand(4, seed=4), rand(4, seed=5), rand(4, seed=6), rand(4, seed=7)
    res = []
    for lib, fw in ((K, KFW), (T, TFW)):
        with fw.dual_level():
            x, y = fw.make_dual(lib.tensor(a), lib.tensor(ta)), fw.make_dual(lib.tensor(b), lib.tensor(tb))
            res.append(fw.unpack_dual(x * y + x.cos()).tangent)
    assert_close(*res)


@pytest.mark.parametrize("case", [
    lambda lib, fw: fw.make_dual(lib.ones(2), lib.ones(2)),
    lambda lib, fw: _in_level(fw, lambda: fw.make_dual(lib.ones(2), lib.ones(3))),
])
def test_errors(case):
    same_error(lambda: case(K, KFW), lambda: case(T, TFW))


def _in_level(fw, fn):
    with fw.dual_level():
        return fn()
