"""PyTorch's dtypes over NumPy dtypes, and PyTorch's type promotion rules."""

from __future__ import annotations

import numpy as np


class dtype:
    """A torch dtype: `torch.float32` etc. Wraps the NumPy dtype that stores it.

    It also holds the two names PyTorch's error messages use, so no module keeps its own table:
    `scalar_name` is c10's ScalarType ("expected scalar type Float but found Half"), `cpp_name`
    the C++ element type ("... same dtype, but got: c10::Half != float").
    """

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_rank", "scalar_name", "cpp_name")

    def __init__(self, name: str, np_dtype, rank: int, scalar_name: str, cpp_name: str) -> None:
        self.name = name
        self.scalar_name, self.cpp_name = scalar_name, cpp_name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self._rank = rank  # category rank for promotion: bool < int < float

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_complex(self) -> bool:
        return False


bool_ = dtype("bool", np.bool_, 0, "Bool", "bool")
uint8 = dtype("uint8", np.uint8, 1, "Byte", "unsigned char")
int8 = dtype("int8", np.int8, 1, "Char", "signed char")
int16 = dtype("int16", np.int16, 1, "Short", "short int")
int32 = dtype("int32", np.int32, 1, "Int", "int")
int64 = dtype("int64", np.int64, 1, "Long", "long int")
float16 = dtype("float16", np.float16, 2, "Half", "c10::Half")
float32 = dtype("float32", np.float32, 2, "Float", "float")
float64 = dtype("float64", np.float64, 2, "Double", "double")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update({"bool": bool_, "long": int64, "int": int32, "float": float32, "double": float64, "half": float16, "short": int16})

_default_float = float32


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy(np_dtype) -> dtype:
    found = _FROM_NP.get(np_dtype)  # np.dtype instances hit directly; scalar types go the long way
    if found is not None:
        return found
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    if d not in (float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def to_dtype(d) -> dtype:
    """Accept a torch dtype, a NumPy dtype or Python's float/int/bool."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    return from_numpy(d)


def scalar_dtype(x) -> dtype:
    """The dtype a Python scalar gets as a tensor of its own (torch.tensor(1.5) -> float32)."""
    if isinstance(x, (bool, np.bool_)):
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    return _default_float


def promote(a: dtype, b: dtype) -> dtype:
    """Result dtype of two tensor dtypes (torch.promote_types)."""
    if a is b:
        return a
    if a._rank != b._rank:  # across categories the higher one wins as is: int64 + float32 -> float32
        return a if a._rank > b._rank else b
    return from_numpy(np.promote_types(a.np, b.np))


def result_type(a_dtype: dtype, a_dim: int, b) -> dtype:
    """PyTorch's promotion for a tensor (dtype, dim) with another operand b.

    Python scalars and 0-dim tensors only raise the category (bool < int < float), never
    the width within a category: float32 tensor * 2.0 stays float32, int64 + 1.5 -> float32.
    """
    from .tensor import Tensor

    if isinstance(b, Tensor):
        b_dtype, b_dim = b.dtype, b.array.ndim
    else:
        b_dtype, b_dim = scalar_dtype(b), 0
        if b_dtype._rank > a_dtype._rank:
            return _default_float if b_dtype._rank == 2 else b_dtype
        return a_dtype
    if (a_dim == 0) == (b_dim == 0):
        return promote(a_dtype, b_dtype)
    if a_dim == 0:  # b is the dimensioned one
        a_dtype, b_dtype = b_dtype, a_dtype
    # a_dtype is dimensioned, b_dtype is 0-dim
    if b_dtype._rank > a_dtype._rank:
        return b_dtype
    return a_dtype
