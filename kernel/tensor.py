"""The Tensor: a NumPy array (`.array`), its autograd state, and PyTorch's methods.

Methods are thin: each forwards to an op in `ops/`, where the Function (forward and
backward) and PyTorch's error checks live.
"""

from __future__ import annotations

import weakref

import numpy as np

from . import dtypes, grad_mode, meta
from .hooks import RemovableHandle
from .device import device as Device, check_device

_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated "
    "during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use "
    ".retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf "
    "Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)


class Tensor:
    __slots__ = ("array", "requires_grad", "_grad", "_ctx", "_retains_grad", "_hooks", "__weakref__")
    __array_priority__ = 1000  # numpy scalars defer to our reflected operators

    def __new__(cls, *args, **kwargs):
        """The legacy constructor: `torch.Tensor([1, 2])` copies data, `torch.Tensor(2, 3)` makes a shape."""
        return _legacy_new(dtypes.float32, args)

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def _make(array: np.ndarray, requires_grad: bool = False, ctx=None) -> "Tensor":
        t = object.__new__(Tensor)
        t.array = array
        t.requires_grad = requires_grad
        t._grad = None
        t._ctx = ctx
        t._retains_grad = False
        t._hooks = None
        return t

    # ---- attributes -------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self.array.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self.array.shape)
        return self.array.shape[_wrap_dim(dim, self.array.ndim)]

    def dim(self) -> int:
        return self.array.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def numel(self) -> int:
        return int(self.array.size)

    nelement = numel

    def element_size(self) -> int:
        return self.array.itemsize

    @property
    def dtype(self):
        return dtypes.from_numpy(self.array.dtype)

    @property
    def device(self):
        return Device("meta") if type(self.array) is meta.MetaArray else Device("cpu")

    @property
    def is_meta(self) -> bool:
        return type(self.array) is meta.MetaArray

    @property
    def is_cpu(self) -> bool:
        return type(self.array) is not meta.MetaArray

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def grad(self):
        """The accumulated gradient; a non-leaf has none unless retain_grad() was called (PyTorch warns)."""
        if self._ctx is not None and not self._retains_grad:
            import warnings

            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.array.shape != self.array.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '[{', '.join(map(str, value.array.shape))}]' to a tensor of "
                    f"size '[{', '.join(map(str, self.array.shape))}]'. Please ensure that the gradient and the tensor are "
                    "the same size"
                )
            if value.array.dtype != self.array.dtype:
                from .ops.linalg import _dn, _title

                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_dn(value)}' to a tensor with grad_dtype '{_title(self)}'. "
                    "The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
                    "tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with "
                    "caution. Diverging the dtypes of a tensor and its gradient may break downstream systems that assume "
                    "they match."
                )
        self._grad = value

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def data(self) -> "Tensor":
        return Tensor._make(self.array)

    @data.setter
    def data(self, other: "Tensor") -> None:
        self.array = other.array

    @property
    def T(self) -> "Tensor":
        return self.permute(*reversed(range(self.array.ndim)))

    @property
    def mT(self) -> "Tensor":
        return self.transpose(-2, -1)

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self.array.flags.c_contiguous)

    def stride(self, dim=None):
        s = tuple(x // self.array.itemsize for x in self.array.strides)
        return s if dim is None else s[_wrap_dim(dim, self.array.ndim)]

    def data_ptr(self) -> int:
        return self.array.__array_interface__["data"][0]

    # ---- conversions ------------------------------------------------------------------
    def item(self):
        if self.array.size != 1:
            raise RuntimeError(f"a Tensor with {self.array.size} elements cannot be converted to Scalar")
        if self.is_meta:
            raise RuntimeError(meta.NO_ITEM)
        return self.array.reshape(()).item()

    def tolist(self):
        if self.is_meta:
            raise NotImplementedError(meta.NO_DATA)
        return self.array.tolist()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.is_meta:
            raise TypeError(meta.NO_NUMPY)
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self.array

    def __array__(self, dtype=None, copy=None):
        if self.is_meta:
            raise TypeError(meta.NO_NUMPY)
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self.array if dtype is None else self.array.astype(dtype)

    def detach(self) -> "Tensor":
        return Tensor._make(self.array)

    def detach_(self) -> "Tensor":
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self, *, memory_format=None) -> "Tensor":
        return ops.clone(self)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed variable "
                "in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        if requires_grad and self.array.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        if self._ctx is not None:
            self._retains_grad = True
            self._bind_to_node()

    def to(self, *args, **kwargs) -> "Tensor":
        dtype = to_args_dtype(args, kwargs)
        out = self
        if dtype is not None and dtypes.to_dtype(dtype).np != self.array.dtype:
            out = ops.cast(self, dtypes.to_dtype(dtype))
        target = to_args_device(args, kwargs)
        if target is not None and (target.type == "meta") != out.is_meta:
            out = _to_device(out, target.type)
        return out

    def type(self, dtype=None):
        if dtype is None:
            return f"torch.{self.dtype.scalar_name}Tensor"
        return self.to(dtype)

    def cpu(self) -> "Tensor":
        return _to_device(self, "cpu") if self.is_meta else self

    def cuda(self, device=None) -> "Tensor":
        check_device("cuda")
        return self

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def half(self) -> "Tensor":
        return self.to(dtypes.float16)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        return self.to(dtypes.int32)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        if self.array.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self) -> int:
        if self.array.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iub" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self.is_meta and spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        if self.array.ndim == 0 and not self.is_meta:
            return self.item().__format__(spec)
        return repr(self).__format__(spec)

    def __reduce_ex__(self, proto):
        return (_rebuild, (self.array, self.requires_grad))

    # ---- autograd ---------------------------------------------------------------------
    def _accumulate_grad(self, g: np.ndarray) -> None:
        if self.is_meta:  # a meta leaf's gradient is meta: only its shape and dtype exist
            self._grad = Tensor._make(meta.like(self.array))
        elif self._grad is None:
            self._grad = Tensor._make(np.array(g, dtype=self.array.dtype, copy=True))
        else:
            self._grad.array = self._grad.array + g

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        from .autograd import backward

        backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call `hook(grad)` with this tensor's whole gradient during backward; a tensor it returns replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._hooks is None:
            self._hooks = {}
        if self._ctx is not None:
            self._bind_to_node()
        return RemovableHandle(self._hooks, hook)

    def _bind_to_node(self) -> None:
        """Let the engine find this tensor from its node, to run its hooks and fill a retained .grad."""
        self._ctx.output_ref = weakref.ref(self)

    # ---- in-place support ---------------------------------------------------------------
    def _check_inplace(self) -> None:
        if self._ctx is None and self.requires_grad and grad_mode._enabled:
            raise RuntimeError(_LEAF_INPLACE)

    def _assign(self, result: "Tensor") -> "Tensor":
        """Make `self` hold `result` (the in-place ops' last step).

        Outside the graph the values are written into the existing array, so views see them.
        In the graph the tensor takes the new node, as PyTorch's in-place ops do.
        """
        if result._ctx is not None:
            self.array = result.array
            self._ctx = result._ctx
            self.requires_grad = True
            if self._retains_grad or self._hooks:  # they follow the tensor to its new node
                self._bind_to_node()
        else:
            if result.array.shape != self.array.shape:
                np.copyto(self.array, np.broadcast_to(result.array, self.array.shape), casting="unsafe")
            else:
                np.copyto(self.array, result.array, casting="unsafe")
        return self


Tensor.__module__ = "torch"  # type(x) prints <class 'torch.Tensor'>, as in PyTorch


class Size(tuple):
    """torch.Size: a tuple that prints as PyTorch's."""

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(int(n)) for n in self)}])"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def to_args_dtype(args: tuple, kwargs: dict):
    """The dtype asked for by `.to(...)`'s arguments (None if none); checks any device given."""
    dtype = kwargs.get("dtype")
    for a in list(args) + [kwargs.get("device")]:
        if isinstance(a, dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif a is not None:
            check_device(a)
    return dtype


def to_args_device(args: tuple, kwargs: dict):
    """The device asked for by `.to(...)`'s arguments (None if none): a string or device, or another tensor's."""
    for a in list(args) + [kwargs.get("device")]:
        if isinstance(a, Tensor):
            return a.device
        if isinstance(a, (str, Device)):
            return Device(a)
    return None


def _to_device(t: "Tensor", kind: str) -> "Tensor":
    """A copy of t on the CPU or the meta device; a meta tensor has no data to copy to the CPU (PyTorch's error)."""
    if kind != "meta":
        raise NotImplementedError(meta.NO_DATA)
    from .meta_copy import to_meta

    return to_meta(t)


def _wrap_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _legacy_new(dtype, args) -> "Tensor":
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        data = args[0]
        if isinstance(data, Size):
            return Tensor._make(np.zeros(tuple(data), dtype.np))
        return creation.tensor(data.array if isinstance(data, Tensor) else data, dtype=dtype)
    return Tensor._make(np.zeros(tuple(int(a) for a in args) if args else (0,), dtype.np))


def typed_tensor_class(name: str, dtype) -> type:
    """torch.LongTensor etc.: calling one builds a Tensor of that dtype (legacy constructors)."""
    return type(name, (), {"__new__": lambda cls, *args: _legacy_new(dtype, args), "__doc__": f"Legacy torch.{name}."})


def _rebuild(array, requires_grad):
    return Tensor._make(array, requires_grad)


from . import creation, ops  # noqa: E402  (they import Tensor; its methods forward to them)

ops.install_methods(Tensor, creation.METHODS)
