"""Wrappers that must not stop a program, against real PyTorch: DataParallel / DDP (`.module`,
`module.` keys), torch.compile (`_orig_mod.` keys, decorator forms), torch.jit.script/trace,
autocast and GradScaler (disabled for CUDA as on a CPU-only PyTorch, a working CPU scaler),
and the clear errors where a GPU or more processes are needed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch as T

import torchpad.kernel as K
import torchpad.kernel.nn as knn
from torchpad.kernel import distributed as kdist

from .parity import assert_close


def twins():
    T.manual_seed(0)
    tm = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.Tanh(), T.nn.Linear(4, 2))
    km = knn.Sequential(knn.Linear(3, 4), knn.Tanh(), knn.Linear(4, 2))
    km.load_state_dict({n: K.tensor(v.numpy().copy()) for n, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    return km, tm, K.tensor(x), T.tensor(x)


def test_data_parallel_is_transparent():
    km, tm, kx, tx = twins()
    kd, td = knn.DataParallel(km), T.nn.DataParallel(tm)
    assert kd.module is km and list(kd.state_dict()) == list(td.state_dict())
    assert repr(kd) == repr(td)
    assert_close(kd(kx), td(tx))
    kd(kx).sum().backward()
    td(tx).sum().backward()
    assert_close(km[0].weight.grad, tm[0].weight.grad)
    assert knn.parallel.DataParallel is knn.DataParallel


def test_distributed_data_parallel_needs_a_process_group_of_one():
    km, tm, kx, tx = twins()
    with pytest.raises(ValueError) as kerr:
        knn.parallel.DistributedDataParallel(km)
    with pytest.raises(ValueError) as terr:
        T.nn.parallel.DistributedDataParallel(tm)
    assert str(kerr.value).startswith(str(terr.value)) and "GPU server" in str(kerr.value)
    with pytest.raises(RuntimeError, match="GPU server"):
        kdist.init_process_group("gloo", world_size=2, rank=0)
    kdist.init_process_group("gloo", world_size=1, rank=0)
    try:
        ddp = knn.parallel.DistributedDataParallel(km)
        assert ddp.module is km and list(ddp.state_dict()) == ["module." + n for n in tm.state_dict()]
        assert_close(ddp(kx), tm(tx))
        assert kdist.get_world_size() == 1 and kdist.get_rank() == 0
        t = K.ones(3)
        kdist.all_reduce(t)
        assert t.tolist() == [1.0, 1.0, 1.0] and kdist.all_reduce(t, async_op=True).wait()
    finally:
        kdist.destroy_process_group()
    assert not kdist.is_initialized()


def test_compile_returns_a_callable_with_pytorchs_keys():
    km, tm, kx, tx = twins()
    kc = K.compile(km)
    tc = T.compile(tm)
    assert list(kc.state_dict()) == list(tc.state_dict())  # "_orig_mod." prefix
    assert kc._orig_mod is km
    assert_close(kc(kx), tm(tx))

    @K.compile(mode="reduce-overhead")
    def double(x):
        return x * 2

    assert double(K.ones(2)).tolist() == [2.0, 2.0] and double.__name__ == "double"
    assert K.compile(lambda x: x + 1)(K.zeros(1)).tolist() == [1.0]
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
        K.compile(km, mode="fast")


def test_jit_script_and_trace_behave_as_eager():
    km, tm, kx, tx = twins()
    scripted = K.jit.script(km)
    traced = K.jit.trace(km, kx)
    assert list(scripted.state_dict()) == list(T.jit.script(tm).state_dict())
    assert_close(scripted(kx), tm(tx))
    assert_close(traced(kx), tm(tx))
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        K.jit.trace(km, K.ones(2, 5))  # tracing runs the example, so shape errors show there
    assert K.jit.is_scripting() is False


def test_cuda_autocast_and_grad_scaler_are_disabled_as_on_cpu_pytorch():
    km, tm, kx, tx = twins()
    with warnings.catch_warnings(record=True) as kw:
        warnings.simplefilter("always")
        ks = K.amp.GradScaler()
        kcs = K.cuda.amp.GradScaler()
        with K.autocast("cuda"):
            kout = km(kx)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        ts = T.amp.GradScaler()
        with T.autocast("cuda"):
            tout = tm(tx)
    assert [str(w.message) for w in kw][-1] == [str(w.message) for w in tw][-1]
    assert str(kw[0].message) == str(tw[0].message)
    assert kout.dtype == K.float32 and tout.dtype == T.float32
    for s in (ks, kcs):
        assert (s.is_enabled(), s.get_scale(), s.state_dict()) == (ts.is_enabled(), ts.get_scale(), ts.state_dict())
        assert s.scale(kout) is kout


def test_cpu_autocast_refuses_instead_of_computing_in_float32():
    with pytest.raises(RuntimeError, match="float32 only"):
        K.autocast("cpu")
    with K.autocast("cpu", enabled=False):
        pass


def test_cpu_grad_scaler_matches_pytorch():
    km, tm, kx, tx = twins()
    kopt, topt = K.optim.SGD(km.parameters(), lr=0.1), T.optim.SGD(tm.parameters(), lr=0.1)
    ks = K.amp.GradScaler("cpu", init_scale=256.0, growth_interval=2)
    ts = T.amp.GradScaler("cpu", init_scale=256.0, growth_interval=2)
    for step in range(5):
        for s, m, opt, x in ((ks, km, kopt, kx), (ts, tm, topt, tx)):
            opt.zero_grad()
            loss = (m(x) ** 2).mean()
            if step == 2:
                loss = loss * float("inf")  # an overflowing step: skipped, scale backs off
            s.scale(loss).backward()
            s.step(opt)
            s.update()
        assert ks.get_scale() == ts.get_scale(), step
        for (n, kp), (_, tp) in zip(km.named_parameters(), tm.named_parameters()):
            assert_close(kp, tp)
    assert ks.state_dict() == ts.state_dict()
