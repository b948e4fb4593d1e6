"""Optimizer: parameter groups, per-parameter state, zero_grad, and PyTorch's state_dict format.

Subclasses implement `_update(group, params_with_grads)`. The updates work on the NumPy
arrays in place (`p.array`, `p.grad.array`, state arrays): one fused expression per
parameter with `out=` where it avoids temporaries, because this runs every training step
in the browser's WebAssembly NumPy.
"""

from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

from .. import grad_mode
from ..nn.parameter import zero_grads
from ..tensor import Tensor


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)  # user-written optimizers rely on self.state[p] being {}
        self.param_groups: list = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"params argument given to the optimizer should be an iterable of Tensors or dicts, but got {params.type()}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets "
                "will change between runs. Please use a list instead."
            )
        params = list(params)
        names = None
        if params and isinstance(params[0], tuple):  # model.named_parameters()
            names = [n for n, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__module__}.{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {key}")
            group.setdefault(key, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        zero_grads((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                self._update(group, params)
        return loss

    def _update(self, group: dict, params: list) -> None:
        raise NotImplementedError

    def _state(self, p, init) -> dict:
        s = self.state.get(p)
        if s is None:
            s = self.state[p] = init(p)
        return s

    # ---- state_dict in PyTorch's layout: state keyed by parameter index --------------------
    def state_dict(self) -> dict:
        index, groups, start = {}, [], 0
        for g in self.param_groups:
            ids = list(range(start, start + len(g["params"])))
            index.update({id(p): i for p, i in zip(g["params"], ids)})
            packed = {k: v for k, v in g.items() if k != "params"}
            packed["params"] = ids
            groups.append(packed)
            start += len(ids)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = copy.deepcopy(state_dict)
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        by_index = {}
        for g, s in zip(self.param_groups, saved):
            by_index.update(zip(s["params"], g["params"]))
        self.state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            p = by_index.get(int(k))
            if p is None:
                continue
            self.state[p] = {
                name: (_as_tensor(val, p, name) if name != "step" else _as_tensor(val, None, name))
                for name, val in v.items()
            }
        for g, s in zip(self.param_groups, saved):
            for key, val in s.items():
                if key != "params":
                    g[key] = val

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n" + f"Parameter Group {i}"
            for key in sorted(group.keys()):
                if key != "params":
                    s += "\n" + f"    {key}: {group[key]}"
        return s + "\n)"


def _as_tensor(value, like, name):
    """State values loaded into the parameter's dtype (`step` stays float32)."""
    if isinstance(value, Tensor):
        arr = value.array
    elif hasattr(value, "detach"):  # a real torch tensor from a torch-saved checkpoint
        arr = value.detach().cpu().numpy()
    else:
        arr = np.asarray(value)
    dt = np.float32 if like is None else like.array.dtype
    return Tensor._make(np.array(arr, dtype=dt if arr.dtype.kind == "f" or like is None else arr.dtype))


def _step(state: dict) -> float:
    """Increment the float32 `step` tensor PyTorch keeps per parameter; returns the new count."""
    t = state["step"]
    t.array += 1
    return float(t.array)


def _zeros(p) -> Tensor:
    return Tensor._make(np.zeros_like(p.array))
