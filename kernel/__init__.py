"""torchpad.kernel: a pure Python + NumPy stand-in for `torch`, for the browser.

User code reaches it as `torch` through `torchpad.kernel.alias` (see there). Only the
names below are public; they follow PyTorch's names, defaults and error messages.
"""

import warnings as _warnings

# PyTorch computes inf/nan silently; NumPy's floating-point RuntimeWarnings from our ops would be noise.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"torchpad\.kernel\.")

from .tensor import Size, Tensor, typed_tensor_class as _typed  # noqa: E402,F401  (first: the op modules import it)
from . import autograd, cuda, random as _random  # noqa: F401
from .creation import (  # noqa: F401
    arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full, full_like, linspace, logspace,
    multinomial, normal, ones, ones_like, rand, rand_like, randint, randint_like, randn, randn_like, randperm,
    tensor, zeros, zeros_like,
)
from .device import device, get_default_device, set_default_device  # noqa: F401
from .dtypes import (  # noqa: F401
    bool_ as bool, dtype, float16, float32, float64, get_default_dtype, int8, int16, int32, int64,
    set_default_dtype, uint8,
)
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .ops import *  # noqa: F401,F403

del linalg  # noqa: F821  (ops' star export brought ops.linalg; torch.linalg is kernel/linalg.py, loaded on use)
from .printing import set_printoptions  # noqa: F401
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state  # noqa: F401
from .serialization import load, save  # noqa: F401
from ._compile import compile  # noqa: F401,A001
from .amp import autocast  # noqa: F401
from . import _out_arg  # noqa: E402

_out_arg.install(globals(), Tensor)  # out= on the functions that take it in PyTorch; Tensor methods refuse it

__version__ = "2.13.0+torchpad"

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
cfloat = None
FloatTensor = Tensor
DoubleTensor, LongTensor, IntTensor, BoolTensor, ByteTensor = (
    _typed(n, d) for n, d in (("DoubleTensor", float64), ("LongTensor", int64), ("IntTensor", int32),
                              ("BoolTensor", bool), ("ByteTensor", uint8))
)


def is_tensor(obj) -> "bool":
    return isinstance(obj, Tensor)


def numel(input) -> "int":
    return input.numel()


def __getattr__(name: str):
    # `import torch` alone makes torch.nn / torch.optim / torch.utils.data reachable, as in PyTorch;
    # loaded on first use so that importing the kernel stays fast.
    if name in ("nn", "optim", "utils", "linalg", "functional", "distributions", "jit", "amp", "distributed"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'torch' has no attribute '{name}'")
