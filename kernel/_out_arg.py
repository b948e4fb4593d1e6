"""`out=` for the torch functions that take it in PyTorch: the result is written into the given
tensor (resized when its shape differs, with PyTorch's warning) and that tensor is returned.

One wrapper for all of them, put on the torch namespace by `install`, so no op is left
accepting `out=` and ignoring it. PyTorch's rules come with it: no autograd through `out=`,
a result dtype that cannot be cast to out's is an error, factories take out's dtype.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from . import dtypes, grad_mode
from .tensor import Tensor

# torch functions with an `out=` parameter (checked against PyTorch by tests/kernel/test_out_arg.py)
OUT_OPS = (
    "abs", "acos", "arccos", "asin", "arcsin", "atan", "arctan", "atan2", "ceil", "cos", "cosh", "erf", "exp", "expm1",
    "floor", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin", "sinh",
    "sqrt", "square", "tan", "tanh", "trunc",
    "add", "sub", "mul", "div", "true_divide", "pow", "maximum", "minimum", "fmod", "remainder",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not", "clamp", "clip",
    "matmul", "mm", "bmm", "mv", "dot", "outer", "addmm",
    "sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "cumsum", "cumprod", "logsumexp", "std", "var",
    "max", "min", "sort", "topk",
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "gather", "index_select", "masked_select", "tril",
    "triu", "where", "normal",
)
# factories: the result takes out's dtype when none is given
FACTORY_OUT_OPS = ("zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye", "rand", "randn", "randint",
                   "randperm")

def _title(dtype: np.dtype) -> str:
    return dtypes.from_numpy(np.dtype(dtype)).scalar_name


def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's canCast: no float -> integer, no non-bool -> bool; otherwise any width."""
    if dst == np.bool_:
        return src == np.bool_
    if dst.kind in "iu":
        return src.kind in "iub"
    return True


def _requires_grad(values) -> bool:
    for v in values:
        if isinstance(v, Tensor) and v.requires_grad:
            return True
        if isinstance(v, (list, tuple)) and _requires_grad(v):
            return True
    return False


def _write(name: str, out, result: Tensor) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    src, dst = result.array.dtype, out.array.dtype
    if not _can_cast(src, dst):
        raise RuntimeError(f"result type {_title(src)} can't be cast to the desired output type {_title(dst)}")
    if out.array.shape == result.array.shape:
        np.copyto(out.array, result.array, casting="unsafe")  # in place: views of out see the values
    else:
        if out.array.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape {list(out.array.shape)}, which does "
                f"not match the required output shape {list(result.array.shape)}. This behavior is deprecated, and in a "
                "future PyTorch release outputs will not be resized unless they have zero elements. You can explicitly "
                "reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).", stacklevel=4)
        out.array = result.array.astype(dst, copy=True)
    return out


def with_out(fn, name: str, factory: bool = False):
    """`fn` taking `out=`: computed as usual, then written into `out`."""

    @functools.wraps(fn)
    def op(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if factory:
            dtype = kwargs.get("dtype")
            if dtype is None:
                kwargs["dtype"] = out.dtype
            elif dtype.np != out.array.dtype:
                raise RuntimeError(f"dtype {_title(dtype.np)} does not match dtype of out parameter ({_title(out.array.dtype)})")
        outs = out if isinstance(out, (tuple, list)) else (out,)
        if grad_mode._enabled and (_requires_grad(args) or _requires_grad(kwargs.values()) or _requires_grad(outs)):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                               "but one of the arguments requires grad.")
        result = fn(*args, **kwargs)
        if isinstance(result, tuple):
            if len(outs) != len(result) or not isinstance(out, (tuple, list)):
                raise TypeError(f"{name}(): argument 'out' must be tuple of {len(result)} Tensors")
            written = [_write(name, o, r) for o, r in zip(outs, result)]
            return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
        return _write(name, out, result)

    op._handles_out = True
    return op


def _refusing_out(fn, name: str):
    """A Tensor method sharing a torch function's code: PyTorch's methods take no out=, so it is refused."""

    @functools.wraps(fn)
    def method(*args, **kwargs):
        if "out" in kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
        return fn(*args, **kwargs)

    method._handles_out = True
    return method


def install(namespace: dict, tensor_class=None, functional=None) -> None:
    """Wrap the torch namespace's functions that take out= (each once); Tensor methods refuse out=;
    F.normalize (and F.sigmoid / F.tanh, torch's own functions there) honour it."""
    for names, factory in ((OUT_OPS, False), (FACTORY_OUT_OPS, True)):
        for name in names:
            fn = namespace.get(name)
            if fn is not None and not getattr(fn, "_handles_out", False):
                namespace[name] = with_out(fn, name, factory)
    if tensor_class is not None:
        for name, fn in list(vars(tensor_class).items()):
            code = getattr(fn, "__code__", None)
            if code is not None and "out" in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount] \
                    and not getattr(fn, "_handles_out", False):
                setattr(tensor_class, name, _refusing_out(fn, name))
    if functional is not None:
        for name in ("normalize", "sigmoid", "tanh"):
            fn = getattr(functional, name)
            if not getattr(fn, "_handles_out", False):
                setattr(functional, name, with_out(fn, name))
