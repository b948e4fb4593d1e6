"""The compute seam's second library (kernel/compute.py `use_wide_gemm`): short, wide products go to it by
shape alone, with their transpose flags as given, tall and batched ones to the host's main library; the
counters say which ran; a wide library that answers with the host's name is switched off for good."""

from __future__ import annotations

import numpy as np
import pytest
import torch as T

from tests.kernel.test_compute import RawHost
from torchpad.kernel import compute

RTOL, ATOL = 1e-4, 1e-5


class WideHost(RawHost):
    """The wide library: a raw-memory product that names itself (or the main library, when it 'failed')."""

    def __init__(self, name="wide"):
        super().__init__()
        self.name = name

    def __call__(self, *args):
        super().__call__(*args)
        return self.name


@pytest.fixture
def hosts():
    main, wide = RawHost(), WideHost()
    compute.use_host_gemm(main, "main")
    compute.use_wide_gemm(wide)
    compute.counts(reset=True)
    yield main, wide
    compute.use_host_gemm(None)


def _rand(*shape, seed=0):
    """Entries scaled so a product over ~512 terms stays near 1 (float32 tolerances are absolute there too)."""
    return (np.random.default_rng(seed).standard_normal(shape) * 0.05).astype(np.float32)


def _op(x, t):
    x = T.from_numpy(x)
    return x.transpose(-1, -2) if t else x


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_short_wide_products_go_to_the_wide_library_with_their_flags(hosts, ta, tb):
    main, wide = hosts
    a = _rand(*((512, 64) if ta else (64, 512)), seed=1)
    b = _rand(*((1024, 512) if tb else (512, 1024)), seed=2)
    got = compute.gemm(a, b, ta, tb)
    np.testing.assert_allclose(got, (_op(a, ta) @ _op(b, tb)).numpy(), rtol=RTOL, atol=ATOL)
    assert wide.calls == [(1, 1, 64, 512, 1024, ta, tb)] and main.calls == []
    assert compute.counts() == {"wide": 1}


def test_deep_products_go_to_the_wide_library(hosts):
    main, wide = hosts
    a, b = _rand(6400, 1024, seed=11), _rand(6400, 256, seed=12)  # the LSTM's weight gradient over all steps
    got = compute.gemm(a, b, trans_a=True)
    np.testing.assert_allclose(got, (T.from_numpy(a).T @ T.from_numpy(b)).numpy(), rtol=RTOL, atol=ATOL)
    assert wide.calls == [(1, 1, 1024, 6400, 256, True, False)] and main.calls == []


@pytest.mark.parametrize("sa,sb", [((16384, 288), (288, 64)), ((512, 64), (64, 1024)), ((64, 100), (100, 1024)),
                                   ((4, 64, 512), (512, 1024))])
def test_tall_narrow_and_batched_products_stay_on_the_main_library(hosts, sa, sb):
    main, wide = hosts
    a, b = _rand(*sa, seed=3), _rand(*sb, seed=4)
    np.testing.assert_allclose(compute.gemm(a, b), (T.from_numpy(a) @ T.from_numpy(b)).numpy(), rtol=RTOL, atol=ATOL)
    assert wide.calls == [] and len(main.calls) == 1
    assert compute.counts(reset=True) == {"main": 1} and compute.counts() == {}


def test_a_wide_library_that_falls_back_is_switched_off(hosts):
    main, wide = hosts
    wide.name = "main"  # the worker's answer when onnxruntime-web could not load: tfjs ran the product
    a, b = _rand(64, 512, seed=5), _rand(512, 1024, seed=6)
    for _ in range(2):
        np.testing.assert_allclose(compute.gemm(a, b), (T.from_numpy(a) @ T.from_numpy(b)).numpy(), rtol=RTOL, atol=ATOL)
    assert len(wide.calls) == 1 and len(main.calls) == 1
    assert compute.counts() == {"main": 2}


def test_the_lstm_runs_on_both_libraries_and_matches_torch(hosts):
    import torchpad.kernel as K

    main, wide = hosts
    rng = np.random.default_rng(7)
    ref = T.nn.LSTM(256, 256, 1)
    ours = K.nn.LSTM(256, 256, 1)
    with T.no_grad():
        for (name, p), q in zip(ref.named_parameters(), ours.parameters()):
            value = (rng.standard_normal(tuple(p.shape)) * 0.1).astype(np.float32)
            p.copy_(T.from_numpy(value))
            q.data = K.tensor(value)
    x = (rng.standard_normal((5, 64, 256))).astype(np.float32)
    want, _ = ref(T.from_numpy(x))
    got, _ = ours(K.tensor(x))
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=RTOL, atol=ATOL)
    used = compute.counts()
    assert used.get("wide", 0) > 0 and used.get("main", 0) > 0, used


def test_constant_arrays_are_told_to_both_libraries_and_a_held_first_operand_stays_on_the_main_one():
    main, wide = RawHost(), WideHost()
    told = []
    compute.use_host_gemm(main, "main", lambda p, n: told.append(("main hold", n)), lambda p: told.append(("main release",)))
    compute.use_wide_gemm(wide, lambda p, n: told.append(("wide hold", n)), lambda p: told.append(("wide release",)))
    try:
        w, x, b = _rand(1024, 256, seed=8), _rand(64, 256, seed=9), _rand(256, 512, seed=10)
        with compute.constant(w):
            y = compute.gemm(x, w, trans_b=True)  # held second operand: the wide library packs it once
            z = compute.gemm(w[:128], b)  # a short, wide product whose first operand is held: the main library
        assert told == [("main hold", w.size), ("wide hold", w.size), ("main release",), ("wide release",)]
        np.testing.assert_allclose(y, (T.from_numpy(x) @ T.from_numpy(w).T).numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(z, (T.from_numpy(w[:128]) @ T.from_numpy(b)).numpy(), rtol=RTOL, atol=ATOL)
        assert [c[2:5] for c in wide.calls] == [(64, 256, 1024)] and len(main.calls) == 1  # (in whichever orientation it prefers)
    finally:
        compute.use_host_gemm(None)
