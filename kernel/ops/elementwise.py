"""Elementwise ops: arithmetic with broadcasting and PyTorch's type promotion, unary math,
activations, comparisons and logical ops, and the in-place variants."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..function import Function, named
from ..tensor import Tensor

__all__ = [
    "add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow", "neg", "abs", "exp", "log",
    "log1p", "log2", "log10", "expm1", "sqrt", "rsqrt", "square", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
    "clamp", "clip", "maximum", "minimum", "where", "sign", "floor", "ceil", "round", "trunc", "reciprocal",
    "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isinf",
    "isfinite", "lerp", "cast", "clone", "atan2", "asin", "acos", "atan", "sinh", "cosh", "erf", "allclose", "isclose",
    "equal", "nan_to_num", "bitwise_not",
]


# ---- broadcasting and promotion --------------------------------------------------------
def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """np.broadcast_shapes with PyTorch's error message."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def expand_error(shape: tuple, target: tuple, type_name: str = "torch.FloatTensor") -> None:
    """Raise PyTorch's message when `shape` cannot be expanded (broadcast) to `target`."""
    if len(shape) > len(target):
        raise RuntimeError(
            f"expand({type_name}{{[{', '.join(map(str, shape))}]}}, size=[{', '.join(map(str, target))}]): the number of "
            f"sizes provided ({len(target)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(target) - len(shape)
    for i, n in enumerate(shape):
        t = target[lead + i]
        if n != t and n != 1 and t != -1:
            raise RuntimeError(
                f"The expanded size of the tensor ({t}) must match the existing size ({n}) at non-singleton dimension "
                f"{lead + i}.  Target sizes: [{', '.join(map(str, target))}].  Tensor sizes: [{', '.join(map(str, shape))}]"
            )


def _operands(a, b, float_result: bool = False):
    """Return (a, b, dtype): both operands at PyTorch's promoted dtype (scalars stay scalars)."""
    if not isinstance(a, Tensor):
        bb, aa, dt = _operands(b, a, float_result)
        return aa, bb, dt
    ad = a.array.dtype
    if not float_result or ad.kind == "f":  # fast path: no promotion needed
        if isinstance(b, Tensor):
            if b.array.dtype == ad:
                if a.array.shape != b.array.shape:
                    broadcast_shape(a.array.shape, b.array.shape)
                return a, b, dtypes.from_numpy(ad)
        elif b.__class__ is float and ad.kind == "f" or b.__class__ is int and ad.kind in "fiu":
            return a, b, dtypes.from_numpy(ad)
    dt = dtypes.result_type(a.dtype, a.array.ndim, b)
    if float_result and not dt.is_floating_point:
        dt = dtypes.get_default_dtype()
    if isinstance(b, Tensor):
        if a.array.shape != b.array.shape:
            broadcast_shape(a.array.shape, b.array.shape)
        bb = b if b.array.dtype == dt.np else cast(b, dt)
    else:
        bb = _check_scalar(b)
    aa = a if a.array.dtype == dt.np else cast(a, dt)
    return aa, bb, dt


def _check_scalar(x):
    if isinstance(x, np.generic):  # NumPy scalars act as Python scalars (NumPy 2 would let float64 widen)
        return x.item()
    if isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"unsupported operand type: '{type(x).__name__}'")


def _wrap(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._make(np.asarray(x, dtype=dtypes.scalar_dtype(x).np if isinstance(x, (bool, int, float)) else None))


# ---- Functions --------------------------------------------------------------------------
class LocallyConstant(Function):
    """f(a) for a piecewise-constant f (a sign, a mask): zero derivative, as PyTorch's sign and
    threshold backward. The second-order formulas multiply by it, so grad of grad still reaches `a`
    (with zeros) exactly where PyTorch's graph does."""

    saves_tensors = False
    torch_name = "SgnBackward0"
    reads_parents = False

    def forward(self, a, f):
        return np.asarray(f(a), dtype=a.dtype)

    def backward(self, g):
        return np.zeros_like(g)

    def backward_graph(self, g):
        return Tensor._make(np.zeros_like(g.array))


def locally_constant(a, f) -> Tensor:
    """LocallyConstant of a Tensor (a Python scalar gives a constant)."""
    if isinstance(a, Tensor):
        return LocallyConstant.apply(a, f=f)
    return Tensor._make(np.asarray(f(np.asarray(a))))


class Cast(Function):
    saves_tensors = False
    torch_name = "ToCopyBackward0"
    reads_parents = False

    def forward(self, a, dtype):
        self.src = a.dtype
        return a.astype(dtype.np)

    def backward(self, g):
        return g.astype(self.src)

    def backward_graph(self, g):
        return cast(g, dtypes.from_numpy(self.src))


def cast(t: Tensor, dtype) -> Tensor:
    dtype = dtypes.to_dtype(dtype)
    if t.requires_grad and dtype.is_floating_point:
        return Cast.apply(t, dtype=dtype)
    return Tensor._make(t.array.astype(dtype.np))


class Clone(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return g

    def backward_graph(self, g):
        return g


def clone(t: Tensor) -> Tensor:
    return Clone.apply(t)


class Add(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)

    def backward_graph(self, g):
        return g, (g if self.alpha == 1 else g * self.alpha)


class Sub(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, b, alpha=1):
        self.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    def backward(self, g):
        return g, (-g if self.alpha == 1 else -g * self.alpha)

    def backward_graph(self, g):
        return g, (-g if self.alpha == 1 else g * -self.alpha)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        n = self.needs_input_grad
        return (g * self.b if n[0] else None), (g * self.a if n[1] else None)

    def backward_graph(self, g):
        a, b = self.parents
        n = self.needs_input_grad
        return (g * b if n[0] else None), (g * a if n[1] else None)


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        a, b = self.a, self.b
        n = self.needs_input_grad
        gb = -g * a / (b * b) if n[1] else None
        return (g / b if n[0] else None), gb

    def backward_graph(self, g):
        a, b = self.parents
        n = self.needs_input_grad
        return (g / b if n[0] else None), (-g * a / (b * b) if n[1] else None)


class Pow(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = out = a ** b
        return out

    def backward(self, g):
        a, b = self.a, self.b
        n = self.needs_input_grad
        ga = g * b * a ** (b - 1) if n[0] else None
        gb = None
        if n[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * self.out * np.where(a > 0, np.log(np.where(a > 0, a, 1)), np.where(a == 0, 0.0, np.nan))
        return ga, gb

    def backward_graph(self, g):
        a, b = self.parents
        n = self.needs_input_grad
        ga = g * b * a ** (b - 1) if n[0] else None
        gb = None
        if n[1]:
            a = _wrap(a)
            positive = a > 0
            safe_log = log(where(positive, a, 1.0))
            gb = g * a ** b * where(positive, safe_log, where(a == 0, 0.0, float("nan")))
        return ga, gb


def _binary(cls, a, b, float_result=False, **kw):
    a, b, _ = _operands(a, b, float_result)
    return cls.apply(a, b, **kw)


def add(input, other, *, alpha=1, out=None):
    return _binary(Add, input, other, alpha=alpha) if alpha != 1 else _binary(Add, input, other)


def sub(input, other, *, alpha=1, out=None):
    if isinstance(input, Tensor) and input.array.dtype == np.bool_ and isinstance(other, Tensor) and other.array.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.")
    return _binary(Sub, input, other, alpha=alpha) if alpha != 1 else _binary(Sub, input, other)


def mul(input, other, *, out=None):
    return _binary(Mul, input, other)


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        return trunc(_binary(Div, input, other, float_result=True))
    return _binary(Div, input, other, float_result=True)


true_divide = div


def floor_divide(input, other):
    a, b, dt = _operands(input, other)
    aa = a.array if isinstance(a, Tensor) else a
    bb = b.array if isinstance(b, Tensor) else b
    if dt.is_floating_point:
        return Tensor._make(np.floor_divide(aa, bb).astype(dt.np, copy=False))
    if np.any(np.asarray(bb) == 0):
        raise RuntimeError("ZeroDivisionError")
    return Tensor._make(np.floor_divide(aa, bb).astype(dt.np, copy=False))


class Remainder(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, b):
        self.b = b
        self.a = a
        return np.remainder(a, b)

    def backward(self, g):
        n = self.needs_input_grad
        return (g if n[0] else None), (-g * np.floor_divide(self.a, self.b) if n[1] else None)

    def backward_graph(self, g):
        n = self.needs_input_grad
        return (g if n[0] else None), (-g * Tensor._make(np.floor_divide(self.a, self.b)) if n[1] else None)


def remainder(input, other):
    return _binary(Remainder, input, other)


def fmod(input, other):
    a, b, dt = _operands(input, other)
    return Tensor._make(np.fmod(a.array if isinstance(a, Tensor) else a, b.array if isinstance(b, Tensor) else b).astype(dt.np, copy=False))


def pow(input, exponent):
    if isinstance(input, Tensor) and isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
        if input.array.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if exponent == 2:
            return Square.apply(input)
        return _binary(Pow, input, exponent)
    return named(_binary(Pow, input, exponent), "PowBackward1" if isinstance(input, Tensor) else "PowBackward2")


class Square(Function):
    torch_name = "PowBackward0"
    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, g):
        return 2 * g * self.a

    def backward_graph(self, g):
        return g * 2 * self.parents[0]


def square(input):
    return Square.apply(input)


# ---- unary math -------------------------------------------------------------------------
def _float_input(t: Tensor) -> Tensor:
    """Integer inputs of float-valued math ops become the default float dtype, as in PyTorch."""
    if t.array.dtype.kind == "f":
        return t
    return Tensor._make(t.array.astype(dtypes.get_default_dtype().np))


class Neg(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a):
        return -a

    def backward(self, g):
        return -g

    def backward_graph(self, g):
        return -g


def neg(input):
    if input.array.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, g):
        return g * np.sign(self.a)

    def backward_graph(self, g):
        return g * locally_constant(self.parents[0], np.sign)


def abs(input):
    return Abs.apply(input)


class Exp(Function):
    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, g):
        return g * self.out

    def backward_graph(self, g):
        return g * exp(self.parents[0])


class Expm1(Function):
    def forward(self, a):
        self.out = np.expm1(a)
        return self.out

    def backward(self, g):
        return g * (self.out + 1)

    def backward_graph(self, g):
        return g * exp(self.parents[0])


class Log(Function):
    def forward(self, a):
        self.a = a
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a)

    def backward(self, g):
        return g / self.a

    def backward_graph(self, g):
        return g / self.parents[0]


class Log1p(Function):
    def forward(self, a):
        self.a = a
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(a)

    def backward(self, g):
        return g / (1 + self.a)

    def backward_graph(self, g):
        return g / (1 + self.parents[0])


class Log2(Function):
    def forward(self, a):
        self.a = a
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(a)

    def backward(self, g):
        return g / (self.a * np.log(2).astype(self.a.dtype))

    def backward_graph(self, g):
        return g / (self.parents[0] * float(np.log(2)))


class Log10(Function):
    def forward(self, a):
        self.a = a
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(a)

    def backward(self, g):
        return g / (self.a * np.log(10).astype(self.a.dtype))

    def backward_graph(self, g):
        return g / (self.parents[0] * float(np.log(10)))


class Sqrt(Function):
    def forward(self, a):
        with np.errstate(invalid="ignore"):
            self.out = np.sqrt(a)
        return self.out

    def backward(self, g):
        with np.errstate(divide="ignore"):
            return g / (2 * self.out)

    def backward_graph(self, g):
        return g / (2 * sqrt(self.parents[0]))


class Rsqrt(Function):
    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            self.out = 1 / np.sqrt(a)
        return self.out

    def backward(self, g):
        return -0.5 * g * self.out ** 3

    def backward_graph(self, g):
        return -0.5 * g * rsqrt(self.parents[0]) ** 3


class Reciprocal(Function):
    def forward(self, a):
        with np.errstate(divide="ignore"):
            self.out = 1 / a
        return self.out

    def backward(self, g):
        return -g * self.out * self.out

    def backward_graph(self, g):
        r = reciprocal(self.parents[0])
        return -g * r * r


class Sin(Function):
    def forward(self, a):
        self.a = a
        return np.sin(a)

    def backward(self, g):
        return g * np.cos(self.a)

    def backward_graph(self, g):
        return g * cos(self.parents[0])


class Cos(Function):
    def forward(self, a):
        self.a = a
        return np.cos(a)

    def backward(self, g):
        return -g * np.sin(self.a)

    def backward_graph(self, g):
        return -g * sin(self.parents[0])


class Tan(Function):
    def forward(self, a):
        self.out = np.tan(a)
        return self.out

    def backward(self, g):
        return g * (1 + self.out * self.out)

    def backward_graph(self, g):
        t = tan(self.parents[0])
        return g * (1 + t * t)


class Asin(Function):
    def forward(self, a):
        self.a = a
        return np.arcsin(a)

    def backward(self, g):
        return g / np.sqrt(1 - self.a * self.a)

    def backward_graph(self, g):
        a = self.parents[0]
        return g / sqrt(1 - a * a)


class Acos(Function):
    def forward(self, a):
        self.a = a
        return np.arccos(a)

    def backward(self, g):
        return -g / np.sqrt(1 - self.a * self.a)

    def backward_graph(self, g):
        a = self.parents[0]
        return -g / sqrt(1 - a * a)


class Atan(Function):
    def forward(self, a):
        self.a = a
        return np.arctan(a)

    def backward(self, g):
        return g / (1 + self.a * self.a)

    def backward_graph(self, g):
        a = self.parents[0]
        return g / (1 + a * a)


class Sinh(Function):
    def forward(self, a):
        self.a = a
        return np.sinh(a)

    def backward(self, g):
        return g * np.cosh(self.a)

    def backward_graph(self, g):
        return g * cosh(self.parents[0])


class Cosh(Function):
    def forward(self, a):
        self.a = a
        return np.cosh(a)

    def backward(self, g):
        return g * np.sinh(self.a)

    def backward_graph(self, g):
        return g * sinh(self.parents[0])


class Tanh(Function):
    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)

    def backward_graph(self, g):
        t = tanh(self.parents[0])
        return g * (1 - t * t)


class Sigmoid(Function):
    def forward(self, a):
        # split by sign so exp never overflows
        e = np.exp(-np.abs(a))
        self.out = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        return self.out

    def backward(self, g):
        return g * self.out * (1 - self.out)

    def backward_graph(self, g):
        s = sigmoid(self.parents[0])
        return g * s * (1 - s)


class Relu(Function):
    """0 where the input is <= 0 (-inf and negatives give +0, as in PyTorch), the input elsewhere: a NaN
    is not <= 0, so it stays NaN and, as in PyTorch, passes its gradient. Both passes select with that
    one mask (np.where): in Pyodide's NumPy 3x faster than np.maximum with a scalar and than
    multiplying by the mask (a bool or uint8 to float cast), with no pass to look for NaNs, and a
    select gives 0 where PyTorch's does even for an infinite gradient. Integers and meta arrays
    (np.where is no ufunc) take np.maximum."""
    reads_parents = False

    def forward(self, a):
        self.zeroed = a <= 0
        if type(a) is np.ndarray and a.dtype.kind == "f":
            return np.where(self.zeroed, a.dtype.type(0), a)
        return np.maximum(a, 0, dtype=a.dtype)

    def backward(self, g):
        return np.where(self.zeroed, g.dtype.type(0), g)

    def backward_graph(self, g):
        a = self.parents[0]
        if a._ctx is not self.parent_ctxs[0]:  # relu_ (inplace=True): the input now holds the output
            return g * Tensor._make(np.logical_not(self.zeroed).astype(g.array.dtype))
        return g * locally_constant(a, lambda v: np.logical_not(v <= 0))


class Erf(Function):
    def forward(self, a):
        self.a = a
        return _erf(a)

    def backward(self, g):
        return g * (2 / np.sqrt(np.pi)) * np.exp(-self.a * self.a)

    def backward_graph(self, g):
        a = self.parents[0]
        return g * float(2 / np.sqrt(np.pi)) * exp(-a * a)


def _erf(x: np.ndarray) -> np.ndarray:
    """erf without SciPy: float64 Abramowitz-Stegun 7.1.26 refined (max error ~1e-7)."""
    x64 = x.astype(np.float64)
    s = np.sign(x64)
    a = np.abs(x64)
    t = 1.0 / (1.0 + 0.5 * a)
    # Numerical Recipes erfc approximation (fractional error < 1.2e-7)
    y = t * np.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (
        0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
    return (s * (1.0 - y)).astype(x.dtype, copy=False)


def _unary(cls, float_only=True):
    def op(input, *, out=None):
        return cls.apply(_float_input(input) if float_only else input)

    op.__name__ = cls.__name__.lower()
    return op


exp = _unary(Exp)
expm1 = _unary(Expm1)
log = _unary(Log)
log1p = _unary(Log1p)
log2 = _unary(Log2)
log10 = _unary(Log10)
sqrt = _unary(Sqrt)
rsqrt = _unary(Rsqrt)
reciprocal = _unary(Reciprocal)
sin = _unary(Sin)
cos = _unary(Cos)
tan = _unary(Tan)
asin = _unary(Asin)
acos = _unary(Acos)
atan = _unary(Atan)
sinh = _unary(Sinh)
cosh = _unary(Cosh)
tanh = _unary(Tanh)
sigmoid = _unary(Sigmoid)
erf = _unary(Erf)


def relu(input, inplace=False):
    return Relu.apply(input)


def atan2(input, other):
    a, b, dt = _operands(input, other, float_result=True)
    y, x = _wrap(a), _wrap(b)
    return atan(y / x) + (x < 0).to(dt) * ((y >= 0).to(dt) * 2 - 1) * float(np.pi)


# ---- piecewise --------------------------------------------------------------------------
class Clamp(Function):
    torch_name = "ClampBackward1"
    reads_parents = False
    def forward(self, a, lo=None, hi=None):
        self.mask = np.ones(a.shape, dtype=bool)
        if lo is not None:
            self.mask &= a >= lo
        if hi is not None:
            self.mask &= a <= hi
        return np.clip(a, lo, hi)

    def backward(self, g):
        return g * self.mask

    def backward_graph(self, g):
        return g * Tensor._make(self.mask.astype(g.array.dtype))


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min if isinstance(min, Tensor) else _wrap(min).to(input.dtype))
        if max is not None:
            out = minimum(out, max if isinstance(max, Tensor) else _wrap(max).to(input.dtype))
        return out
    if input.array.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        input = _float_input(input)
    return Clamp.apply(input, lo=min, hi=max)


clip = clamp


class Maximum(Function):
    reads_parents = False
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        ga = g * ((a > b) + 0.5 * (a == b))
        gb = g * ((b > a) + 0.5 * (a == b))
        return ga, gb

    def backward_graph(self, g):
        a, b = self.a, self.b
        return g * Tensor._make(((a > b) + 0.5 * (a == b)).astype(g.array.dtype)), \
            g * Tensor._make(((b > a) + 0.5 * (a == b)).astype(g.array.dtype))


class Minimum(Function):
    reads_parents = False
    def forward(self, a, b):
        self.a, self.b = a, b
        return np.minimum(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        ga = g * ((a < b) + 0.5 * (a == b))
        gb = g * ((b < a) + 0.5 * (a == b))
        return ga, gb

    def backward_graph(self, g):
        a, b = self.a, self.b
        return g * Tensor._make(((a < b) + 0.5 * (a == b)).astype(g.array.dtype)), \
            g * Tensor._make(((b < a) + 0.5 * (a == b)).astype(g.array.dtype))


def maximum(input, other):
    return _binary(Maximum, input, other)


def minimum(input, other):
    return _binary(Minimum, input, other)


class Where(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, cond, a, b):
        self.cond = cond
        return np.where(cond, a, b)

    def backward(self, g):
        c = self.cond
        return None, g * c, g * ~c

    def backward_graph(self, g):
        c = Tensor._make(self.cond)
        zero = Tensor._make(np.zeros((), g.array.dtype))
        return None, where(c, g, zero), where(c, zero, g)


def where(condition, input=None, other=None):
    if input is None and other is None:
        return tuple(Tensor._make(i) for i in np.nonzero(condition.array))
    cond = condition.array if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        from .linalg import _title

        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {_title(condition)}")
    shape = cond.shape
    for x in (input, other):
        if isinstance(x, Tensor) and x.array.shape != shape:
            shape = broadcast_shape(shape, x.array.shape)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = _wrap(input)
    if isinstance(input, Tensor):
        a, b, dt = _operands(input, other)
    else:
        b, a, dt = _operands(other, input)
    a, b = _wrap(a) if not isinstance(a, Tensor) else a, _wrap(b) if not isinstance(b, Tensor) else b
    a = a if a.array.dtype == dt.np else cast(a, dt)
    b = b if b.array.dtype == dt.np else cast(b, dt)
    return Where.apply(Tensor._make(cond), a, b)


def lerp(input, end, weight):
    return input + (end - input) * weight


# ---- piecewise constant: zero gradient, as in PyTorch --------------------------------------
class _Step(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, a, np_fn, kwargs):
        return np_fn(a, **kwargs)

    def backward(self, g):
        return np.zeros_like(g)

    def backward_graph(self, g):
        return Tensor._make(np.zeros_like(g.array))


def _step(np_fn):
    name = f"{np_fn.__name__.capitalize()}Backward0"
    def op(input, **kwargs):
        if input.array.dtype.kind != "f":
            return Tensor._make(np_fn(input.array, **kwargs))
        return named(_Step.apply(input, np_fn=np_fn, kwargs=kwargs), name)

    op.__name__ = np_fn.__name__
    return op


sign, floor, ceil, trunc = _step(np.sign), _step(np.floor), _step(np.ceil), _step(np.trunc)
_round = _step(np.round)


def round(input, *, decimals=0):
    return _round(input, decimals=decimals)


def _compare(np_fn):
    def op(input, other):
        a = input.array if isinstance(input, Tensor) else input
        b = other.array if isinstance(other, Tensor) else other
        if isinstance(input, Tensor) and isinstance(other, Tensor) and a.shape != b.shape:
            broadcast_shape(a.shape, b.shape)
        return Tensor._make(np.asanyarray(np_fn(a, b)))  # asanyarray: a meta result stays meta

    return op


eq, ne, lt, le, gt, ge = (_compare(f) for f in (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal))
logical_and, logical_or, logical_xor = (_compare(f) for f in (np.logical_and, np.logical_or, np.logical_xor))


def logical_not(input):
    return Tensor._make(np.logical_not(input.array))


def bitwise_not(input):
    return Tensor._make(np.invert(input.array))


def isnan(input):
    return Tensor._make(np.isnan(input.array))


def isinf(input):
    return Tensor._make(np.isinf(input.array))


def isfinite(input):
    return Tensor._make(np.isfinite(input.array))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return Tensor._make(np.nan_to_num(input.array, nan=nan, posinf=posinf, neginf=neginf))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return Tensor._make(np.isclose(input.array, other.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(np.allclose(input.array, other.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other) -> bool:
    return input.array.shape == other.array.shape and bool(np.array_equal(input.array, other.array))


# ---- in-place variants ------------------------------------------------------------------
def _inplace(fn):
    def op(self, *args, **kwargs):
        self._check_inplace()
        result = fn(self, *args, **kwargs)
        if result.array.dtype != self.array.dtype:  # the result keeps self's dtype, if it can
            if result.dtype._rank > self.dtype._rank:
                from .linalg import _title

                raise RuntimeError(f"result type {_title(result)} can't be cast to the desired output type {_title(self)}")
            result = cast(result, self.dtype)
        return self._assign(result)

    return op


def _fill_(self, value):
    self._check_inplace()
    v = value.item() if isinstance(value, Tensor) else value
    if self.requires_grad and _grad_enabled():
        return self._assign(Tensor._make(np.full_like(self.array, v)) * 1)
    self.array[...] = v
    return self


def _zero_(self):
    return _fill_(self, 0)


def _copy_(self, src, non_blocking=False):
    self._check_inplace()
    src = src if isinstance(src, Tensor) else _wrap(src)
    if src.requires_grad and _grad_enabled():
        g = cast(src, self.dtype) if src.array.dtype != self.array.dtype else src
        return self._assign(Tensor._make(np.zeros_like(self.array)) + g)
    np.copyto(self.array, np.broadcast_to(src.array, self.array.shape), casting="unsafe")
    return self


def _grad_enabled():
    from .. import grad_mode

    return grad_mode._enabled


def _rsub(self, other):
    return named(sub(other, self), "RsubBackward1")


def _rdiv(self, other):
    return named(div(other, self), "MulBackward0")


def _rpow(self, other):
    return named(_binary(Pow, other, self), "PowBackward2" if not isinstance(other, Tensor) else "PowBackward1")


def _rfloordiv(self, other):
    return floor_divide(other, self)


def _rmod(self, other):
    return remainder(other, self)


def _invert(self):
    if self.array.dtype == np.bool_:
        return logical_not(self)
    return bitwise_not(self)


def _and(self, other):
    return logical_and(self, other) if self.array.dtype == np.bool_ else Tensor._make(np.bitwise_and(self.array, _arr(other)))


def _or(self, other):
    return logical_or(self, other) if self.array.dtype == np.bool_ else Tensor._make(np.bitwise_or(self.array, _arr(other)))


def _xor(self, other):
    return logical_xor(self, other) if self.array.dtype == np.bool_ else Tensor._make(np.bitwise_xor(self.array, _arr(other)))


def _arr(x):
    return x.array if isinstance(x, Tensor) else x


METHODS = {
    "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": _rsub, "__mul__": mul, "__rmul__": mul,
    "__truediv__": div, "__rtruediv__": _rdiv, "__floordiv__": floor_divide, "__rfloordiv__": _rfloordiv,
    "__mod__": remainder, "__rmod__": _rmod, "__pow__": pow, "__rpow__": _rpow, "__neg__": neg, "__pos__": lambda s: s,
    "__abs__": abs, "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    "__invert__": _invert, "__and__": _and, "__or__": _or, "__xor__": _xor, "__rand__": _and, "__ror__": _or,
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod, "pow": pow, "neg": neg,
    "negative": neg, "abs": abs, "absolute": abs, "exp": exp, "expm1": expm1, "log": log, "log1p": log1p, "log2": log2,
    "log10": log10, "sqrt": sqrt, "rsqrt": rsqrt, "square": square, "reciprocal": reciprocal, "sin": sin, "cos": cos,
    "tan": tan, "asin": asin, "acos": acos, "atan": atan, "arcsin": asin, "arccos": acos, "arctan": atan, "sinh": sinh,
    "cosh": cosh, "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "erf": erf, "clamp": clamp, "clip": clip,
    "maximum": maximum, "minimum": minimum, "sign": sign, "floor": floor, "ceil": ceil, "round": round, "trunc": trunc,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt, "less": lt, "logical_and": logical_and,
    "logical_or": logical_or, "logical_not": logical_not, "logical_xor": logical_xor, "isnan": isnan, "isinf": isinf,
    "isfinite": isfinite, "nan_to_num": nan_to_num, "lerp": lerp, "allclose": allclose, "isclose": isclose,
    "equal": equal, "where": lambda self, cond, other: where(cond, self, other), "atan2": atan2,
    "fill_": _fill_, "zero_": _zero_, "copy_": _copy_,
}

for _name in ("add", "sub", "mul", "div", "pow", "clamp", "clip", "exp", "log", "sqrt", "neg", "abs", "sigmoid",
              "tanh", "relu", "floor", "ceil", "round", "trunc", "sign", "sin", "cos", "remainder", "fmod",
              "reciprocal", "square", "maximum", "minimum", "lerp", "floor_divide", "true_divide", "log1p", "rsqrt",
              "expm1", "nan_to_num"):
    METHODS[_name + "_"] = _inplace(METHODS[_name])
METHODS.update({"__iadd__": METHODS["add_"], "__isub__": METHODS["sub_"], "__imul__": METHODS["mul_"],
                "__itruediv__": METHODS["div_"]})
