"""Tensor factories: tensor, zeros, ones, full, arange, rand, randn, ... with PyTorch's dtype rules."""

from __future__ import annotations

import numpy as np

from . import dtypes, meta, random
from .device import is_meta
from .tensor import Tensor


def _finish(array: np.ndarray, requires_grad: bool = False, device=None) -> Tensor:
    """The new tensor, made shape-only when its device (given, or else the default) is meta."""
    if is_meta(device):
        array = meta.like(array)
    t = Tensor._make(array)
    if requires_grad:
        if array.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _infer_dtype(data) -> dtypes.dtype:
    """PyTorch's dtype for nested Python data: bool < int64 < default float."""
    kind = 0
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            if x.dtype.is_floating_point:
                return dtypes.get_default_dtype() if x.array.ndim == 0 else x.dtype
            kind = max(kind, x.dtype._rank)
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            pass
        elif isinstance(x, (int, np.integer)):
            kind = max(kind, 1)
        elif isinstance(x, (float, np.floating)):
            return dtypes.get_default_dtype()
        else:
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    return (dtypes.bool_, dtypes.int64)[kind] if kind < 2 else dtypes.get_default_dtype()


def _to_nested(data):
    if isinstance(data, Tensor):
        return data.array
    if isinstance(data, (list, tuple)):
        return [_to_nested(x) for x in data]
    return data


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    if isinstance(data, np.ndarray):
        arr = np.array(data, dtype=dtypes.to_dtype(dtype).np if dtype is not None else None, copy=True)
        dtypes.from_numpy(arr.dtype)
    else:
        dt = dtypes.to_dtype(dtype) if dtype is not None else _infer_dtype(data)
        try:
            arr = np.array(_to_nested(data), dtype=dt.np)
        except ValueError as e:
            raise ValueError(f"expected sequence of length {len(data[0]) if data else 0} at dim 1 (got {_first_bad(data)})") from None
    return _finish(arr, requires_grad, device)


def _first_bad(data):
    try:
        n = len(data[0])
        for row in data[1:]:
            if len(row) != n:
                return len(row)
    except TypeError:
        pass
    return "?"


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtypes.to_dtype(dtype).np == data.dtype):
        dtypes.from_numpy(data.dtype)
        return _finish(data, device=device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    dtypes.from_numpy(ndarray.dtype)
    return Tensor._make(ndarray)


def _dt(dtype, default=None):
    return (dtypes.to_dtype(dtype) if dtype is not None else (default or dtypes.get_default_dtype())).np


def _filled(shape: tuple, dt, device, requires_grad: bool, fill) -> Tensor:
    """A tensor of `shape`: on the meta device nothing is allocated (any size), else `fill(shape, dt)`."""
    if is_meta(device):
        return _finish(meta.empty(shape, dt), requires_grad)
    return _finish(fill(shape, dt), requires_grad, "cpu")


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    return _filled(_size(size), _dt(dtype), device, requires_grad, np.zeros)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    return _filled(_size(size), _dt(dtype), device, requires_grad, np.ones)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None) -> Tensor:
    return _filled(_size(size), _dt(dtype), device, requires_grad, np.zeros)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _filled(_size((size,)), _dt(dtype), device, requires_grad, lambda shape, dt: np.full(shape, fill_value, dt))


def _like(t: Tensor, dtype):
    return dtypes.to_dtype(dtype).np if dtype is not None else t.array.dtype


def _same_device(t: Tensor, device):
    """*_like and new_* factories make their tensor on `t`'s device unless given one."""
    return device if device is not None else t.device


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return _filled(input.array.shape, _like(input, dtype), _same_device(input, device), requires_grad, np.zeros)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return _filled(input.array.shape, _like(input, dtype), _same_device(input, device), requires_grad, np.ones)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return full(input.array.shape, fill_value, dtype=_like(input, dtype), device=_same_device(input, device),
                requires_grad=requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return rand(*input.array.shape, dtype=dtype or input.dtype, device=_same_device(input, device), requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return randn(*input.array.shape, dtype=dtype or input.dtype, device=_same_device(input, device), requires_grad=requires_grad)


def randint_like(input, low=0, high=None, dtype=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input.array.shape, dtype=dtype or input.dtype, device=_same_device(input, device),
                   requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = dtypes.get_default_dtype() if any(isinstance(v, float) for v in vals) else dtypes.int64
    return _finish(np.arange(*vals, dtype=_dt(dtype)), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    return _finish(np.linspace(start, end, int(steps), dtype=_dt(dtype)), requires_grad, device)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(np.logspace(start, end, int(steps), base=base, dtype=_dt(dtype)), requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    return _finish(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    dt = _dt(dtype)
    if is_meta(device):
        return _filled(_size(size), dt, device, requires_grad, None)
    return _finish(random.generator_rng(generator).random(_size(size), dtype=np.float64).astype(dt), requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    dt = _dt(dtype)
    if is_meta(device):
        return _filled(_size(size), dt, device, requires_grad, None)
    g = random.generator_rng(generator)
    arr = g.standard_normal(_size(size), dtype=np.float32 if dt == np.float32 else np.float64)
    return _finish(arr.astype(dt, copy=False), requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if is_meta(device):
        return _filled(tuple(size), _dt(dtype, dtypes.int64), device, requires_grad, None)
    arr = random.generator_rng(generator).integers(low, high, size=tuple(size), dtype=np.int64)
    return _finish(arr.astype(_dt(dtype, dtypes.int64), copy=False), requires_grad, device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    return _finish(random.generator_rng(generator).permutation(int(n)).astype(_dt(dtype, dtypes.int64)), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None) -> Tensor:
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    shape = tuple(size) if size is not None else np.broadcast(np.asarray(m), np.asarray(s)).shape
    dt = mean.array.dtype if isinstance(mean, Tensor) else (std.array.dtype if isinstance(std, Tensor) else dtypes.get_default_dtype().np)
    return Tensor._make((random.generator_rng(generator).standard_normal(shape) * s + m).astype(dt))


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    probs = input.array if p is None else np.full(input.array.shape, p)
    return Tensor._make((random.generator_rng(generator).random(input.array.shape) < probs).astype(input.array.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    g = random.generator_rng(generator)
    p = input.array.astype(np.float64)
    rows = p.reshape(-1, p.shape[-1])
    out = np.stack([g.choice(rows.shape[1], size=num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return Tensor._make(out.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64))


# ---- in-place random fills (Tensor methods) -----------------------------------------------
def _uniform_(self, a=0.0, b=1.0, *, generator=None):
    self.array[...] = random.generator_rng(generator).uniform(a, b, self.array.shape)
    return self


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    self.array[...] = random.generator_rng(generator).normal(mean, std, self.array.shape)
    return self


def _bernoulli_(self, p=0.5, *, generator=None):
    self.array[...] = random.generator_rng(generator).random(self.array.shape) < p
    return self


def _random_(self, low=0, high=None, *, generator=None):
    if high is None:
        low, high = 0, low
    self.array[...] = random.generator_rng(generator).integers(low, high, self.array.shape)
    return self


def _new(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return fn(*size, dtype=dtype or self.dtype, device=_same_device(self, device), requires_grad=requires_grad)

    return method


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, device=_same_device(self, device), requires_grad=requires_grad)


def _new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, dtype=dtype or self.dtype, device=_same_device(self, device), requires_grad=requires_grad)


def _random_fill_guard(fn):
    def method(self, *args, **kwargs):
        self._check_inplace()
        if meta.is_meta(self.array):  # no data to fill
            return self
        return fn(self, *args, **kwargs)

    return method


METHODS = {
    "uniform_": _random_fill_guard(_uniform_), "normal_": _random_fill_guard(_normal_),
    "bernoulli_": _random_fill_guard(_bernoulli_), "random_": _random_fill_guard(_random_),
    "new_zeros": _new(zeros), "new_ones": _new(ones), "new_empty": _new(empty), "new_tensor": _new_tensor,
    "new_full": _new_full,
}
