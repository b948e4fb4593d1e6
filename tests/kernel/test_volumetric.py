"""Conv3d, MaxPool3d and AvgPool3d against real PyTorch: values, gradients, indices, errors."""

import pytest
import torch as T

from tests.kernel.opcheck import check, rand
from tests.kernel.parity import K, assert_close, same_error


@pytest.mark.parametrize("kwargs", [
    {}, {"stride": 2}, {"padding": 1}, {"padding": (1, 0, 2), "dilation": (1, 2, 1)}, {"groups": 2, "bias": False},
    {"padding": "same"}, {"stride": (1, 2, 1), "padding": 1},
])
def test_conv3d(kwargs):
    T.manual_seed(0)
    tm = T.nn.Conv3d(4, 6, 3, **kwargs)
    km = K.nn.Conv3d(4, 6, 3, **kwargs)
    km.load_state_dict({k: K.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    assert repr(km) == repr(tm)
    params = [p.detach().numpy() for p in tm.parameters()]

    def run(lib, x, *ps):
        w = ps[0]
        b = ps[1] if len(ps) > 1 else None
        return lib.nn.functional.conv3d(x, w, b, **{k: v for k, v in kwargs.items() if k != "bias"})

    check(run, rand(2, 4, 5, 6, 7, seed=1), *params, atol=1e-4)
    check(lambda lib, x, *ps: run(lib, x, *ps), rand(4, 5, 6, 7, seed=2), *params, atol=1e-4)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1}, {"kernel_size": (2, 3, 2), "dilation": (1, 1, 2)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True}, {"kernel_size": 2, "stride": 1},
])
def test_max_pool3d(kwargs):
    check(lambda lib, x: lib.nn.MaxPool3d(**kwargs)(x), rand(2, 3, 5, 6, 7, seed=3))
    check(lambda lib, x: lib.nn.functional.max_pool3d(x, **kwargs), rand(3, 5, 6, 7, seed=4))
    ky, ki = K.nn.MaxPool3d(return_indices=True, **kwargs)(K.tensor(rand(2, 3, 5, 6, 7, seed=3)))
    ty, ti = T.nn.MaxPool3d(return_indices=True, **kwargs)(T.tensor(rand(2, 3, 5, 6, 7, seed=3)))
    assert_close(ky, ty)
    assert_close(ki, ti)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True}, {"kernel_size": 3, "stride": 2, "ceil_mode": True, "padding": 1},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True, "padding": 1, "count_include_pad": False},
    {"kernel_size": 2, "divisor_override": 3},
])
def test_avg_pool3d(kwargs):
    check(lambda lib, x: lib.nn.AvgPool3d(**kwargs)(x), rand(2, 3, 5, 6, 7, seed=5))
    check(lambda lib, x: lib.nn.functional.avg_pool3d(x, **kwargs), rand(3, 5, 6, 7, seed=6))


@pytest.mark.parametrize("case", [
    lambda t: t.nn.Conv3d(2, 4, 3)(t.ones(1, 2, 2, 4, 4)),
    lambda t: t.nn.Conv3d(2, 4, 3)(t.ones(1, 3, 4, 4, 4)),
    lambda t: t.nn.MaxPool3d(2)(t.ones(1, 1, 1, 4, 4)),
    lambda t: t.nn.MaxPool3d(2)(t.ones(4, 4)),
    lambda t: t.nn.MaxPool3d(3, padding=2)(t.ones(1, 5, 5, 5)),
    lambda t: t.nn.AvgPool3d(2, divisor_override=0)(t.ones(1, 4, 4, 4)),
])
def test_errors(case):
    same_error(lambda: case(K), lambda: case(T))
