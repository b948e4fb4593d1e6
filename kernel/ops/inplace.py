"""In-place forms PyTorch has that the op modules do not define themselves: the remaining unary
math and logical ops (`x.asin_()`, `x.logical_not_()`), the `arc*` aliases at `torch.` level, and
the shape-changing in-place views `unsqueeze_`, `squeeze_`, `t_`, `transpose_`, `swapdims_`, and
the `torch.` spellings of the Tensor's in-place methods (`torch.sin_(x)` is `x.sin_()`)."""

from __future__ import annotations

from ..function import named
from ..tensor import Tensor
from . import elementwise as ew
from . import shape

__all__ = ["arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "asinh", "acosh", "atanh"]

arcsin, arccos, arctan = ew.asin, ew.acos, ew.atan


def _float_unary(np_name: str, grad):
    """asinh/acosh/atanh through the Function of `ew._unary` style: forward from NumPy, backward `grad(a)`."""
    import numpy as np

    from ..function import Function

    class Op(Function):
        def forward(self, a):
            self.a = a
            return getattr(np, np_name)(a)

        def backward(self, g):
            return g * grad(self.a)

    Op.__name__ = np_name.capitalize().replace("Arc", "A")

    def op(input):
        return Op.apply(ew._float_input(input))

    op.__name__ = np_name
    return op


asinh = _float_unary("arcsinh", lambda a: 1 / (a * a + 1) ** 0.5)
acosh = _float_unary("arccosh", lambda a: 1 / (a * a - 1) ** 0.5)
atanh = _float_unary("arctanh", lambda a: 1 / (1 - a * a))
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def _shape_inplace(fn, torch_name: str):
    """A view op made in-place: the tensor takes the new shape (and, in the graph, the new node)."""

    def op(self, *args, **kwargs):
        self._check_inplace()
        if fn is shape.t and self.array.ndim > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.array.ndim}D")
        # the node's input is a stand-in holding the old shape: the engine reduces gradients to it
        before = Tensor._make(self.array, self.requires_grad, self._ctx) if self._ctx is not None else self
        result = fn(before, *args, **kwargs)
        if result is before:
            return self
        if result._ctx is not None:
            named(result, torch_name)
            self._assign(result)
        else:
            self.array = result.array
        return self

    op.__name__ = fn.__name__ + "_"
    return op


METHODS = {
    "asinh": asinh, "acosh": acosh, "atanh": atanh, "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh,
    "unsqueeze_": _shape_inplace(shape.unsqueeze, "UnsqueezeBackward1"),
    "squeeze_": _shape_inplace(shape.squeeze, "SqueezeBackward3"),
    "t_": _shape_inplace(shape.t, "TBackward1"),
    "transpose_": _shape_inplace(shape.transpose, "TransposeBackward1"),
    "swapdims_": _shape_inplace(shape.transpose, "TransposeBackward1"),
    "swapaxes_": _shape_inplace(shape.transpose, "TransposeBackward1"),
}
for _name, _fn in {"asin": ew.asin, "acos": ew.acos, "atan": ew.atan, "arcsin": ew.asin, "arccos": ew.acos,
                   "arctan": ew.atan, "tan": ew.tan, "sinh": ew.sinh, "cosh": ew.cosh, "log2": ew.log2,
                   "log10": ew.log10, "erf": ew.erf, "logical_not": ew.logical_not, "logical_and": ew.logical_and,
                   "logical_or": ew.logical_or, "logical_xor": ew.logical_xor, "asinh": asinh, "acosh": acosh,
                   "atanh": atanh, "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh, "atan2": ew.atan2,
                   "arctan2": ew.atan2}.items():
    METHODS[_name + "_"] = ew._inplace(_fn)


# torch.sin_(x), torch.relu_(x), ...: PyTorch's functions for the in-place methods the kernel's Tensor has
TORCH_INPLACE = ("abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
                 "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clip_", "cos_", "cosh_", "detach_", "erf_",
                 "exp_", "expm1_", "fill_", "floor_", "log10_", "log1p_", "log2_", "log_", "nan_to_num_", "neg_",
                 "reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinh_", "sqrt_", "square_", "tan_",
                 "tanh_", "trunc_", "zero_")


def _torch_inplace(name: str):
    def op(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    op.__name__ = name
    return op


for _name in TORCH_INPLACE:
    globals()[_name] = _torch_inplace(_name)
__all__ += list(TORCH_INPLACE)
