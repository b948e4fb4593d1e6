"""nn.Module, Parameter and containers against real PyTorch: registration, traversal, state_dict,
repr, modes, conversion, and the errors beginners hit."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch as T

import torchpad.kernel as K
import torchpad.kernel.nn as knn

from .parity import assert_close, assert_grads_close, pair, same_error


def build(nn, lib):
    """The same small model in either library: nested containers, a buffer, a shared layer."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh())
            self.heads = nn.ModuleList([nn.Linear(8, 3) for _ in range(2)])
            self.extra = nn.ModuleDict({"proj": nn.Linear(3, 2, bias=False), "act": nn.GELU()})
            self.scale = nn.Parameter(lib.ones(1))
            self.register_buffer("running", lib.zeros(2))
            self.register_buffer("scratch", lib.zeros(1), persistent=False)

        def forward(self, x):
            h = self.features(x)
            h = self.heads[0](h) + self.heads[1](h)
            return self.extra["act"](self.extra["proj"](h)) * self.scale + self.running

    return Net()


def twins():
    mt = build(T.nn, T)
    mk = build(knn, K)
    mk.load_state_dict({k: K.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()})
    return mk, mt


def test_names_and_keys_match_torch():
    mk, mt = twins()
    assert list(mk.state_dict()) == list(mt.state_dict())
    assert [n for n, _ in mk.named_parameters()] == [n for n, _ in mt.named_parameters()]
    assert [n for n, _ in mk.named_buffers()] == [n for n, _ in mt.named_buffers()]
    assert [n for n, _ in mk.named_modules()] == [n for n, _ in mt.named_modules()]
    assert [n for n, _ in mk.named_children()] == [n for n, _ in mt.named_children()]
    assert len(list(mk.modules())) == len(list(mt.modules()))
    assert len(list(mk.children())) == len(list(mt.children()))
    assert sum(p.numel() for p in mk.parameters()) == sum(p.numel() for p in mt.parameters())
    assert list(mk.state_dict()._metadata) == list(mt.state_dict()._metadata)


def test_forward_backward_after_loading_torch_weights():
    mk, mt = twins()
    x_k, x_t = pair(5, 6, seed=1, requires_grad=True)
    yk, yt = mk(x_k), mt(x_t)
    assert_close(yk, yt)
    yk.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    assert_grads_close([x_k] + list(mk.parameters()), [x_t] + list(mt.parameters()))


def test_repr_matches_torch():
    mk, mt = twins()
    assert repr(mk) == repr(mt)
    assert repr(knn.ModuleList()) == repr(T.nn.ModuleList())
    ml_k = knn.ModuleList([knn.Linear(2, 2), knn.Linear(2, 2), knn.Linear(2, 3), knn.ReLU()])
    ml_t = T.nn.ModuleList([T.nn.Linear(2, 2), T.nn.Linear(2, 2), T.nn.Linear(2, 3), T.nn.ReLU()])
    assert repr(ml_k) == repr(ml_t)
    assert repr(knn.Sequential()) == repr(T.nn.Sequential())


def test_parameter():
    p = knn.Parameter(K.ones(2))
    assert isinstance(p, K.Tensor) and isinstance(p, knn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert repr(p) == repr(T.nn.Parameter(T.ones(2)))
    assert repr(knn.Parameter(K.ones(2), requires_grad=False)) == repr(T.nn.Parameter(T.ones(2), requires_grad=False))
    assert not isinstance(p.detach(), knn.Parameter) and not isinstance(p * 2, knn.Parameter)
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, knn.Parameter) and q.requires_grad
    mk, _ = twins()
    assert type(mk.state_dict()["scale"]) is K.Tensor  # state_dict holds detached tensors, as PyTorch's


def test_state_dict_shares_memory_and_load_copies_values():
    mk, _ = twins()
    sd = mk.state_dict()
    sd["scale"].array[...] = 3.0
    assert mk.scale.item() == 3.0
    new = {k: v.clone() for k, v in sd.items()}
    new["scale"].array[...] = 5.0
    weight_before = mk.scale
    result = mk.load_state_dict(new)
    assert repr(result) == "<All keys matched successfully>"
    assert mk.scale is weight_before and mk.scale.item() == 5.0


def test_load_state_dict_errors_match_torch():
    mk, mt = twins()
    sd_t = mt.state_dict()
    bad_t = OrderedDict((k, v) for k, v in sd_t.items() if k != "running")
    bad_t["features.0.weight"] = T.zeros(3, 3)
    bad_t["unknown.key"] = T.zeros(1)
    bad_k = OrderedDict((k, K.tensor(v.numpy())) for k, v in bad_t.items())
    msg = same_error(lambda: mk.load_state_dict(bad_k), lambda: mt.load_state_dict(bad_t))
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    rk = mk.load_state_dict({k: v for k, v in bad_k.items() if k != "features.0.weight"}, strict=False)
    rt = mt.load_state_dict({k: v for k, v in bad_t.items() if k != "features.0.weight"}, strict=False)
    assert repr(rk) == repr(rt)
    assert rk.missing_keys == rt.missing_keys and rk.unexpected_keys == rt.unexpected_keys


def test_assignment_errors_match_torch():
    class NoInit(knn.Module):
        def __init__(self):
            self.fc = knn.Linear(2, 2)

    class NoInitT(T.nn.Module):
        def __init__(self):
            self.fc = T.nn.Linear(2, 2)

    same_error(NoInit, NoInitT)
    lk, lt = knn.Linear(2, 3), T.nn.Linear(2, 3)
    same_error(lambda: setattr(lk, "weight", K.ones(3, 2)), lambda: setattr(lt, "weight", T.ones(3, 2)))
    same_error(lambda: lk.missing_attr, lambda: lt.missing_attr)
    same_error(lambda: lk.register_buffer("weight", K.ones(1)), lambda: lt.register_buffer("weight", T.ones(1)))
    same_error(lambda: knn.Module()(K.ones(1)), lambda: T.nn.Module()(T.ones(1)))
    same_error(lambda: lk.to("cuda"), lambda: lt.to("cuda"))
    same_error(lambda: knn.Sequential(knn.ReLU())[3], lambda: T.nn.Sequential(T.nn.ReLU())[3])
    same_error(lambda: knn.ModuleList([knn.ReLU()])[-2], lambda: T.nn.ModuleList([T.nn.ReLU()])[-2])


def test_train_eval_zero_grad_requires_grad():
    mk, _ = twins()
    mk.eval()
    assert all(not m.training for m in mk.modules())
    mk.train()
    assert all(m.training for m in mk.modules())
    mk(K.randn(2, 6)).sum().backward()
    assert all(p.grad is not None for p in mk.parameters())
    mk.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in mk.parameters())
    mk.zero_grad()
    assert all(p.grad is None for p in mk.parameters())
    mk.requires_grad_(False)
    assert not any(p.requires_grad for p in mk.parameters())


def test_apply_visits_children_first_and_to_double():
    mk, mt = twins()
    seen_k, seen_t = [], []
    mk.apply(lambda m: seen_k.append(type(m).__name__))
    mt.apply(lambda m: seen_t.append(type(m).__name__))
    assert seen_k == seen_t
    p = mk.scale
    mk.double()
    assert mk.scale is p and str(mk.scale.dtype) == "torch.float64"
    assert mk(K.randn(2, 6, dtype=K.float64)).dtype == K.float64
    mk.to(K.float32)
    assert str(mk.features[0].weight.dtype) == "torch.float32"
    assert mk.to("cpu") is mk and mk.cpu() is mk


def test_sequential_indexing_slicing_and_mutation():
    layers_k = [knn.Linear(3, 3), knn.ReLU(), knn.Linear(3, 2)]
    sk = knn.Sequential(*layers_k)
    st = T.nn.Sequential(T.nn.Linear(3, 3), T.nn.ReLU(), T.nn.Linear(3, 2))
    assert len(sk) == 3 and sk[0] is layers_k[0] and sk[-1] is layers_k[2]
    sub = sk[1:]
    assert isinstance(sub, knn.Sequential) and len(sub) == 2 and sub[0] is layers_k[1]
    assert repr(sk[:2]) == repr(st[:2])
    sk.append(knn.Sigmoid())
    st.append(T.nn.Sigmoid())
    assert repr(sk) == repr(st)
    del sk[1]
    del st[1]
    assert repr(sk) == repr(st)
    assert [n for n, _ in sk.named_children()] == [n for n, _ in st.named_children()]
    od = knn.Sequential(OrderedDict([("fc", knn.Linear(2, 2)), ("act", knn.ReLU())]))
    assert list(od.state_dict()) == ["fc.weight", "fc.bias"] and od.fc is od[0]


def test_module_list_and_dict():
    ml = knn.ModuleList([knn.Linear(2, 2)])
    ml.append(knn.ReLU())
    ml.extend([knn.Tanh()])
    ml.insert(0, knn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "Linear", "ReLU", "Tanh"]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2", "3"]
    md = knn.ModuleDict({"a": knn.ReLU()})
    md["b"] = knn.Linear(1, 1)
    assert list(md.keys()) == ["a", "b"] and "b" in md and len(md) == 2
    assert list(md.state_dict()) == ["b.weight", "b.bias"]


@pytest.mark.parametrize("kind", ["ModuleDict", "ParameterDict"])
def test_module_and_parameter_dicts_behave_as_pytorchs(kind):
    """One dict body serves both: the same keys, membership, pop, clear and update as PyTorch's."""
    def walk(lib):
        value = (lambda: lib.nn.Linear(1, 1)) if kind == "ModuleDict" else (lambda: lib.nn.Parameter(lib.ones(2)))
        d = getattr(lib.nn, kind)({"a": value(), "b": value()})
        d.update([("c", value())])
        d["d"] = value()
        seen = [list(d), len(d), "c" in d, "z" in d, list(d.keys()), len(list(d.values())), [k for k, _ in d.items()]]
        popped = d.pop("b")
        seen += [type(popped).__name__, list(d), sorted(n for n, _ in d.named_parameters())]
        del d["a"]
        seen.append(list(d))
        d.clear()
        return seen + [len(d), list(d.parameters())]
    assert walk(K) == walk(T)


def test_shared_parameter_counted_once():
    lin = knn.Linear(2, 2)
    seq = knn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_deepcopy_and_pickle_module():
    mk, _ = twins()
    clone = copy.deepcopy(mk)
    assert clone.scale is not mk.scale and isinstance(clone.scale, knn.Parameter)
    x = K.randn(3, 6)
    assert_close(clone(x), mk(x))
    seq = knn.Sequential(knn.Linear(6, 4), knn.ReLU())
    again = pickle.loads(pickle.dumps(seq))
    assert_close(again(x), seq(x))


def test_forward_hooks():
    lin = knn.Linear(2, 2)
    calls = []
    h = lin.register_forward_hook(lambda m, inp, out: calls.append(out.shape))
    lin(K.ones(4, 2))
    h.remove()
    lin(K.ones(4, 2))
    assert calls == [K.Size([4, 2])]


@pytest.mark.parametrize("start,end", [(1, -1), (0, 1)])
def test_flatten_unflatten(start, end):
    x_k, x_t = pair(2, 3, 4, seed=2, requires_grad=True)
    fk, ft = knn.Flatten(start, end), T.nn.Flatten(start, end)
    assert repr(fk) == repr(ft)
    assert_close(fk(x_k), ft(x_t))
    uk, ut = knn.Unflatten(1, (3, 4)), T.nn.Unflatten(1, (3, 4))
    assert repr(uk) == repr(ut)
    assert_close(uk(K.zeros(2, 12)), ut(T.zeros(2, 12)))
