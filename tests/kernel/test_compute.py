"""The compute seam (kernel/compute.py): its NumPy path against real PyTorch, and the host path's
plumbing (addresses, transposes, broadcast batches, views) through a host that reads raw memory."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
import torch as T

from torchpad.kernel import compute

RTOL, ATOL = 1e-4, 1e-5


def _view(addr: int, shape: tuple) -> np.ndarray:
    """A float32 array over raw memory, as the browser's library sees Pyodide's heap."""
    buf = (ctypes.c_float * int(np.prod(shape))).from_address(addr)
    return np.frombuffer(buf, dtype=np.float32).reshape(shape)


class RawHost:
    """A host gemm that only gets addresses and sizes (like the worker's), computing in float64."""

    def __init__(self):
        self.calls = []

    def __call__(self, pa, pb, pc, ba, bb, m, k, n, ta, tb):
        self.calls.append((ba, bb, m, k, n, ta, tb))
        a = _view(pa, (ba, k, m) if ta else (ba, m, k)).astype(np.float64)
        b = _view(pb, (bb, n, k) if tb else (bb, k, n)).astype(np.float64)
        a = a.transpose(0, 2, 1) if ta else a
        b = b.transpose(0, 2, 1) if tb else b
        _view(pc, (max(ba, bb), m, n))[...] = a @ b


@pytest.fixture
def host():
    h = RawHost()
    compute.use_host_gemm(h, "raw")
    yield h
    compute.use_host_gemm(None)


def _rand(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _torch_op(a, ta):
    t = T.from_numpy(np.ascontiguousarray(a))
    return t.transpose(-1, -2) if ta else t


CASES = [
    ((64, 288), (288, 40), False, False),
    ((288, 64), (288, 40), True, False),
    ((64, 288), (40, 288), False, True),
    ((288, 64), (40, 288), True, True),
    ((3, 32, 50), (3, 50, 24), False, False),
    ((3, 50, 32), (50, 24), True, False),
    ((32, 50), (3, 24, 50), False, True),
    ((1, 32, 50), (4, 50, 24), False, False),
]


@pytest.mark.parametrize("use_host", [False, True], ids=["numpy", "host"])
@pytest.mark.parametrize("sa,sb,ta,tb", CASES)
def test_gemm_matches_torch(request, sa, sb, ta, tb, use_host):
    h = request.getfixturevalue("host") if use_host else None
    a, b = _rand(*sa, seed=1), _rand(*sb, seed=2)
    want = T.matmul(_torch_op(a, ta), _torch_op(b, tb)).numpy()
    got = compute.gemm(a, b, ta, tb)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    if h is not None:
        assert len(h.calls) == 1, "a float32 product this size must go to the host"


@pytest.mark.parametrize("m,n", [(40, 50), (50, 40)])
def test_transposed_views_and_orientation(host, m, n):
    """Transposed views keep their meaning; the host only ever gets untransposed operands (NumPy
    transposes faster than the browser's library), and a wide product is computed as the tall C^T."""
    a, b = _rand(m, 300, seed=3), _rand(n, 300, seed=4)
    got = compute.gemm(a.T, b.T, trans_a=True, trans_b=False)  # a.T is F-ordered: it is `a` with the flag flipped
    np.testing.assert_allclose(got, T.from_numpy(a) @ T.from_numpy(b).T, rtol=RTOL, atol=ATOL)
    assert got.flags.c_contiguous and got.shape == (m, n)
    assert host.calls == [(1, 1, max(m, n), 300, min(m, n), False, False)]


@pytest.mark.parametrize("sa,sb,ta,tb", CASES)
def test_a_host_that_transposes_gets_the_operands_as_they_are(sa, sb, ta, tb):
    """A host that reads transposed operands itself (the page's LiteRT.js: use_host_gemm(transposes=True)) gets
    op(A), op(B) as asked, with no transposed copy and no flipped orientation; the results still match PyTorch."""
    h = RawHost()
    compute.use_host_gemm(h, "transposing", transposes=True)
    try:
        a, b = _rand(*sa, seed=1), _rand(*sb, seed=2)
        np.testing.assert_allclose(compute.gemm(a, b, ta, tb), T.matmul(_torch_op(a, ta), _torch_op(b, tb)).numpy(), rtol=RTOL, atol=ATOL)
        (ba, bb, m, k, n, got_ta, got_tb), = h.calls
        assert (got_ta, got_tb) == (ta, tb)
        assert (m, n) == ((sa[-1] if ta else sa[-2]), (sb[-2] if tb else sb[-1]))
        # a transposed view is the stored array with its flag flipped, still no copy
        np.testing.assert_allclose(compute.gemm(a.swapaxes(-1, -2), b, not ta, tb), T.matmul(_torch_op(a, ta), _torch_op(b, tb)).numpy(),
                                   rtol=RTOL, atol=ATOL)
        assert h.calls[-1][5:] == (ta, tb)
    finally:
        compute.use_host_gemm(None)
    compute.use_host_gemm(RawHost(), "plain")  # a later host without the flag gets NumPy's transposes again
    try:
        assert not compute._host_transposes
    finally:
        compute.use_host_gemm(None)


class RefusingHost(RawHost):
    """A transposing host that cannot run products with an odd inner size (answers False, writes nothing)."""

    def __call__(self, pa, pb, pc, ba, bb, m, k, n, ta, tb):
        if k % 2:
            self.calls.append("refused")
            return False
        super().__call__(pa, pb, pc, ba, bb, m, k, n, ta, tb)
        return True


def test_a_product_the_host_could_not_run_runs_on_numpy():
    h = RefusingHost()
    compute.use_host_gemm(h, "refusing", transposes=True)
    compute.counts(reset=True)
    try:
        for k, ta in [(301, True), (300, False), (301, False)]:
            a, b = _rand(*((k, 64) if ta else (64, k)), seed=k), _rand(k, 48, seed=k + 1)
            out = np.full((64, 48), np.nan, np.float32)
            assert compute.gemm(a, b, ta, False, out=out) is out
            np.testing.assert_allclose(out, T.matmul(_torch_op(a, ta), T.from_numpy(b)).numpy(), rtol=RTOL, atol=ATOL)
        assert h.calls.count("refused") == 2
        assert compute.counts() == {"numpy": 2, "refusing": 1}
    finally:
        compute.use_host_gemm(None)


def test_strided_operands_and_out(host):
    a = _rand(64, 600, seed=5)[:, ::2]  # neither C- nor F-contiguous: copied once
    b = _rand(300, 70, seed=6)
    out = np.empty((64, 70), np.float32)
    res = compute.gemm(a, b, out=out)
    assert res is out
    np.testing.assert_allclose(out, T.from_numpy(np.ascontiguousarray(a)) @ T.from_numpy(b), rtol=RTOL, atol=ATOL)


def test_small_float64_and_empty_products_stay_on_numpy(host):
    np.testing.assert_allclose(compute.gemm(_rand(4, 5), _rand(5, 3)), _rand(4, 5) @ _rand(5, 3), rtol=RTOL)
    a64, b64 = _rand(100, 100, dtype=np.float64), _rand(100, 100, seed=1, dtype=np.float64)
    assert compute.gemm(a64, b64).dtype == np.float64
    assert compute.gemm(np.zeros((300, 0), np.float32), np.zeros((0, 300), np.float32)).tolist() == np.zeros((300, 300)).tolist()
    assert host.calls == []


@pytest.mark.parametrize("sa,sb", [((2, 3, 64, 40), (40, 64)), ((2, 1, 64, 40), (3, 40, 64)), ((64, 40), (40, 64)), ((5, 64, 40), (40, 64))])
def test_matmul_broadcasts_like_torch(host, sa, sb):
    a, b = _rand(*sa, seed=7), _rand(*sb, seed=8)
    np.testing.assert_allclose(compute.matmul(a, b), T.matmul(T.from_numpy(a), T.from_numpy(b)).numpy(), rtol=RTOL, atol=ATOL)
    assert host.calls


def test_active_names_the_path():
    assert compute.active() == "numpy"
    compute.use_host_gemm(RawHost(), "tfjs-wasm")
    try:
        assert compute.active() == "tfjs-wasm"
    finally:
        compute.use_host_gemm(None)
    assert compute.active() == "numpy"


def test_kernel_ops_use_the_seam(host):
    """Linear, matmul, conv2d and LSTM forward/backward all reach the host, and still match PyTorch."""
    import torchpad.kernel as K

    x, w = _rand(64, 120, seed=9), _rand(80, 120, seed=10)
    kx, kw = K.tensor(x, requires_grad=True), K.tensor(w, requires_grad=True)
    tx, tw = T.tensor(x, requires_grad=True), T.tensor(w, requires_grad=True)
    K.nn.functional.linear(kx, kw).square().sum().backward()
    T.nn.functional.linear(tx, tw).square().sum().backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=RTOL, atol=1e-3)
    np.testing.assert_allclose(kw.grad.numpy(), tw.grad.numpy(), rtol=RTOL, atol=1e-3)
    n_linear = len(host.calls)
    assert n_linear >= 3

    xi, wi = _rand(4, 3, 16, 16, seed=11), _rand(8, 3, 3, 3, seed=12)
    kx, kw = K.tensor(xi, requires_grad=True), K.tensor(wi, requires_grad=True)
    tx, tw = T.tensor(xi, requires_grad=True), T.tensor(wi, requires_grad=True)
    K.nn.functional.conv2d(kx, kw, padding=1).square().sum().backward()
    T.nn.functional.conv2d(tx, tw, padding=1).square().sum().backward()
    np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=RTOL, atol=1e-3)
    np.testing.assert_allclose(kw.grad.numpy(), tw.grad.numpy(), rtol=RTOL, atol=1e-3)
    assert len(host.calls) >= n_linear + 3


def test_linear_with_the_bias_in_the_product_through_the_host(host):
    """A linear layer wider out than in carries its bias in the product (a ones column): through the host,
    output and the input, weight and bias gradients match PyTorch, and the products reach the host."""
    import torchpad.kernel as K

    x, w, b = _rand(2, 40, 30, seed=13), _rand(90, 30, seed=14), _rand(90, seed=15)
    ks = [K.tensor(a, requires_grad=True) for a in (x, w, b)]
    ts = [T.tensor(a, requires_grad=True) for a in (x, w, b)]
    ky, ty = K.nn.functional.linear(*ks), T.nn.functional.linear(*ts)
    np.testing.assert_allclose(ky.detach().numpy(), ty.detach().numpy(), rtol=RTOL, atol=1e-4)
    ky.square().sum().backward()
    ty.square().sum().backward()
    for k, t in zip(ks, ts):
        np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), rtol=RTOL, atol=1e-3)
    assert len(host.calls) >= 3


class HoldingHost(RawHost):
    """A host that, like the browser's, keeps its own copy of held operands and uses it instead of memory."""

    def __init__(self):
        super().__init__()
        self.held, self.holds = {}, 0

    def hold(self, p, count):
        self.held[p] = _view(p, (count,)).copy()
        self.holds += 1

    def release(self, p):
        del self.held[p]

    def __call__(self, pa, pb, pc, ba, bb, m, k, n, ta, tb):
        if pa in self.held or pb in self.held:
            a = self.held.get(pa, _view(pa, (ba * m * k,))).reshape((ba, k, m) if ta else (ba, m, k)).astype(np.float64)
            b = self.held.get(pb, _view(pb, (bb * k * n,))).reshape((bb, n, k) if tb else (bb, k, n)).astype(np.float64)
            self.calls.append((ba, bb, m, k, n, ta, tb))
            _view(pc, (max(ba, bb), m, n))[...] = (a.transpose(0, 2, 1) if ta else a) @ (b.transpose(0, 2, 1) if tb else b)
        else:
            super().__call__(pa, pb, pc, ba, bb, m, k, n, ta, tb)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_recurrent_weights_held_across_steps_match_torch(mode):
    """The recurrent loops hold their weights for the host; results still match PyTorch, and nothing stays held."""
    import torchpad.kernel as K

    host = HoldingHost()
    compute.use_host_gemm(host, "holding", host.hold, host.release)
    try:
        torch_cls, kernel_cls = getattr(T.nn, mode), getattr(K.nn, mode)
        T.manual_seed(0)
        tm = torch_cls(12, 64, 2, batch_first=True)
        km = kernel_cls(12, 64, 2, batch_first=True)
        km.load_state_dict({k: K.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
        x = _rand(16, 7, 12, seed=13)
        kx, tx = K.tensor(x, requires_grad=True), T.tensor(x, requires_grad=True)
        ko, kh = km(kx)
        to, th = tm(tx)
        (ko.square().sum() + (kh[0] if mode == "LSTM" else kh).sum()).backward()
        (to.square().sum() + (th[0] if mode == "LSTM" else th).sum()).backward()
        np.testing.assert_allclose(ko.detach().numpy(), to.detach().numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(kx.grad.numpy(), tx.grad.numpy(), rtol=RTOL, atol=1e-4)
        for (name, kp), tp in zip(km.named_parameters(), tm.parameters()):
            np.testing.assert_allclose(kp.grad.numpy(), tp.grad.numpy(), rtol=RTOL, atol=1e-4, err_msg=name)
        assert host.holds == 4 and host.held == {}  # 2 layers x (forward, backward)
    finally:
        compute.use_host_gemm(None)


@pytest.mark.parametrize("shape", [(6400, 300), (300, 6400), (130, 1500), (3, 700, 300), (2, 129, 1025), (5, 7)])
def test_transposed_copies_tile_by_tile_exactly(shape):
    """compute.transposed (tall matrices tile by tile, for Pyodide's NumPy) equals NumPy's own transpose, C-contiguous."""
    x = _rand(*shape, seed=21)
    t = compute.transposed(x)
    assert t.flags.c_contiguous and t.dtype == x.dtype
    np.testing.assert_array_equal(t, np.swapaxes(x, -1, -2))
