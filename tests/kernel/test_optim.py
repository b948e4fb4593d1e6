"""Optimizers and lr schedulers against real PyTorch: several steps on the same model,
parameter values after every step, state_dict layout, and the constructor errors."""

import numpy as np
import pytest
import torch as T

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.optim as koptim

from .parity import assert_close, same_error

OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.05)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.02, initial_accumulator_value=0.1)),
]


def _models():
    mt = T.nn.Sequential(T.nn.Linear(5, 7), T.nn.Tanh(), T.nn.Linear(7, 3))
    mk = knn.Sequential(knn.Linear(5, 7), knn.Tanh(), knn.Linear(7, 3))
    mk.load_state_dict({k: K.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()})
    return mk, mt


def _train(mk, mt, ok, ot, steps, schedulers=()):
    rng = np.random.default_rng(0)
    for _ in range(steps):
        x = rng.standard_normal((8, 5)).astype(np.float32)
        y = rng.integers(0, 3, 8)
        for m, o, lib in ((mk, ok, K), (mt, ot, T)):
            o.zero_grad()
            loss = (knn if lib is K else T.nn).functional.cross_entropy(m(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            o.step()
        for sk, st in schedulers:
            sk.step()
            st.step()
            assert sk.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)
        for pk, pt in zip(mk.parameters(), mt.parameters()):
            assert_close(pk, pt)


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_optimizer_steps_match_torch(name, kw):
    mk, mt = _models()
    ok, ot = getattr(koptim, name)(mk.parameters(), **kw), getattr(T.optim, name)(mt.parameters(), **kw)
    _train(mk, mt, ok, ot, steps=6)
    assert repr(ok) == repr(ot)
    sk, st = ok.state_dict(), ot.state_dict()
    assert sk["param_groups"] == st["param_groups"]
    assert sorted(sk["state"]) == sorted(st["state"])
    for i in st["state"]:
        assert list(sk["state"][i]) == list(st["state"][i])
        for key, value in st["state"][i].items():
            assert_close(sk["state"][i][key], value)


def test_param_groups_and_add_param_group():
    mk, mt = _models()
    ok = koptim.SGD([{"params": mk[0].parameters()}, {"params": mk[2].parameters(), "lr": 0.5}], lr=0.1, momentum=0.9)
    ot = T.optim.SGD([{"params": mt[0].parameters()}, {"params": mt[2].parameters(), "lr": 0.5}], lr=0.1, momentum=0.9)
    _train(mk, mt, ok, ot, steps=3)
    assert ok.state_dict()["param_groups"] == ot.state_dict()["param_groups"]
    mk2, mt2 = _models()
    ok = koptim.Adam(mk2[0].parameters(), lr=0.01)
    ot = T.optim.Adam(mt2[0].parameters(), lr=0.01)
    ok.add_param_group({"params": mk2[2].parameters(), "lr": 0.03})
    ot.add_param_group({"params": mt2[2].parameters(), "lr": 0.03})
    _train(mk2, mt2, ok, ot, steps=3)
    assert ok.state_dict()["param_groups"] == ot.state_dict()["param_groups"]
    same_error(lambda: ok.add_param_group({"params": [mk2[0].weight]}), lambda: ot.add_param_group({"params": [mt2[0].weight]}))


def test_zero_grad_set_to_none_and_zeros():
    mk, _ = _models()
    o = koptim.SGD(mk.parameters(), lr=0.1)
    mk(K.randn(2, 5)).sum().backward()
    o.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in mk.parameters())
    o.zero_grad()
    assert all(p.grad is None for p in mk.parameters())


def test_step_skips_params_without_grad_and_closure():
    mk, mt = _models()
    ok, ot = koptim.Adam(mk.parameters(), lr=0.1), T.optim.Adam(mt.parameters(), lr=0.1)

    def closure_k():
        ok.zero_grad()
        loss = mk[0](K.ones(1, 5)).sum()  # only the first layer gets gradients
        loss.backward()
        return loss

    def closure_t():
        ot.zero_grad()
        loss = mt[0](T.ones(1, 5)).sum()
        loss.backward()
        return loss

    assert_close(ok.step(closure_k), ot.step(closure_t))
    for pk, pt in zip(mk.parameters(), mt.parameters()):
        assert_close(pk, pt)
    assert sorted(ok.state_dict()["state"]) == sorted(ot.state_dict()["state"]) == [0, 1]


def test_state_dict_round_trip_resumes_identically():
    mk, mt = _models()
    ok, ot = koptim.Adam(mk.parameters(), lr=0.01), T.optim.Adam(mt.parameters(), lr=0.01)
    _train(mk, mt, ok, ot, steps=2)
    saved = ok.state_dict()
    ok2 = koptim.Adam(mk.parameters(), lr=0.5)
    ok2.load_state_dict(saved)
    assert ok2.param_groups[0]["lr"] == 0.01
    _train(mk, mt, ok2, ot, steps=2)
    same_error(lambda: ok2.load_state_dict({"state": {}, "param_groups": []}),
               lambda: ot.load_state_dict({"state": {}, "param_groups": []}))


def test_constructor_errors_match_torch():
    pk, pt = knn.Parameter(K.zeros(2)), T.nn.Parameter(T.zeros(2))
    same_error(lambda: koptim.SGD([pk], lr=-1), lambda: T.optim.SGD([pt], lr=-1))
    same_error(lambda: koptim.SGD([], lr=1), lambda: T.optim.SGD([], lr=1))
    same_error(lambda: koptim.SGD(pk, lr=1), lambda: T.optim.SGD(pt, lr=1))
    same_error(lambda: koptim.SGD([pk], lr=1, nesterov=True), lambda: T.optim.SGD([pt], lr=1, nesterov=True))
    same_error(lambda: koptim.Adam([pk], betas=(1.0, 0.9)), lambda: T.optim.Adam([pt], betas=(1.0, 0.9)))
    same_error(lambda: koptim.Adam([pk], eps=-1), lambda: T.optim.Adam([pt], eps=-1))
    same_error(lambda: koptim.RMSprop([pk], alpha=-1), lambda: T.optim.RMSprop([pt], alpha=-1))
    same_error(lambda: koptim.SGD([pk, pk * 2], lr=1), lambda: T.optim.SGD([pt, pt * 2], lr=1))


SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.001)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1 / (e + 1))),
    ("LinearLR", dict(start_factor=0.25, total_iters=4)),
    ("ConstantLR", dict(factor=0.5, total_iters=3)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=12)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=12, anneal_strategy="linear", three_phase=True)),
]


@pytest.mark.parametrize("name,kw", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)])
def test_schedulers_match_torch(name, kw):
    mk, mt = _models()
    ok, ot = koptim.SGD(mk.parameters(), lr=0.1, momentum=0.9), T.optim.SGD(mt.parameters(), lr=0.1, momentum=0.9)
    sk, st = getattr(koptim.lr_scheduler, name)(ok, **kw), getattr(T.optim.lr_scheduler, name)(ot, **kw)
    assert sk.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)
    _train(mk, mt, ok, ot, steps=11, schedulers=[(sk, st)])
    assert ok.param_groups[0]["momentum"] == pytest.approx(ot.param_groups[0]["momentum"])


def test_reduce_lr_on_plateau_matches_torch():
    mk, mt = _models()
    ok, ot = koptim.Adam(mk.parameters(), lr=0.1), T.optim.Adam(mt.parameters(), lr=0.1)
    kw = dict(mode="min", factor=0.5, patience=2, cooldown=1, min_lr=0.01)
    sk, st = koptim.lr_scheduler.ReduceLROnPlateau(ok, **kw), T.optim.lr_scheduler.ReduceLROnPlateau(ot, **kw)
    for metric in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85]:
        sk.step(K.tensor(metric))
        st.step(T.tensor(metric))
        assert sk.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)
    same_error(lambda: koptim.lr_scheduler.ReduceLROnPlateau(ok, factor=1.0),
               lambda: T.optim.lr_scheduler.ReduceLROnPlateau(ot, factor=1.0))


def test_scheduler_state_dict_round_trip():
    mk, _ = _models()
    o = koptim.SGD(mk.parameters(), lr=0.1)
    s = koptim.lr_scheduler.StepLR(o, step_size=2)
    for _ in range(3):
        o.step()
        s.step()
    state = s.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 3
    s2 = koptim.lr_scheduler.StepLR(koptim.SGD(mk.parameters(), lr=0.1), step_size=2)
    s2.load_state_dict(state)
    assert s2.last_epoch == 3 and s2.get_last_lr() == s.get_last_lr()


def test_user_defined_optimizer_subclass():
    class PlainSGD(koptim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @K.no_grad()
        def step(self):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state[p]
                    if len(state) == 0:
                        state["steps"] = 0
                    state["steps"] += 1
                    p.data.add_(p.grad.data, alpha=-group["lr"])

    mk, mt = _models()
    _train(mk, mt, PlainSGD(mk.parameters(), lr=0.1), T.optim.SGD(mt.parameters(), lr=0.1), steps=3)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_group_of_mixed_sizes_and_dtypes_matches_torch(name):
    """Adam's update shares one scratch array across a group's parameters: parameters of different
    sizes and dtypes in one group still follow PyTorch step by step."""
    rng = np.random.default_rng(3)
    values = [rng.standard_normal((6, 4)).astype(np.float32), rng.standard_normal(9).astype(np.float64),
              rng.standard_normal((2, 3)).astype(np.float32), np.zeros(0, np.float32)]
    kp = [K.tensor(v, requires_grad=True) for v in values]
    tp = [T.tensor(v, requires_grad=True) for v in values]
    ok = getattr(koptim, name)(kp, lr=0.05, weight_decay=0.01)
    ot = getattr(T.optim, name)(tp, lr=0.05, weight_decay=0.01)
    for step in range(5):
        grads = [rng.standard_normal(v.shape).astype(v.dtype) for v in values]
        for p, g in zip(kp, grads):
            p.grad = K.tensor(g)
        for p, g in zip(tp, grads):
            p.grad = T.tensor(g)
        ok.step()
        ot.step()
        for a, b in zip(kp, tp):
            assert_close(a, b)
