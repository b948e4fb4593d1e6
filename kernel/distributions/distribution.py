"""The Distribution base: shapes, argument validation and the repr, as in PyTorch."""

from __future__ import annotations

import numpy as np

from .. import creation, dtypes
from ..tensor import Size, Tensor


class Constraint:
    """A named check on values; `name` prints as PyTorch's constraint repr."""

    def __init__(self, name: str, check) -> None:
        self.name, self.check = name, check

    def __repr__(self) -> str:
        return self.name


real = Constraint("Real()", lambda a: a == a)
positive = Constraint("GreaterThan(lower_bound=0.0)", lambda a: a > 0)
unit_interval = Constraint("Interval(lower_bound=0.0, upper_bound=1.0)", lambda a: (a >= 0) & (a <= 1))
boolean = Constraint("Boolean()", lambda a: (a == 0) | (a == 1))
simplex = Constraint("Simplex()", lambda a: np.all(a >= 0, -1) & (np.abs(a.sum(-1) - 1) < 1e-6))
real_vector = Constraint("IndependentConstraint(Real(), 1)", lambda a: np.all(a == a, -1))


def broadcast_all(*values):
    """Parameters as tensors of one broadcast shape (Python numbers take the default dtype)."""
    dtype = next((v.dtype for v in values if isinstance(v, Tensor)), dtypes.get_default_dtype())
    tensors = [v if isinstance(v, Tensor) else creation.tensor(float(v), dtype=dtype) for v in values]
    shape = np.broadcast_shapes(*(t.array.shape for t in tensors))
    return tuple(t if t.array.shape == shape else t.expand(*shape) for t in tensors)


class lazy_property:
    """A parameter computed from the other parameterization on first read, then kept in the instance's
    __dict__ (PyTorch's lazy_property): a value set in __init__ shadows it, and the repr and argument checks,
    which read __dict__, see only what was given or already computed."""

    def __init__(self, compute) -> None:
        self.compute, self.__doc__ = compute, compute.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


def _shape_str(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


class Distribution:
    has_rsample = False
    arg_constraints: dict = {}
    support = real
    _validate_args = True

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None) -> None:
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            for name, constraint in self.arg_constraints.items():
                if name not in self.__dict__:
                    continue
                value = self.__dict__[name]
                ok = constraint.check(value.detach().array)
                if not np.all(ok):
                    raise ValueError(
                        f"Expected parameter {name} (Tensor of shape {_shape_str(value.shape)}) of distribution "
                        f"{self!r} to satisfy the constraint {constraint!r}, but found invalid values:\n{value.detach()}")

    @property
    def batch_shape(self) -> Size:
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        return self._event_shape

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def _extended_shape(self, sample_shape=()) -> tuple:
        return tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape)

    def sample(self, sample_shape=()):
        from ..grad_mode import no_grad

        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError

    def enumerate_support(self, expand=True):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self)} does not implement mean")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self)} does not implement variance")

    def sample_n(self, n: int):
        return self.sample((n,))

    def _validate_sample(self, value) -> None:
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event = len(self._event_shape)
        if event and tuple(value.shape[-event:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: {value.shape} vs {self._event_shape}.")
        actual, expected = tuple(value.shape), tuple(self._batch_shape) + tuple(self._event_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: {Size(actual)} vs "
                                 f"{Size(expected)}.")
        if not np.all(self.support.check(value.detach().array)):
            raise ValueError(
                f"Expected value argument (Tensor of shape {_shape_str(value.shape)}) to be within the support "
                f"({self.support!r}) of the distribution {self!r}, but found invalid values:\n{value.detach()}")

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{p}: {self.__dict__[p] if self.__dict__[p].numel() == 1 else self.__dict__[p].size()}"
                         for p in names)
        return f"{type(self).__name__}({args})"
