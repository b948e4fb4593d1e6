"""nn.functional and activation modules against real PyTorch: values and input gradients."""

import numpy as np
import pytest
import torch as T
import torch.nn.functional as TF

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.nn.functional as KF

from .parity import assert_close, assert_grads_close, pair, same_error

ACTIVATIONS = [
    ("relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {"alpha": 1.3}), ("celu", {"alpha": 0.7}),
    ("selu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}), ("sigmoid", {}),
    ("tanh", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}), ("hardtanh", {"min_val": -0.5, "max_val": 0.7}),
    ("relu6", {}), ("hardsigmoid", {}), ("hardswish", {}), ("logsigmoid", {}), ("softsign", {}), ("tanhshrink", {}),
    ("threshold", {"threshold": 0.1, "value": -2.0}), ("hardshrink", {"lambd": 0.3}), ("softshrink", {"lambd": 0.3}),
]


@pytest.mark.parametrize("name,kw", ACTIVATIONS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ACTIVATIONS)])
def test_activation_functional(name, kw):
    k, t = pair(4, 7, seed=1, requires_grad=True)
    k.array *= 3  # reach the saturated / thresholded regions too
    t.data *= 3
    yk, yt = getattr(KF, name)(k, **kw), getattr(TF, name)(t, **kw)
    assert_close(yk, yt)
    g = np.random.default_rng(2).standard_normal((4, 7)).astype(np.float32)
    yk.backward(K.tensor(g))
    yt.backward(T.tensor(g))
    assert_grads_close([k], [t])


MODULES = [
    ("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.1,)), ("ELU", ()), ("CELU", ()), ("SELU", ()), ("GELU", ()),
    ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Sigmoid", ()), ("Tanh", ()), ("Softmax", (1,)),
    ("LogSoftmax", (1,)), ("Softmin", (1,)), ("Softplus", ()), ("Softsign", ()), ("Hardtanh", ()), ("Hardsigmoid", ()),
    ("Hardswish", ()), ("Hardshrink", ()), ("Softshrink", ()), ("Tanhshrink", ()), ("LogSigmoid", ()),
    ("Threshold", (0.1, 20.0)), ("GLU", ()), ("PReLU", ()), ("Identity", ()), ("Flatten", ()), ("Dropout", (0.0,)),
]


@pytest.mark.parametrize("name,args", MODULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(MODULES)])
def test_activation_module(name, args):
    mk, mt = getattr(knn, name)(*args), getattr(T.nn, name)(*args)
    assert repr(mk) == repr(mt)
    k, t = pair(3, 4, 6, seed=3, requires_grad=True)
    yk, yt = mk(k), mt(t)
    assert_close(yk, yt)
    (yk * yk).sum().backward()
    (yt * yt).sum().backward()
    assert_grads_close([k], [t])


@pytest.mark.parametrize("shape_in", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(shape_in, bias):
    x_k, x_t = pair(*shape_in, seed=4, requires_grad=True)
    w_k, w_t = pair(3, 4, seed=5, requires_grad=True)
    b_k, b_t = pair(3, seed=6, requires_grad=True) if bias else (None, None)
    yk, yt = KF.linear(x_k, w_k, b_k), TF.linear(x_t, w_t, b_t)
    assert_close(yk, yt)
    (yk.sin()).sum().backward()
    (yt.sin()).sum().backward()
    assert_grads_close([x_k, w_k] + ([b_k] if bias else []), [x_t, w_t] + ([b_t] if bias else []))


@pytest.mark.parametrize("x_shape,w_shape", [((64, 4096), (128, 2304)), ((2, 3, 5), (4, 6)), ((5,), (4, 6))])
def test_linear_shape_error(x_shape, w_shape):
    same_error(lambda: KF.linear(K.zeros(*x_shape), K.zeros(*w_shape)),
               lambda: TF.linear(T.zeros(*x_shape), T.zeros(*w_shape)))


def test_linear_module_loaded_from_torch_state_dict():
    mt = T.nn.Linear(6, 3)
    mk = knn.Linear(6, 3)
    mk.load_state_dict({k: K.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()})
    assert repr(mk) == repr(mt)
    x_k, x_t = pair(8, 6, seed=7, requires_grad=True)
    yk, yt = mk(x_k), mt(x_t)
    assert_close(yk, yt)
    yk.pow(2).mean().backward()
    yt.pow(2).mean().backward()
    assert_grads_close([x_k, mk.weight, mk.bias], [x_t, mt.weight, mt.bias])


def test_linear_default_init_distribution():
    K.manual_seed(0)
    m = knn.Linear(400, 300)
    bound = 1 / np.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w = m.weight.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.02 * bound
    assert np.abs(m.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family(dim):
    k, t = pair(3, 5, seed=8, requires_grad=True)
    for name in ("softmax", "log_softmax", "softmin"):
        yk, yt = getattr(KF, name)(k, dim), getattr(TF, name)(t, dim)
        assert_close(yk, yt)
        (yk * K.arange(15).reshape(3, 5).float()).sum().backward()
        (yt * T.arange(15).reshape(3, 5).float()).sum().backward()
    assert_grads_close([k], [t])


def test_one_hot_and_errors():
    idx = [3, 0, 2]
    assert_close(KF.one_hot(K.tensor(idx)), TF.one_hot(T.tensor(idx)))
    assert_close(KF.one_hot(K.tensor(idx), 6), TF.one_hot(T.tensor(idx), 6))
    same_error(lambda: KF.one_hot(K.tensor([1, 5]), 3), lambda: TF.one_hot(T.tensor([1, 5]), 3))
    same_error(lambda: KF.one_hot(K.tensor([1.0, 2.0])), lambda: TF.one_hot(T.tensor([1.0, 2.0])))


@pytest.mark.parametrize("mode,pad", [("constant", (1, 2)), ("constant", (1, 0, 2, 1)), ("constant", (-1, 1)),
                                      ("reflect", (2, 1)), ("reflect", (1, 2, 2, 1)), ("replicate", (2, 3)),
                                      ("replicate", (1, 1, 0, 2)), ("circular", (1, 2))])
def test_pad(mode, pad):
    k, t = pair(*((2, 3, 5) if len(pad) == 2 else (2, 3, 4, 5)), seed=9, requires_grad=True)
    kw = {"value": 1.5} if mode == "constant" else {}
    yk, yt = KF.pad(k, pad, mode=mode, **kw), TF.pad(t, pad, mode=mode, **kw)
    assert_close(yk, yt)
    w = np.random.default_rng(0).standard_normal(tuple(yt.shape)).astype(np.float32)
    (yk * K.tensor(w)).sum().backward()
    (yt * T.tensor(w)).sum().backward()
    assert_grads_close([k], [t])


def test_pad_errors():
    same_error(lambda: KF.pad(K.zeros(2, 3, 4, 5), (1, 1), mode="reflect"),
               lambda: TF.pad(T.zeros(2, 3, 4, 5), (1, 1), mode="reflect"))
    same_error(lambda: KF.pad(K.zeros(1, 2, 3), (3, 3), mode="reflect"),
               lambda: TF.pad(T.zeros(1, 2, 3), (3, 3), mode="reflect"))
    same_error(lambda: KF.pad(K.zeros(2, 3), (1, 1, 1)), lambda: TF.pad(T.zeros(2, 3), (1, 1, 1)))


def test_dropout_train_and_eval():
    K.manual_seed(0)
    x = K.ones(200, 50, requires_grad=True)
    y = KF.dropout(x, 0.3)
    kept = y.detach().numpy() != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.7, rtol=1e-6)
    m = knn.Dropout(0.3)
    assert repr(m) == repr(T.nn.Dropout(0.3))
    m.eval()
    assert m(x) is x
    same_error(lambda: knn.Dropout(1.5), lambda: T.nn.Dropout(1.5))


def test_dropout2d_zeroes_whole_channels():
    K.manual_seed(1)
    y = KF.dropout2d(K.ones(8, 16, 5, 5), 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))


def test_normalize_and_cosine_similarity():
    a_k, a_t = pair(4, 6, seed=10, requires_grad=True)
    b_k, b_t = pair(4, 6, seed=11, requires_grad=True)
    assert_close(KF.normalize(a_k), TF.normalize(a_t))
    yk, yt = KF.cosine_similarity(a_k, b_k), TF.cosine_similarity(a_t, b_t)
    assert_close(yk, yt)
    (yk.sum() + KF.normalize(a_k, dim=0).pow(3).sum()).backward()
    (yt.sum() + TF.normalize(a_t, dim=0).pow(3).sum()).backward()
    assert_grads_close([a_k, b_k], [a_t, b_t])


def test_clip_grad_norm_and_value():
    from torchpad.kernel.nn.utils import clip_grad_norm_, clip_grad_value_

    mk, mt = knn.Linear(5, 4), T.nn.Linear(5, 4)
    mk.load_state_dict({k: K.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()})
    x_k, x_t = pair(3, 5, seed=12)
    (mk(x_k) * 10).sum().backward()
    (mt(x_t) * 10).sum().backward()
    nk, nt = clip_grad_norm_(mk.parameters(), 1.0), T.nn.utils.clip_grad_norm_(mt.parameters(), 1.0)
    assert_close(nk, nt)
    assert_grads_close([mk.weight, mk.bias], [mt.weight, mt.bias])
    clip_grad_value_(mk.parameters(), 0.05)
    T.nn.utils.clip_grad_value_(mt.parameters(), 0.05)
    assert_grads_close([mk.weight, mk.bias], [mt.weight, mt.bias])
    nk = clip_grad_norm_(mk.parameters(), 2.0, norm_type=float("inf"))
    nt = T.nn.utils.clip_grad_norm_(mt.parameters(), 2.0, norm_type=float("inf"))
    assert_close(nk, nt)


def test_init_functions():
    import torchpad.kernel.nn.init as init

    K.manual_seed(0)
    w = K.empty(300, 200)
    assert init.calculate_gain("leaky_relu", 0.2) == T.nn.init.calculate_gain("leaky_relu", 0.2)
    for nl in ("linear", "conv2d", "sigmoid", "tanh", "relu", "selu"):
        assert init.calculate_gain(nl) == T.nn.init.calculate_gain(nl)
    assert init._calculate_fan_in_and_fan_out(K.empty(8, 3, 5, 5)) == T.nn.init._calculate_fan_in_and_fan_out(T.empty(8, 3, 5, 5))
    init.xavier_uniform_(w)
    a = np.sqrt(6 / 500)
    assert np.abs(w.numpy()).max() <= a and abs(w.numpy().std() - a / np.sqrt(3)) < 0.02 * a
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - np.sqrt(2 / 300)) < 0.02 * np.sqrt(2 / 300)
    init.xavier_normal_(w, gain=2.0)
    assert abs(w.numpy().std() - 2 * np.sqrt(2 / 500)) < 0.02 * 2 * np.sqrt(2 / 500)
    init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert np.abs(w.numpy()).max() <= 0.5
    init.orthogonal_(w)
    np.testing.assert_allclose(w.numpy().T @ w.numpy(), np.eye(200), atol=1e-4)
    init.constant_(w, 0.5)
    assert np.all(w.numpy() == 0.5)
    init.zeros_(w)
    assert np.all(w.numpy() == 0)
    init.ones_(w)
    assert np.all(w.numpy() == 1)
    same_error(lambda: init.xavier_uniform_(K.empty(5)), lambda: T.nn.init.xavier_uniform_(T.empty(5)))
    same_error(lambda: init.calculate_gain("foo"), lambda: T.nn.init.calculate_gain("foo"))


def test_init_on_parameter_keeps_it_a_leaf():
    import torchpad.kernel.nn.init as init

    m = knn.Linear(3, 2)
    init.normal_(m.weight, 0, 0.01)
    init.zeros_(m.bias)
    assert m.weight.is_leaf and m.weight.requires_grad and m.weight.grad_fn is None


def test_linear_dtype_errors():
    same_error(lambda: KF.linear(K.zeros(3, 4).double(), K.zeros(2, 4)), lambda: TF.linear(T.zeros(3, 4).double(), T.zeros(2, 4)))
    same_error(lambda: KF.linear(K.zeros(3, 4), K.zeros(2, 4), K.zeros(2).double()),
               lambda: TF.linear(T.zeros(3, 4), T.zeros(2, 4), T.zeros(2).double()))
    same_error(lambda: knn.Linear(4, 2)(K.zeros(3, 4, dtype=K.long)), lambda: T.nn.Linear(4, 2)(T.zeros(3, 4, dtype=T.long)))
    same_error(lambda: knn.Linear(4, 2)(K.zeros(3, 4).double()), lambda: T.nn.Linear(4, 2)(T.zeros(3, 4).double()))
    same_error(lambda: knn.Linear(4, 2, bias=False)(K.zeros(3, 4).double()),
               lambda: T.nn.Linear(4, 2, bias=False)(T.zeros(3, 4).double()))


@pytest.mark.parametrize("shape_in", [(5, 3), (2, 4, 3), (0, 3)])
@pytest.mark.parametrize("frozen", [None, "weight", "bias"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_wider_out_than_in_carries_the_bias_in_the_product(shape_in, frozen, dtype):
    """out_features > in_features: the bias rides in the product (a ones column) and its gradient comes
    out of the weight's; values and every gradient still match PyTorch, with either parameter frozen,
    for a transposed (non-contiguous) input too."""
    leaf_k, leaf_t = pair(*shape_in[::-1], seed=7, requires_grad=True, dtype=dtype)
    x_k, x_t = leaf_k.transpose(0, -1), leaf_t.transpose(0, -1)  # strided input
    w_k, w_t = pair(6, 3, seed=8, requires_grad=frozen != "weight", dtype=dtype)
    b_k, b_t = pair(6, seed=9, requires_grad=frozen != "bias", dtype=dtype)
    yk, yt = KF.linear(x_k, w_k, b_k), TF.linear(x_t, w_t, b_t)
    assert_close(yk, yt)
    yk.sin().sum().backward()
    yt.sin().sum().backward()
    assert (w_k.grad is None) == (frozen == "weight") and (b_k.grad is None) == (frozen == "bias")
    assert_grads_close([t for t in (leaf_k, w_k, b_k) if t.requires_grad], [t for t in (leaf_t, w_t, b_t) if t.requires_grad])
