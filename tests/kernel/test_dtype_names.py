"""The dtype object is the one place for the names PyTorch's messages use: c10's ScalarType
("expected scalar type Float but found Half") and the C++ element type ("c10::Half != float").
Each is checked against the message real PyTorch gives, for every dtype the kernel has."""

import pytest
import torch as T

import torchpad.kernel as K
from torchpad.kernel import dtypes

from .parity import same_error

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _ones(lib, name, *shape):
    return lib.ones(*shape, dtype=getattr(lib, name))


@pytest.mark.parametrize("name", NAMES)
def test_cpp_names_are_pytorchs_matmul_message(name):
    other = "float64" if name == "float32" else "float32"
    message = same_error(lambda: _ones(K, name, 2, 2) @ _ones(K, other, 2, 2), lambda: _ones(T, name, 2, 2) @ _ones(T, other, 2, 2))
    assert message.endswith(f"{getattr(dtypes, name if name != 'bool' else 'bool_').cpp_name} != {getattr(K, other).cpp_name}")
    same_error(lambda: K.nn.functional.linear(_ones(K, name, 2, 2), _ones(K, other, 2, 2)),
               lambda: T.nn.functional.linear(_ones(T, name, 2, 2), _ones(T, other, 2, 2)))


@pytest.mark.parametrize("name", [n for n in NAMES if n != "int64"])
def test_scalar_names_are_pytorchs_index_dtype_message(name):
    if name != "int32":  # index_add_ takes int32 and int64 indices
        message = same_error(lambda: K.zeros(3).index_add_(0, _ones(K, name, 1), K.ones(1)),
                             lambda: T.zeros(3).index_add_(0, _ones(T, name, 1), T.ones(1)))
        assert message.endswith(getattr(K, name).scalar_name)
    same_error(lambda: K.zeros(3).index_copy(0, _ones(K, name, 1), K.ones(1)),
               lambda: T.zeros(3).index_copy(0, _ones(T, name, 1), T.ones(1)))
    same_error(lambda: K.zeros(3).index_fill_(0, _ones(K, name, 1), 1.0), lambda: T.zeros(3).index_fill_(0, _ones(T, name, 1), 1.0))


@pytest.mark.parametrize("name", NAMES)
def test_tensor_type_names(name):
    assert _ones(K, name, 1).type() == _ones(T, name, 1).type()


@pytest.mark.parametrize("name", ["float16", "float64", "int64"])
def test_conv_weight_and_bias_dtype_messages(name):
    x = (K.ones(1, 1, 3, 3), T.ones(1, 1, 3, 3))
    same_error(lambda: K.nn.functional.conv2d(x[0], K.ones(1, 1, 2, 2), _ones(K, name, 1)),
               lambda: T.nn.functional.conv2d(x[1], T.ones(1, 1, 2, 2), _ones(T, name, 1)))
    same_error(lambda: K.nn.functional.conv2d(x[0], _ones(K, name, 1, 1, 2, 2)),
               lambda: T.nn.functional.conv2d(x[1], _ones(T, name, 1, 1, 2, 2)))


@pytest.mark.parametrize("name", ["int32", "int64", "int16", "uint8", "bool"])
def test_mean_of_a_non_float_tensor(name):
    same_error(lambda: _ones(K, name, 2).mean(), lambda: _ones(T, name, 2).mean())
