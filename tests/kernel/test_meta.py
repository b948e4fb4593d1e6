"""device='meta': shape-only tensors through factories, ops and layers, against real PyTorch
(shapes, dtypes, devices, repr, errors), and proof that no data is allocated or computed."""

from __future__ import annotations

import numpy as np
import pytest
import torch as T

import torchpad.kernel as K
from torchpad.kernel import meta

from .parity import same_error


def owned_bytes(t) -> int:
    """Bytes of memory behind a tensor's array (the buffer at the root of its views)."""
    a = t.array
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a.nbytes


def both(fn):
    """fn(lib) for the kernel and for PyTorch."""
    return fn(K), fn(T)


def same_meta(k, t):
    """Both meta, with the same shape, dtype, repr and grad_fn name."""
    assert k.device == K.device("meta") and t.device == T.device("meta")
    assert k.is_meta and t.is_meta
    assert tuple(k.shape) == tuple(t.shape) and str(k.dtype) == str(t.dtype)
    assert repr(k) == repr(t)
    assert type(k.array) is meta.MetaArray


@pytest.mark.parametrize("make", [
    lambda L: L.rand(2, 3, device="meta"),
    lambda L: L.randn((4,), device="meta", requires_grad=True),
    lambda L: L.zeros(2, 3, dtype=L.int64, device="meta"),
    lambda L: L.ones((), device=L.device("meta")),
    lambda L: L.empty(0, 3, device="meta"),
    lambda L: L.full((2, 2), 7, device="meta"),
    lambda L: L.randint(0, 5, (3,), device="meta"),
    lambda L: L.tensor([1.0, 2.0], device="meta"),
    lambda L: L.arange(5, device="meta"),
    lambda L: L.eye(3, dtype=L.float64, device="meta"),
    lambda L: L.zeros_like(L.rand(2, device="meta")),
    lambda L: L.rand(3, device="meta").new_ones(2, dtype=L.bool),
    lambda L: L.ones(2, 3).to("meta"),
    lambda L: L.ones(2, 3).to(device="meta", dtype=L.float64),
    lambda L: L.ones(2, 3, requires_grad=True).to("meta"),
], ids=range(15))
def test_factories_and_to_make_meta_tensors(make):
    same_meta(*both(make))


def test_huge_shapes_cost_nothing():
    big = K.rand(2**10, 3, 2**16, 2**16, device="meta")  # 52 TB as float32 data
    assert big.shape == (2**10, 3, 2**16, 2**16) and owned_bytes(big) <= 8
    conv = K.nn.Conv2d(3, 5, 2, device="meta")
    out = conv(big)
    assert out.shape == (2**10, 5, 2**16 - 1, 2**16 - 1) and out.is_meta
    y = K.relu(out) * 2 + out  # elementwise: shape only
    assert y.shape == out.shape and owned_bytes(y) <= 8
    w = K.rand(2**20, 2**20, device="meta")
    assert (w @ w).shape == (2**20, 2**20) and w.sum(0).shape == (2**20,) and w.double().dtype == K.float64


@pytest.mark.parametrize("op", [
    lambda L, x, y: x + y * 2,
    lambda L, x, y: x @ y.T,
    lambda L, x, y: L.cat([x, y], 1),
    lambda L, x, y: x.sum(1, keepdim=True),
    lambda L, x, y: x.max(0).indices,
    lambda L, x, y: x.argmax(),
    lambda L, x, y: x == y,
    lambda L, x, y: x[0],
    lambda L, x, y: x.view(-1, 2).transpose(0, 1),
    lambda L, x, y: L.nn.functional.softmax(x, 1),
    lambda L, x, y: x.to(L.int32),
    lambda L, x, y: L.nn.functional.cross_entropy(x, L.zeros(2, dtype=L.long, device="meta")),
    lambda L, x, y: L.nn.functional.max_pool2d(x.reshape(1, 1, 2, 3), 2, ceil_mode=True),
    lambda L, x, y: L.nn.functional.conv1d(x.reshape(1, 2, 3), L.rand(4, 2, 2, device="meta"), padding=1),
], ids=range(14))
def test_ops_on_meta_give_meta_results_like_pytorch(op):
    same_meta(*both(lambda L: op(L, L.rand(2, 3, device="meta"), L.rand(2, 3, device="meta"))))


def test_reading_values_raises_pytorchs_errors():
    for read in (lambda L: L.rand((), device="meta").item(),
                 lambda L: L.rand(2, device="meta").tolist(),
                 lambda L: L.rand(2, device="meta").numpy(),
                 lambda L: np.asarray(L.rand(2, device="meta")),
                 lambda L: bool(L.rand((), device="meta")),
                 lambda L: bool(L.rand(2, device="meta")),
                 lambda L: float(L.rand(1, device="meta")),
                 lambda L: int(L.rand(1, device="meta")),
                 lambda L: f"{L.rand((), device='meta'):.3f}",
                 lambda L: L.rand(2, device="meta").cpu(),
                 lambda L: L.rand(2, device="meta").to("cpu"),
                 lambda L: L.ones(2).copy_(L.rand(2, device="meta")),
                 lambda L: L.rand(2, 3, device="meta") + L.ones(2, 3),
                 lambda L: L.ones(2, 3) + L.rand(2, 3, device="meta"),
                 lambda L: L.nn.Linear(3, 4, device="meta").to("cpu"),
                 lambda L: L.nn.Linear(3, 4, device="meta").cpu()):
        same_error(lambda: read(K), lambda: read(T))


def test_a_cpu_scalar_tensor_mixes_with_meta_and_meta_accepts_copies():
    same_meta(*both(lambda L: L.rand(2, 3, device="meta") + L.tensor(1.0)))
    same_meta(*both(lambda L: L.rand(2, 3, device="meta").copy_(L.ones(2, 3))))
    same_meta(*both(lambda L: L.rand(2, 3, device="meta").add_(1).uniform_()))


@pytest.mark.parametrize("make", [
    lambda L: L.nn.Linear(3, 4, device="meta"),
    lambda L: L.nn.Bilinear(2, 3, 4, device="meta"),
    lambda L: L.nn.Conv2d(3, 5, 2, device="meta"),
    lambda L: L.nn.ConvTranspose2d(3, 5, 2, device="meta"),
    lambda L: L.nn.BatchNorm2d(3, device="meta"),
    lambda L: L.nn.LayerNorm(4, device="meta"),
    lambda L: L.nn.GroupNorm(2, 4, device="meta"),
    lambda L: L.nn.Embedding(10, 3, padding_idx=0, device="meta"),
    lambda L: L.nn.LSTM(3, 4, num_layers=2, device="meta"),
    lambda L: L.nn.GRUCell(3, 4, device="meta"),
    lambda L: L.nn.PReLU(device="meta"),
    lambda L: L.nn.MultiheadAttention(8, 2, device="meta"),
    lambda L: L.nn.TransformerEncoderLayer(8, 2, 16, device="meta"),
    lambda L: L.nn.Linear(3, 4).to("meta"),
], ids=range(14))
def test_layers_honour_device_meta(make):
    km, tm = both(make)
    ks, ts = km.state_dict(), tm.state_dict()
    assert list(ks) == list(ts)
    for name in ts:
        same_meta(ks[name], ts[name])
    assert str(km) == str(tm)


def test_layers_raise_for_cuda_as_a_cpu_only_pytorch():
    same_error(lambda: K.nn.Linear(3, 4, device="cuda"), lambda: T.nn.Linear(3, 4, device="cuda"))


def test_the_shape_recipe_flow_forward_hooks_and_backward():
    """pytorch/tutorials' reasoning_about_shapes recipe: a meta network under `with torch.device('meta')`."""
    def run(L):
        shapes = []
        with L.device("meta"):
            net = L.nn.Sequential(L.nn.Conv2d(3, 6, 5), L.nn.ReLU(), L.nn.MaxPool2d(2, 2), L.nn.Conv2d(6, 16, 5),
                                  L.nn.MaxPool2d(2, 2), L.nn.Flatten(), L.nn.Linear(400, 120), L.nn.Linear(120, 10))
            inp = L.randn((1024, 3, 32, 32))
        assert L.get_default_device() == L.device("cpu")
        for layer in net:
            layer.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape)))
        out = net(inp)
        out.sum().backward()
        return shapes, out, net[0].weight.grad

    (ks, kout, kgrad), (ts, tout, tgrad) = both(run)
    assert ks == ts
    same_meta(kout, tout)
    same_meta(kgrad, tgrad)


def test_to_empty_gives_real_tensors_of_the_same_shapes():
    def run(L):
        with L.device("meta"):
            m = L.nn.Linear(3, 4)
        m.to_empty(device="cpu")
        with L.no_grad():
            m.weight.fill_(1.0)
            m.bias.zero_()
        return m.weight.device, m.weight.requires_grad, m(L.ones(2, 3)).tolist()

    k, t = both(run)
    assert str(k[0]) == str(t[0]) and k[1:] == t[1:]
