"""out= as in PyTorch: every torch function of the kernel that PyTorch gives `out=` writes its
result into `out` and returns it (values checked against PyTorch's own out= call), with
PyTorch's rules (no autograd, dtype casting, resizing with a warning, factories take out's
dtype); and no kernel function accepts `out=` while ignoring it."""

from __future__ import annotations

import inspect
import types
import warnings

import numpy as np
import pytest
import torch as T

import torchpad.kernel as K
from torchpad.kernel import _out_arg

from .parity import same_error

RNG = np.random.default_rng(0)
A = RNG.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
B = RNG.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
M = RNG.standard_normal((4, 2)).astype(np.float32)
V = RNG.standard_normal(4).astype(np.float32)
IDX = np.array([[0, 1], [2, 3], [1, 1]])
COND = A > 0.5


def args_for(name):
    """Positional and keyword arguments (NumPy form) for one call of torch.<name>."""
    unary = ("abs", "acos", "arccos", "asin", "arcsin", "atan", "arctan", "ceil", "cos", "cosh", "erf", "exp", "expm1",
             "floor", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin",
             "sinh", "sqrt", "square", "tan", "tanh", "trunc", "tril", "triu", "logical_not")
    binary = ("atan2", "add", "sub", "mul", "div", "true_divide", "pow", "maximum", "minimum", "fmod", "remainder", "eq",
              "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor")
    if name in unary:
        return (A,), {}
    if name in binary:
        return (A, B), {}
    return {
        "clamp": ((A, 0.3, 0.6), {}), "clip": ((A, 0.3, 0.6), {}), "matmul": ((A, M), {}), "mm": ((A, M), {}),
        "bmm": ((A[None], M[None]), {}), "mv": ((A, V), {}), "dot": ((V, V), {}), "outer": ((V, V), {}),
        "addmm": ((np.ones(2, np.float32), A, M), {}), "sum": ((A, 1), {}), "mean": ((A, 1), {}), "prod": ((A, 1), {}),
        "amax": ((A, 1), {}), "amin": ((A, 0), {}), "argmax": ((A, 1), {}), "argmin": ((A, 1), {}),
        "cumsum": ((A, 1), {}), "cumprod": ((A, 0), {}), "logsumexp": ((A, 1), {}), "std": ((A, 1), {}),
        "var": ((A, 1), {}), "max": ((A, 1), {}), "min": ((A, 0), {}), "sort": ((A, 1), {}), "topk": ((A, 2), {}),
        "cat": (([A, B],), {}), "concat": (([A, B], 1), {}), "concatenate": (([A, B],), {}), "stack": (([A, B],), {}),
        "hstack": (([A, B],), {}), "vstack": (([A, B],), {}), "gather": ((A, 1, IDX), {}),
        "index_select": ((A, 1, np.array([0, 2])), {}), "masked_select": ((A, COND), {}), "where": ((COND, A, B), {}),
        "zeros": ((2, 3), {}), "ones": ((2, 3), {}), "full": (((2, 3), 1.5), {}), "arange": ((5,), {}),
        "linspace": ((0, 1, 5), {}), "logspace": ((0, 1, 5), {}), "eye": ((3,), {}),
    }[name]


def convert(mod, value):
    if isinstance(value, np.ndarray):
        return mod.tensor(value)
    if isinstance(value, list):
        return [convert(mod, v) for v in value]
    return value


DETERMINISTIC = [n for n in _out_arg.OUT_OPS + _out_arg.FACTORY_OUT_OPS
                 if n not in ("empty", "rand", "randn", "randint", "randperm", "normal")]


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_out_is_written_and_returned_like_pytorch(name):
    args, kwargs = args_for(name)
    targs, kargs = [convert(T, a) for a in args], [convert(K, a) for a in args]
    expected = getattr(T, name)(*targs, **kwargs)
    multi = isinstance(expected, tuple)
    tout = tuple(T.empty(0, dtype=e.dtype) for e in expected) if multi else T.empty(0, dtype=expected.dtype)
    tret = getattr(T, name)(*targs, **kwargs, out=tout)  # PyTorch takes out= here: the table is right
    kdt = lambda t: getattr(K, str(t.dtype).replace("torch.", ""))  # noqa: E731
    kout = tuple(K.empty(0, dtype=kdt(e)) for e in expected) if multi else K.empty(0, dtype=kdt(expected))
    kret = getattr(K, name)(*kargs, **kwargs, out=kout)
    touts, kouts = (tout, kout) if multi else ((tout,), (kout,))
    kr = tuple(kret) if multi else (kret,)
    for k, t, r in zip(kouts, touts, kr):
        assert r is k
        np.testing.assert_allclose(k.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
        assert k.numpy().dtype == t.numpy().dtype
    if multi:
        assert type(tret).__name__.startswith(type(kret).__name__.split(".")[-1]) or hasattr(kret, "_fields")


@pytest.mark.parametrize("name", ["empty", "rand", "randn", "randint", "randperm", "normal"])
def test_random_and_empty_factories_fill_out(name):
    args = {"empty": (2, 3), "rand": (2, 3), "randn": (2, 3), "randint": (0, 5, (2, 3)), "randperm": (6,),
            "normal": (0.0, 1.0, (2, 3))}[name]
    dt = K.int64 if name in ("randint", "randperm") else K.float64
    out = K.zeros(0, dtype=dt)
    assert getattr(K, name)(*args, out=out) is out
    shape = (6,) if name == "randperm" else (2, 3)
    assert tuple(out.shape) == shape and out.dtype == dt
    tout = T.zeros(0, dtype=getattr(T, dt.name))
    getattr(T, name)(*args, out=tout)
    assert tuple(tout.shape) == shape and tout.dtype == getattr(T, dt.name)


def test_out_rules_match_pytorch():
    kx, tx = K.ones(2, 3, requires_grad=True), T.ones(2, 3, requires_grad=True)
    same_error(lambda: K.add(kx, kx, out=K.empty(2, 3)), lambda: T.add(tx, tx, out=T.empty(2, 3)))
    same_error(lambda: K.add(K.ones(2), 1.5, out=K.empty(2, dtype=K.int64)),
               lambda: T.add(T.ones(2), 1.5, out=T.empty(2, dtype=T.int64)))
    same_error(lambda: K.zeros(3, dtype=K.float32, out=K.empty(0, dtype=K.int64)),
               lambda: T.zeros(3, dtype=T.float32, out=T.empty(0, dtype=T.int64)))
    with K.no_grad():
        assert not K.add(kx, kx, out=K.empty(2, 3)).requires_grad
    assert K.add(K.ones(2, dtype=K.int64), 1, out=K.zeros(2)).tolist() == [2.0, 2.0]  # integer -> float casts
    with warnings.catch_warnings(record=True) as kw:
        warnings.simplefilter("always")
        r = K.add(K.ones(3), 1, out=K.zeros(2, 2))
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        T.add(T.ones(3), 1, out=T.zeros(2, 2))
    assert tuple(r.shape) == (3,) and str(tw[0].message).startswith(str(kw[0].message))
    out = K.zeros(2, 3)
    view = out[0]
    K.mul(K.ones(2, 3), 3, out=out)
    assert view.tolist() == [3.0, 3.0, 3.0]  # same shape: written in place, views see it


def _accepts_out(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "out" in params


def _torch_has_out(name: str) -> bool:
    try:
        schemas = T._C._jit_get_schemas_for_operator("aten::" + name)
    except RuntimeError:
        return False
    return any(a.name == "out" for s in schemas for a in s.arguments)


def test_no_function_accepts_out_and_ignores_it():
    """Sweep: every public function of the kernel's torch that takes out= handles it (the wrapper)."""
    ignoring = []
    for name in dir(K):
        fn = getattr(K, name)
        if name.startswith("_") or not isinstance(fn, types.FunctionType):
            continue
        if _accepts_out(fn) and not getattr(fn, "_handles_out", False):
            ignoring.append(name)
    assert ignoring == [], f"accept out= but ignore it: {ignoring}"


def test_ops_pytorch_gives_out_have_it_or_refuse_it():
    """Every kernel function whose PyTorch op has an out= form either handles out= or raises TypeError for it."""
    for name in dir(K):
        fn = getattr(K, name)
        if name.startswith("_") or not isinstance(fn, types.FunctionType) or not _torch_has_out(name):
            continue
        assert getattr(fn, "_handles_out", False) or not _accepts_out(fn), name
