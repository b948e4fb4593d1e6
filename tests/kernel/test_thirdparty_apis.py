"""APIs that official tutorials use and the kernel lacked (found by bench/thirdparty_programs.py), each
against real PyTorch: torch-level in-place functions, structured pruning, next_functions as PyTorch shows it."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch as T
import torch.nn.utils.prune as TP

import torchpad.kernel as K
from torchpad.kernel.nn.utils import prune as KP

from .parity import assert_close, pair, same_error


@pytest.mark.parametrize("name", ["sin_", "exp_", "sqrt_", "relu_", "sigmoid_", "neg_", "zero_", "abs_", "tanh_"])
def test_torch_level_inplace_functions_change_and_return_their_input(name):
    k, t = pair(3, 4, positive=True)
    rk, rt = getattr(K, name)(k), getattr(T, name)(t)
    assert rk is k and rt is t
    assert_close(k, t)


def test_torch_level_inplace_functions_take_arguments_and_check_the_input():
    k, t = pair(5)
    assert_close(K.clamp_(k, min=-0.5, max=0.5), T.clamp_(t, min=-0.5, max=0.5))
    assert_close(K.fill_(k, 2.0), T.fill_(t, 2.0))
    same_error(lambda: K.sin_(1.0), lambda: T.sin_(1.0))
    same_error(lambda: K.sin_(K.ones(2, requires_grad=True)), lambda: T.sin_(T.ones(2, requires_grad=True)))


def _pruned_pair(prune_k, prune_t, shape=(6, 2, 3, 3)):
    """The same weights in a kernel and a PyTorch Conv2d / Linear, pruned by the two callables."""
    w = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    mods = []
    for lib, prune in ((K, prune_k), (T, prune_t)):
        m = lib.nn.Conv2d(shape[1], shape[0], shape[2]) if len(shape) == 4 else lib.nn.Linear(shape[1], shape[0])
        with lib.no_grad():
            m.weight.copy_(lib.tensor(w))
        prune(m)
        mods.append(m)
    return mods


@pytest.mark.parametrize("amount, n, dim", [(0.5, 2, 0), (2, 1, 1), (0.34, float("inf"), -1), (0, 2, 0)])
def test_ln_structured_keeps_the_largest_slices(amount, n, dim):
    km, tm = _pruned_pair(lambda m: KP.ln_structured(m, "weight", amount=amount, n=n, dim=dim),
                          lambda m: TP.ln_structured(m, "weight", amount=amount, n=n, dim=dim))
    np.testing.assert_array_equal(km.weight_mask.numpy(), tm.weight_mask.numpy())
    assert_close(km.weight, tm.weight.detach())
    assert sorted(dict(km.named_buffers())) == sorted(dict(tm.named_buffers()))


def test_structured_after_unstructured_combines_masks_in_a_container():
    def both(P):
        return lambda m: (P.l1_unstructured(m, "weight", amount=0.3), P.ln_structured(m, "weight", amount=0.5, n=2, dim=0))

    km, tm = _pruned_pair(both(KP), both(TP))
    np.testing.assert_array_equal(km.weight_mask.numpy(), tm.weight_mask.numpy())
    (khook,), (thook,) = km._forward_pre_hooks.values(), tm._forward_pre_hooks.values()
    assert [type(h).__name__ for h in khook] == [type(h).__name__ for h in thook] == ["L1Unstructured", "LnStructured"]
    KP.remove(km, "weight")
    TP.remove(tm, "weight")
    assert_close(km.weight, tm.weight.detach())


def test_random_structured_zeroes_whole_slices():
    km, tm = _pruned_pair(lambda m: KP.random_structured(m, "weight", amount=2, dim=1),
                          lambda m: TP.random_structured(m, "weight", amount=2, dim=1), shape=(4, 5))
    for m in (km, tm):
        mask = np.asarray(m.weight_mask.detach().numpy())
        assert (mask.sum(axis=0) == 0).sum() == 2 and set(np.unique(mask.sum(axis=0))) <= {0.0, 4.0}


def test_structured_pruning_errors_match():
    for make in (lambda L, P: P.ln_structured(L.nn.Linear(3, 2), "bias", amount=1, n=2, dim=0),
                 lambda L, P: P.random_structured(L.nn.Linear(3, 2), "weight", amount=1, dim=2),
                 lambda L, P: P.ln_structured(L.nn.Linear(3, 2), "weight", amount=3, n=2, dim=0),
                 lambda L, P: P.ln_structured(L.nn.Linear(3, 2), "weight", amount=-1, n=2, dim=0)):
        same_error(lambda: make(K, KP), lambda: make(T, TP))


def _chain(out, path):
    node = out.grad_fn
    for i in path:
        node = node.next_functions[i][0]
    return node


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("path", [(), (0,), (1,), (1, 0), (-1,), (-1, 0)])
def test_next_functions_show_pytorchs_nodes(path, bias):
    """The blitz tutorial walks loss.grad_fn.next_functions: a linear layer's addmm(bias, input, weight.t())."""
    def run(L):
        x = L.ones(2, 3, requires_grad=True)
        return _chain(L.nn.Linear(3, 4, bias=bias)(L.relu(x)), path)

    if not bias and path[:1] in ((0,), (1,)):
        path = (0,) + path[1:] if path[:1] == (1,) else ()
    assert repr(run(K)).split(" at ")[0] == repr(run(T)).split(" at ")[0]


def test_next_functions_of_a_constant_input_is_none():
    for L in (K, T):
        assert L.nn.Linear(3, 4)(L.ones(2, 3)).grad_fn.next_functions[1] == (None, 0)


def test_accumulate_grad_names_its_leaf():
    for L in (K, T):
        w = L.ones(2, requires_grad=True)
        acc = (w * 2).grad_fn.next_functions[0][0]
        assert acc.variable is w and acc.next_functions == () and acc.name() == "torch::autograd::AccumulateGrad"
        assert (w * 2).grad_fn.next_functions[1] == (None, 0)


def test_tensor_and_parameter_types_print_as_pytorchs():
    """introyt's tensors tutorial prints type(x)."""
    for make in (lambda L: L.ones(2), lambda L: L.nn.Parameter(L.ones(2)), lambda L: L.nn.Linear(2, 2).weight):
        assert str(type(make(K))) == str(type(make(T)))


@pytest.mark.parametrize("layer", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("options", [{}, {"batch_first": True}, {"num_layers": 2}, {"bidirectional": True},
                                     {"batch_first": True, "bidirectional": True}])
def test_recurrent_results_name_pytorchs_nodes(layer, options):
    """The sequence-models tutorial prints an LSTM's output and hidden state with their grad_fn."""
    names = []
    for L in (K, T):
        out, h = getattr(L.nn, layer)(3, 4, **options)(L.ones(5, 2, 3))
        states = h if isinstance(h, tuple) else (h,)
        names.append([t.grad_fn.name() for t in (out,) + states])
    assert names[0] == names[1]


def test_hook_stores_and_pruning_hooks_print_as_pytorchs():
    """The pruning tutorial prints module._forward_pre_hooks."""
    shown = []
    for L, P in ((K, KP), (T, TP)):
        m = L.nn.Linear(3, 2)
        assert type(m._forward_hooks).__name__ == type(m._backward_hooks).__name__ == "OrderedDict"
        P.l1_unstructured(m, "weight", amount=1)
        shown.append(re.sub(r"\(\d+,", "(#,", str(m._forward_pre_hooks).split(" object at ")[0]))  # ids: a global count
    assert shown[0] == shown[1] == "OrderedDict([(#, <torch.nn.utils.prune.L1Unstructured"
