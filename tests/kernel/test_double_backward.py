"""Second-order autograd against real PyTorch: grad of grad through each op with a double-backward
formula, create_graph=True through autograd.grad and Tensor.backward, hessian / hvp / vhp, torch.func
hessian and grad of grad, a WGAN-GP gradient penalty, a MAML inner step, gradgradcheck, and the
clear error for an op without a second-order formula."""

import warnings

import numpy as np
import pytest
import torch as T
import torch.autograd.functional as TAF
import torch.func as TF

import torchpad.kernel.autograd_functional as KAF
import torchpad.kernel.func as KF
from tests.kernel.opcheck import ints, rand
from tests.kernel.parity import K, assert_close, same_error


def _weights(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _second_order(lib, fn, arrays, consts):
    """(outputs, first grads, their requires_grad, second grads) of fn on leaves made from `arrays`."""
    leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *leaves, *[lib.tensor(c) for c in consts])
    loss = (out * lib.tensor(_weights(tuple(out.shape), 1))).sum()
    firsts = lib.autograd.grad(loss, leaves, create_graph=True)
    mixed = sum((g * lib.tensor(_weights(tuple(g.shape), 2 + i))).sum() for i, g in enumerate(firsts)
                if g.requires_grad)
    seconds = (lib.autograd.grad(mixed, leaves, allow_unused=True) if isinstance(mixed, lib.Tensor)
               else [None] * len(leaves))
    return out, firsts, [g.requires_grad for g in firsts], seconds


def check_second_order(fn, *arrays, consts=()):
    """fn(lib, *leaves, *constants): its value, first and second derivatives match PyTorch's."""
    kout, kfirst, kreq, ksecond = _second_order(K, fn, arrays, consts)
    tout, tfirst, treq, tsecond = _second_order(T, fn, arrays, consts)
    assert_close(kout, tout)
    for k, t in zip(kfirst, tfirst):
        assert_close(k, t)
    assert kreq == treq, f"first-grad requires_grad {kreq} != torch {treq}"
    for i, (k, t) in enumerate(zip(ksecond, tsecond)):
        if t is None or k is None:  # unused: PyTorch's None is our None or zeros
            assert t is None or not t.abs().sum().item(), f"torch has a second derivative for input {i}"
            assert k is None or not k.abs().sum().item(), f"the kernel has a second derivative for input {i}"
            continue
        assert_close(k, t)


P = dict(positive=True)
UNARY = {
    "neg": lambda lib, x: -x * x,
    "exp": lambda lib, x: lib.exp(x) * x,
    "log": lambda lib, x: lib.log(x) * x,
    "sqrt": lambda lib, x: lib.sqrt(x),
    "rsqrt": lambda lib, x: lib.rsqrt(x),
    "square": lambda lib, x: lib.square(x) * x,
    "abs": lambda lib, x: x.abs() * x,
    "sin": lambda lib, x: lib.sin(x),
    "cos": lambda lib, x: lib.cos(x),
    "tanh": lambda lib, x: lib.tanh(x),
    "sigmoid": lambda lib, x: lib.sigmoid(x),
    "reciprocal": lambda lib, x: x.reciprocal(),
    "pow_scalar": lambda lib, x: x ** 3.5,
    "pow_square": lambda lib, x: x ** 2,
    "rpow": lambda lib, x: 2 ** x,
    "relu": lambda lib, x: lib.relu(x) * x,
    "leaky_relu": lambda lib, x: lib.nn.functional.leaky_relu(x, 0.1) * x,
    "gelu": lambda lib, x: lib.nn.functional.gelu(x),
    "gelu_tanh": lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"),
    "softplus": lambda lib, x: lib.nn.functional.softplus(x, beta=2.0),
    "silu": lambda lib, x: lib.nn.functional.silu(x),
    "elu": lambda lib, x: lib.nn.functional.elu(x),
    "celu_selu": lambda lib, x: lib.nn.functional.celu(x, 0.7) + lib.nn.functional.selu(x),
    "mish": lambda lib, x: lib.nn.functional.mish(x),
    "hardswish": lambda lib, x: lib.nn.functional.hardswish(x * 3),
    "softsign_tanhshrink": lambda lib, x: lib.nn.functional.softsign(x) + lib.nn.functional.tanhshrink(x),
    "logsigmoid": lambda lib, x: lib.nn.functional.logsigmoid(x),
    "piecewise_linear": lambda lib, x: (lib.nn.functional.hardtanh(x, -0.5, 0.5) + lib.nn.functional.relu6(x * 4)
                                        + lib.nn.functional.threshold(x, 0.1, -1.0)
                                        + lib.nn.functional.hardshrink(x) + lib.nn.functional.softshrink(x)) * x,
    "clamp": lambda lib, x: x.clamp(-0.5, 0.5) * x,
    "sum": lambda lib, x: (x.sum(1) ** 2),
    "sum_all": lambda lib, x: x.sum() ** 3,
    "mean": lambda lib, x: x.mean(0, keepdim=True) * x,
    "reshape": lambda lib, x: x.reshape(4, 3) ** 3,
    "view_flatten": lambda lib, x: (x.view(12) * x.flatten()) ** 2,
    "transpose_t_permute": lambda lib, x: x.t() ** 2 * x.transpose(0, 1) + x.permute(1, 0) ** 3,
    "expand": lambda lib, x: x[:1].expand(5, 4) ** 3,
    "unsqueeze_squeeze": lambda lib, x: x.unsqueeze(0).squeeze(0) ** 3,
    "index_int_slice": lambda lib, x: x[1] ** 3 + x[::2, 1:].sum(),
    "index_tensor": lambda lib, x: x[lib.tensor([0, 2, 0])] ** 3,
    "index_mask": lambda lib, x: x[x > 0] ** 3,
    "select_narrow": lambda lib, x: lib.cat([x.select(1, 2) ** 3, x.narrow(0, 1, 2).sum(0) ** 2]),
    "clone": lambda lib, x: x.clone() ** 3,
    "softmax": lambda lib, x: lib.softmax(x, 1),
    "log_softmax": lambda lib, x: lib.log_softmax(x, 0),
    "logsumexp": lambda lib, x: lib.logsumexp(x, 1),
    "max_min_dim": lambda lib, x: lib.cat([x.max(1).values ** 3, x.min(0).values ** 2]),
    "max_all_amax": lambda lib, x: x.max() ** 3 + x.amax(1) ** 2,
    "std_var": lambda lib, x: lib.cat([x.std(1) ** 2, x.var(0), x.std().reshape(1)]),
    "norm": lambda lib, x: x.norm(dim=1) * x.norm(),
    "cumsum_flip": lambda lib, x: x.cumsum(1) ** 2 + x.flip(0) ** 3,
    "roll_tril_triu": lambda lib, x: x.roll(1, 0) ** 3 + lib.tril(x * x, 1) + lib.triu(x ** 3, -1),
    "einsum": lambda lib, x: lib.einsum("ij,kj->ik", x, x.sin()),
    "prod_cumprod": lambda lib, x: lib.cat([x.prod(1) ** 2, x.prod().reshape(1), x.cumprod(0).flatten()]),
    "setitem": lambda lib, x: _setitem(x),
    "scatter_index_ops": lambda lib, x: _index_writes(lib, x),
    "where": lambda lib, x: lib.where(x > 0, x ** 2, x ** 3),
    "masked_fill": lambda lib, x: x.masked_fill(x < 0, 0.0) ** 3,
}
POSITIVE = {"log", "sqrt", "rsqrt", "pow_scalar", "reciprocal"}


def _index_writes(lib, x):
    idx = lib.tensor([[0, 1, 2, 0], [2, 0, 1, 1]])
    rows = lib.tensor([2, 0])
    parts = [x.scatter(0, idx, (x[:2] ** 2)), x.scatter_add(0, idx, x[1:] ** 3), x.index_add(0, rows, x[:2] ** 2, alpha=2.0),
             x.index_copy(0, rows, x[1:].sin()), x.index_fill(1, lib.tensor([1, 3]), x[0, 0] ** 2)]
    return lib.stack(parts) ** 2


def _setitem(x):
    y = x * 2
    y[1:, ::2] = x[:2, :2] ** 3
    y[0] = x[2].sin()
    return y ** 2


@pytest.mark.parametrize("name", sorted(UNARY))
def test_second_order_of_one_input_ops(name):
    check_second_order(UNARY[name], rand(3, 4, seed=3, positive=name in POSITIVE))


BINARY = {
    "add": lambda lib, a, b: (a + b) ** 3,
    "add_alpha_broadcast": lambda lib, a, b: lib.add(a, b[0], alpha=2.0) ** 3,
    "sub": lambda lib, a, b: (a - b) ** 3,
    "mul": lambda lib, a, b: a * b * a,
    "div": lambda lib, a, b: a / b,
    "pow_tensor": lambda lib, a, b: a ** b,
    "cat_stack": lambda lib, a, b: lib.cat([a, b], 1) ** 3 + lib.stack([a, b], 2).sum(2).repeat(1, 2) ** 2,
    "mse_loss": lambda lib, a, b: lib.nn.functional.mse_loss(a * a, b),
    "mse_loss_sum_none": lambda lib, a, b: lib.nn.functional.mse_loss(a, b ** 2, reduction="none") ** 2,
    "maximum_minimum": lambda lib, a, b: lib.maximum(a, b) ** 3 + lib.minimum(a, b) ** 2,
    "matmul_2d": lambda lib, a, b: (a @ b.t()).tanh(),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_second_order_of_two_input_ops(name):
    positive = name == "pow_tensor"
    check_second_order(BINARY[name], rand(3, 4, seed=4, positive=positive), rand(3, 4, seed=5, positive=positive))


def test_second_order_of_matmul_shapes():
    shapes = [((3, 4), (4, 2)), ((2, 3, 4), (2, 4, 5)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,)),
              ((2, 3, 4), (4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,))]
    for sa, sb in shapes:
        check_second_order(lambda lib, a, b: lib.matmul(a, b).sin(), rand(*sa, seed=1), rand(*sb, seed=2))
    check_second_order(lambda lib, a, b: lib.mm(a, b) ** 2, rand(3, 4, seed=1), rand(4, 2, seed=2))
    check_second_order(lambda lib, a, b: lib.bmm(a, b) ** 2, rand(2, 3, 4, seed=1), rand(2, 4, 2, seed=2))


def test_second_order_of_linear_algebra():
    a = rand(3, 3, seed=1) + 3 * np.eye(3, dtype=np.float32)
    L = lambda lib: lib.linalg  # noqa: E731
    check_second_order(lambda lib, a: L(lib).inv(a * a + 1) ** 2, a)
    check_second_order(lambda lib, a: L(lib).det(a * 2).reshape(1) ** 2, a)
    check_second_order(lambda lib, a: L(lib).slogdet(a * a + 1).logabsdet.reshape(1) ** 2 + lib.logdet(a).reshape(1), a)
    check_second_order(lambda lib, a, b: L(lib).solve(a, b.sin()) ** 2, a, rand(3, 2, seed=2))
    check_second_order(lambda lib, a, b: L(lib).solve(a, b) ** 3, a, rand(3, seed=3))
    check_second_order(lambda lib, a, b: lib.linalg.cross(a * a, b) ** 2, rand(2, 3, seed=4), rand(2, 3, seed=5))


def _f64(*shape, seed):
    return rand(*shape, seed=seed).astype(np.float64)


DECOMPOSITIONS = {  # float64: PyTorch's own float32 second derivatives of these are noisy
    "matrix_exp": (lambda lib, a: lib.linalg.matrix_exp(a * 0.5).sin(), [(3, 3)]),
    "matrix_exp_batched": (lambda lib, a: lib.linalg.matrix_exp(a) ** 2, [(2, 2, 2)]),
    "cholesky": (lambda lib, a: lib.linalg.cholesky(a @ a.mT + 3 * lib.eye(3, dtype=a.dtype)).sin(), [(3, 3)]),
    "cholesky_upper": (lambda lib, a: lib.linalg.cholesky(a @ a.mT + 3 * lib.eye(3, dtype=a.dtype), upper=True) ** 3,
                       [(2, 3, 3)]),
    "eigvalsh": (lambda lib, a: lib.linalg.eigvalsh(a + a.mT) ** 2, [(3, 3)]),
    "eigh": (lambda lib, a: lib.linalg.eigh(a + a.mT).eigenvalues.sin().unsqueeze(-1)
             * lib.linalg.eigh(a + a.mT, UPLO="U").eigenvectors ** 2, [(2, 3, 3)]),
    "qr": (lambda lib, a: lib.linalg.qr(a).Q.sin().sum(0) + lib.linalg.qr(a).R ** 2, [(4, 3)]),
    "torch_qr": (lambda lib, a: lib.qr(a).R ** 3, [(2, 3, 3)]),
    "svdvals_tall": (lambda lib, a: lib.linalg.svdvals(a) ** 3, [(4, 3)]),
    "svd_wide": (lambda lib, a: lib.linalg.svd(a).S.sin() * 2, [(2, 4)]),
    "torch_svd": (lambda lib, a: lib.svd(a).S ** 2, [(2, 3, 3)]),
}


@pytest.mark.parametrize("name", DECOMPOSITIONS)
def test_second_order_of_decompositions(name):
    fn, shapes = DECOMPOSITIONS[name]
    check_second_order(fn, *[_f64(*s, seed=1 + i) for i, s in enumerate(shapes)])


def test_hessian_of_matrix_exp_and_cholesky_loss():
    a = _f64(2, 2, seed=3)
    loss = lambda lib: lambda m: (lib.linalg.matrix_exp(m).sum() + lib.linalg.cholesky(m @ m.mT + lib.eye(2, dtype=m.dtype)).sum())  # noqa: E731
    assert_close(KAF.hessian(loss(K), K.tensor(a)), TAF.hessian(loss(T), T.tensor(a)))


def test_svdvals_refuses_second_order_at_a_zero_or_repeated_singular_value():
    for m in (np.diag([2.0, 1.0, 0.0]), np.eye(3), rand(3, 2, seed=1) @ rand(2, 4, seed=2)):
        a = K.tensor(m.astype(np.float32), requires_grad=True)
        g, = K.autograd.grad(K.linalg.svdvals(a).sum(), a)  # first order (U Vh from LAPACK) is fine
        assert np.isfinite(g.numpy()).all() and not g.requires_grad
        with pytest.raises(RuntimeError, match="^double backward through LinalgSvdBackward0 is not supported by "
                                               "TorchPad's kernel for a matrix with a zero or repeated"):
            K.autograd.grad(K.linalg.svdvals(a).sum(), a, create_graph=True)


def test_singular_vectors_refuse_create_graph_as_first_order():
    a = K.tensor(rand(3, 3, seed=1), requires_grad=True)
    with pytest.raises(RuntimeError, match="does not differentiate the singular vectors"):
        K.autograd.grad(K.linalg.svd(a).U.sum(), a, create_graph=True)


RECURRENT = [("LSTM", (5, 2, 3), dict(num_layers=2)),
             ("LSTM", (2, 4, 3), dict(num_layers=2, batch_first=True, bidirectional=True)),
             ("GRU", (5, 2, 3), dict()),
             ("GRU", (2, 4, 3), dict(num_layers=2, batch_first=True, bidirectional=True)),
             ("RNN", (5, 2, 3), dict()),
             ("RNN", (4, 2, 3), dict(nonlinearity="relu", bias=False, bidirectional=True))]


def _recurrent_grad_of_grad(lib, kind, x, h0, state, kw):
    """first grads (create_graph) and the gradient of their squared norm, w.r.t. x, h0 and every weight."""
    m = getattr(lib.nn, kind)(3, 4, **kw).double()
    m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    xt, ht = lib.tensor(x, requires_grad=True), lib.tensor(h0, requires_grad=True)
    y, hn = m(xt, (ht, ht * 0.5) if kind == "LSTM" else ht)
    last = hn[0] ** 2 + hn[1].sin() if kind == "LSTM" else hn ** 2
    loss = (y.sin() * lib.tensor(_weights(tuple(y.shape), 1)).double()).sum() + last.sum()
    leaves = [xt, ht] + list(m.parameters())
    firsts = lib.autograd.grad(loss, leaves, create_graph=True)
    return firsts, lib.autograd.grad(sum((g ** 2).sum() for g in firsts), leaves)


@pytest.mark.parametrize("kind,x_shape,kw", RECURRENT, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(RECURRENT)])
def test_second_order_of_recurrent_layers(kind, x_shape, kw):
    T.manual_seed(0)
    state = {k: v.numpy() for k, v in getattr(T.nn, kind)(3, 4, **kw).double().state_dict().items()}
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    x = _f64(*x_shape, seed=1)
    h0 = _f64(layers, x_shape[0] if kw.get("batch_first") else x_shape[1], 4, seed=2)
    kfirst, ksecond = _recurrent_grad_of_grad(K, kind, x, h0, state, kw)
    tfirst, tsecond = _recurrent_grad_of_grad(T, kind, x, h0, state, kw)
    for k, t in zip(kfirst + ksecond, tfirst + tsecond):
        assert_close(k, t)


def _cell_grad_of_grad(lib, kind, x, h, state):
    cell = getattr(lib.nn, kind)(3, 4).double()
    cell.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    xt, ht = lib.tensor(x, requires_grad=True), lib.tensor(h, requires_grad=True)
    out = cell(xt, (ht, ht.cos()) if kind == "LSTMCell" else ht)
    loss = (out[0] * out[1]).sin().sum() if kind == "LSTMCell" else (out ** 3).sum()
    leaves = [xt, ht] + list(cell.parameters())
    firsts = lib.autograd.grad(loss, leaves, create_graph=True)
    return firsts, lib.autograd.grad(sum((g ** 2).sum() for g in firsts), leaves)


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
def test_second_order_of_recurrent_cells(kind):
    T.manual_seed(0)
    state = {k: v.numpy() for k, v in getattr(T.nn, kind)(3, 4).double().state_dict().items()}
    x, h = _f64(2, 3, seed=1), _f64(2, 4, seed=2)
    kfirst, ksecond = _cell_grad_of_grad(K, kind, x, h, state)
    tfirst, tsecond = _cell_grad_of_grad(T, kind, x, h, state)
    for k, t in zip(kfirst + ksecond, tfirst + tsecond):
        assert_close(k, t)


def test_recurrent_create_graph_keeps_the_forward_dropout_masks():
    """Dropout between layers is random, so no PyTorch anchor: the graph form of the backward must give
    the NumPy backward's gradients for the same forward (same masks)."""
    K.manual_seed(0)
    m = K.nn.GRU(3, 4, num_layers=3, dropout=0.5).double().train()
    x = K.tensor(_f64(5, 2, 3, seed=1), requires_grad=True)
    y, hn = m(x)
    loss = y.sin().sum() + (hn ** 2).sum()
    leaves = [x] + list(m.parameters())
    plain = K.autograd.grad(loss, leaves, retain_graph=True)
    graphed = K.autograd.grad(loss, leaves, create_graph=True)
    assert all(g.requires_grad for g in graphed)
    for p, g in zip(plain, graphed):
        np.testing.assert_allclose(g.detach().numpy(), p.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape", [(5,), (3, 5), (2, 3, 5)])
def test_second_order_of_linear(x_shape):
    check_second_order(lambda lib, x, w, b: lib.tanh(lib.nn.functional.linear(x, w, b)),
                       rand(*x_shape, seed=1), rand(4, 5, seed=2), rand(4, seed=3))
    check_second_order(lambda lib, x, w: lib.sigmoid(lib.nn.functional.linear(x, w)),
                       rand(*x_shape, seed=1), rand(4, 5, seed=2))


ELEMENTWISE_LOSSES = {
    "l1": lambda F, a, b: F.l1_loss(a * a, b),
    "smooth_l1": lambda F, a, b: F.smooth_l1_loss(a * a, b, beta=0.5),
    "smooth_l1_beta0": lambda F, a, b: F.smooth_l1_loss(a * a, b, beta=0.0, reduction="sum"),
    "huber": lambda F, a, b: F.huber_loss(a * a, b, delta=0.7, reduction="none"),
    "soft_margin": lambda F, a, b: F.soft_margin_loss(a * a, b.detach().sign()) * b.sum(),
    "bce": lambda F, a, b: F.binary_cross_entropy(a.sigmoid(), b.sigmoid() ** 2),
    "bce_weight": lambda F, a, b: F.binary_cross_entropy(a.sigmoid(), b.sigmoid(), weight=a.detach().abs()),
    "bce_logits": lambda F, a, b: F.binary_cross_entropy_with_logits(a * a, b.sigmoid() * b),
    "bce_logits_pos_weight": lambda F, a, b: F.binary_cross_entropy_with_logits(
        a * a, b.sigmoid() * b, pos_weight=b.detach()[0].abs() + 0.5, reduction="sum"),
    "kl_div": lambda F, a, b: F.kl_div(F.log_softmax(a, 1), F.softmax(b, 1) * b, reduction="batchmean"),
    "kl_div_log_target": lambda F, a, b: F.kl_div(a * a, F.log_softmax(b, 1), log_target=True, reduction="sum"),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE_LOSSES))
def test_second_order_of_elementwise_losses(name):
    check_second_order(lambda lib, a, b: ELEMENTWISE_LOSSES[name](lib.nn.functional, a, b), rand(3, 4, seed=8),
                       rand(3, 4, seed=9))


def test_second_order_of_classification_losses():
    target = ints(4, high=3)
    F = lambda lib: lib.nn.functional  # noqa: E731
    for reduction in ("mean", "sum", "none"):
        check_second_order(lambda lib, x, t: F(lib).cross_entropy(x * x, t, reduction=reduction), rand(4, 3, seed=1),
                           consts=(target,))
        check_second_order(lambda lib, x, t: F(lib).nll_loss(F(lib).log_softmax(x, 1) ** 2, t, reduction=reduction),
                           rand(4, 3, seed=1), consts=(target,))
    check_second_order(lambda lib, x, t: F(lib).cross_entropy(x.sin(), t), rand(3, seed=1), consts=(target[0],))
    check_second_order(lambda lib, x, idx: x.gather(1, idx) ** 3, rand(4, 3, seed=1),
                       consts=(ints(4, 2, high=3),))


def test_backward_create_graph_accumulates_tensors_with_graphs():
    results = []
    for lib in (K, T):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (x ** 3).sum().backward(create_graph=True)
        assert any("create_graph=True will create a reference cycle" in str(w.message) for w in caught)
        first = (x.grad.detach().clone(), x.grad.requires_grad, type(x.grad.grad_fn).__name__ if lib is T
                 else x.grad.grad_fn.name())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x.sin().sum()).backward(create_graph=True)
        second = x.grad.detach().clone()
        g2, = lib.autograd.grad(x.grad.sum(), x)
        results.append((first, second, g2))
    (kf, ks, kg), (tf, ts, tg) = results
    assert_close(kf[0], tf[0])
    assert kf[1:] == tf[1:] == (True, "CopyBackwards")
    assert_close(ks, ts)
    assert_close(kg, tg)


def test_grad_create_graph_semantics_match_torch():
    for lib in (K, T):
        y = lib.tensor([1.0, 2.0], requires_grad=True)
        g, = lib.autograd.grad((y * 2).sum(), y, create_graph=True)
        assert not g.requires_grad  # a linear function: the gradient does not depend on y
    ky, ty = K.tensor([1.0, 2.0], requires_grad=True), T.tensor([1.0, 2.0], requires_grad=True)
    kg, = K.autograd.grad((ky * ky).sum(), ky, create_graph=True)
    tg, = T.autograd.grad((ty * ty).sum(), ty, create_graph=True)
    assert kg.grad_fn.name() == type(tg.grad_fn).__name__ == "AddBackward0"
    K.autograd.grad(kg.sum(), ky)
    T.autograd.grad(tg.sum(), ty)
    same_error(lambda: K.autograd.grad(kg.sum(), ky), lambda: T.autograd.grad(tg.sum(), ty))  # graph freed
    # retain_graph=False with create_graph frees the first graph, as PyTorch
    for lib in (K, T):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        g, = lib.autograd.grad((x.exp() * x).sum(), x, create_graph=True, retain_graph=False)
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            lib.autograd.grad(g.sum(), x)


def test_hooks_see_gradients_with_graphs():
    outs = []
    for lib in (K, T):
        x = lib.tensor([0.5, 1.5], requires_grad=True)
        h = x * x
        h.register_hook(lambda g: g * 3)
        seen = []
        x.register_hook(lambda g: seen.append(g.requires_grad))
        g, = lib.autograd.grad(h.sin().sum(), x, create_graph=True)
        outs.append((g, lib.autograd.grad(g.sum(), x)[0], seen))
    assert_close(outs[0][0], outs[1][0])
    assert_close(outs[0][1], outs[1][1])
    assert outs[0][2] == outs[1][2]


def test_custom_function_double_backward():
    class KCube(K.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x ** 2

    class TCube(T.autograd.Function):
        forward, backward = staticmethod(KCube.forward), staticmethod(KCube.backward)

    check_second_order(lambda lib, x: (KCube if lib is K else TCube).apply(x), rand(5, seed=7))


def _rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def test_hessian_hvp_vhp_of_rosenbrock():
    x = np.array([0.5, -1.2, 1.3, 0.7], np.float32)
    v = np.array([1.0, 0.5, -0.3, 2.0], np.float32)
    assert_close(KAF.hessian(_rosenbrock, K.tensor(x)), TAF.hessian(_rosenbrock, T.tensor(x)))
    for name in ("hvp", "vhp"):
        (ko, kr), (to, tr) = (getattr(KAF, name)(_rosenbrock, K.tensor(x), K.tensor(v)),
                              getattr(TAF, name)(_rosenbrock, T.tensor(x), T.tensor(v)))
        assert_close(ko, to)
        assert_close(kr, tr)
        assert not kr.requires_grad
    assert_close(KAF.hessian(_rosenbrock, K.tensor(x), vectorize=True, outer_jacobian_strategy="forward-mode"),
                 TAF.hessian(_rosenbrock, T.tensor(x), vectorize=True, outer_jacobian_strategy="forward-mode"))
    x64 = x.astype(np.float64)
    assert_close(KAF.hessian(_rosenbrock, K.tensor(x64)), TAF.hessian(_rosenbrock, T.tensor(x64)), rtol=1e-10, atol=1e-10)


def _mlp_loss(lib, x, y):
    def loss(w1, b1, w2, b2):
        h = lib.tanh(lib.nn.functional.linear(x, w1, b1))
        return lib.nn.functional.mse_loss(lib.nn.functional.linear(h, w2, b2), y)
    return loss


def test_hessian_hvp_of_an_mlp_loss_wrt_its_parameters():
    x, y = rand(6, 3, seed=1), rand(6, 2, seed=2)
    params = [rand(4, 3, seed=3), rand(4, seed=4), rand(2, 4, seed=5), rand(2, seed=6)]
    kp, tp = tuple(K.tensor(p) for p in params), tuple(T.tensor(p) for p in params)
    kh = KAF.hessian(_mlp_loss(K, K.tensor(x), K.tensor(y)), kp)
    th = TAF.hessian(_mlp_loss(T, T.tensor(x), T.tensor(y)), tp)
    for krow, trow in zip(kh, th):
        for k, t in zip(krow, trow):
            assert_close(k, t)
    vs = [rand(*p.shape, seed=10 + i) for i, p in enumerate(params)]
    (_, kr), (_, tr) = (KAF.hvp(_mlp_loss(K, K.tensor(x), K.tensor(y)), kp, tuple(K.tensor(v) for v in vs)),
                        TAF.hvp(_mlp_loss(T, T.tensor(x), T.tensor(y)), tp, tuple(T.tensor(v) for v in vs)))
    for k, t in zip(kr, tr):
        assert_close(k, t)


def test_functional_create_graph_keeps_graphs():
    out = []
    for lib, AF in ((K, KAF), (T, TAF)):
        x = lib.tensor([0.3, -0.7, 1.1], requires_grad=True)
        v = lib.tensor([1.0, 2.0, 0.5])
        jac = AF.jacobian(lambda a: a.sin() * a, x, create_graph=True)
        _, vjp = AF.vjp(lambda a: a.exp() * a, x, v, create_graph=True)
        _, jvp = AF.jvp(lambda a: a.tanh() ** 2, x, v, create_graph=True)
        _, hvp = AF.hvp(lambda a: (a ** 4).sum(), x, v, create_graph=True)
        h = AF.hessian(lambda a: (a.sin() * a).sum(), x, create_graph=True)
        total = jac.sum() + vjp.sum() + jvp.sum() + hvp.sum() + h.sum()
        out.append((jac, vjp, jvp, hvp, h, [t.requires_grad for t in (jac, vjp, jvp, hvp, h)],
                    lib.autograd.grad(total, x)[0]))
    for k, t in zip(out[0], out[1]):
        if isinstance(t, list):
            assert k == t
        else:
            assert_close(k, t)


def test_functional_errors_match_torch():
    for call in (lambda AF, lib: AF.hessian(lambda a: (a ** 3).sum(), lib.ones(2), outer_jacobian_strategy="sideways"),
                 lambda AF, lib: AF.hessian(lambda a: (a ** 3).sum(), lib.ones(2), outer_jacobian_strategy="forward-mode"),
                 lambda AF, lib: AF.hessian(lambda a: (a ** 3).sum(), lib.ones(2), vectorize=True, create_graph=True,
                                            outer_jacobian_strategy="forward-mode"),
                 lambda AF, lib: AF.jacobian(lambda a: a * 2, lib.ones(2), strategy="forward-mode"),
                 lambda AF, lib: AF.hessian(lambda a: (a, a), lib.ones(2)),
                 lambda AF, lib: AF.hessian(lambda a: a * 2, lib.ones(2)),
                 lambda AF, lib: AF.hvp(lambda a: a * 2, lib.ones(2), lib.ones(2)),
                 lambda AF, lib: AF.vhp(lambda a: (a ** 2).sum(), lib.ones(2)),
                 lambda AF, lib: AF.vhp(lambda a: (a ** 2).sum(), lib.ones(2), lib.ones(3)),
                 lambda AF, lib: AF.hvp(lambda a, b: (a * b).sum(), (lib.ones(2), lib.ones(2)), (lib.ones(2),)),
                 lambda AF, lib: AF.hvp(lambda a, b: (a * b).sum(), (lib.ones(2), lib.ones(2)),
                                        (lib.ones(2), lib.ones(3)))):
        same_error(lambda: call(KAF, K), lambda: call(TAF, T))


def test_torch_func_hessian_and_grad_of_grad():
    f = lambda lib: (lambda x, y: (x.sin() * y).sum() + (x ** 3).sum() * y.sum())  # noqa: E731
    a, b = rand(3, seed=1), rand(3, seed=2)
    for argnums in (0, 1, (0, 1)):
        k = KF.hessian(f(K), argnums)(K.tensor(a), K.tensor(b))
        t = TF.hessian(f(T), argnums)(T.tensor(a), T.tensor(b))
        flat = lambda h: [z for y in h for z in flat(y)] if isinstance(h, tuple) else [h]  # noqa: E731
        assert len(flat(k)) == len(flat(t))
        for kk, tt in zip(flat(k), flat(t)):
            assert_close(kk, tt)
    gg = lambda F: F.grad(lambda x: F.grad(lambda y: (y.tanh() ** 2).sum())(x).sum())  # noqa: E731
    assert_close(gg(KF)(K.tensor(a)), gg(TF)(T.tensor(a)))
    gv = lambda F: F.grad(lambda x: F.vjp(lambda y: y.sin() * y, x)[1](x.cos())[0].sum())  # noqa: E731
    assert_close(gv(KF)(K.tensor(a)), gv(TF)(T.tensor(a)))
    gj = lambda F: F.grad(lambda x: F.jvp(lambda y: y.sin() * y, (x,), (x.cos(),))[1].sum())  # noqa: E731
    assert_close(gj(KF)(K.tensor(a)), gj(TF)(T.tensor(a)))
    assert_close(KF.jacrev(KF.jacrev(lambda x: x.exp() * x.sum()))(K.tensor(a)),
                 TF.jacrev(TF.jacrev(lambda x: x.exp() * x.sum()))(T.tensor(a)))


def test_wgan_gp_gradient_penalty_trains_the_critic_as_torch():
    real, fake, alpha = rand(4, 3, seed=1), rand(4, 3, seed=2), np.random.default_rng(3).random((4, 1)).astype(np.float32)
    grads = []
    for lib in (K, T):
        lib.manual_seed(0)
        critic = lib.nn.Sequential(lib.nn.Linear(3, 8), lib.nn.LeakyReLU(0.2), lib.nn.Linear(8, 1))
        with lib.no_grad():
            for i, p in enumerate(critic.parameters()):
                p.copy_(lib.tensor(rand(*p.shape, seed=20 + i)))
        a = lib.tensor(alpha)
        mixed = (a * lib.tensor(real) + (1 - a) * lib.tensor(fake)).requires_grad_(True)
        scores = critic(mixed)
        g, = lib.autograd.grad(scores, mixed, grad_outputs=lib.ones_like(scores), create_graph=True, retain_graph=True)
        penalty = ((g.norm(2, dim=1) - 1) ** 2).mean() * 10
        loss = critic(lib.tensor(fake)).mean() - critic(lib.tensor(real)).mean() + penalty
        loss.backward()
        grads.append((penalty, [p.grad for p in critic.parameters()]))
    assert_close(grads[0][0], grads[1][0])
    for k, t in zip(grads[0][1], grads[1][1]):
        assert_close(k, t)


def test_maml_inner_step_meta_gradient():
    x, y = rand(5, 2, seed=1), rand(5, 1, seed=2)
    xq, yq = rand(5, 2, seed=3), rand(5, 1, seed=4)
    meta = []
    for lib in (K, T):
        F = lib.nn.functional
        w, b = lib.tensor(rand(1, 2, seed=5), requires_grad=True), lib.tensor(rand(1, seed=6), requires_grad=True)
        inner = F.mse_loss(F.linear(lib.tensor(x), w, b).tanh(), lib.tensor(y))
        gw, gb = lib.autograd.grad(inner, (w, b), create_graph=True)
        w2, b2 = w - 0.1 * gw, b - 0.1 * gb
        outer = F.mse_loss(F.linear(lib.tensor(xq), w2, b2).tanh(), lib.tensor(yq))
        outer.backward()
        meta.append((outer, w.grad, b.grad))
    for k, t in zip(*meta):
        assert_close(k, t)


def test_gradgradcheck_passes_and_fails_like_torch():
    x = rand(3, seed=1).astype(np.float64)
    w = rand(3, 2, seed=2).astype(np.float64)
    for lib in (K, T):
        xs, ws = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        assert lib.autograd.gradgradcheck(lambda a, b: (a.sin() @ b).tanh(), (xs, ws))
        assert lib.autograd.gradgradcheck(lambda a: (a * a).sum() * a, (xs,), (lib.ones(3, dtype=lib.float64),))

    def detached_square(lib):
        class Square(lib.autograd.Function):  # right first derivative, wrong second (x is detached)
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a * a

            @staticmethod
            def backward(ctx, g):
                a, = ctx.saved_tensors
                return g * 2 * a.detach()

        return Square.apply

    for lib in (K, T):
        xs = lib.tensor(x, requires_grad=True)
        assert lib.autograd.gradcheck(detached_square(lib), (xs,))
        assert lib.autograd.gradgradcheck(detached_square(lib), (xs,), raise_exception=False) is False
    for kw in (dict(check_rev_over_rev=False, check_fwd_over_rev=False),
               dict(check_rev_over_rev=False, check_fwd_over_rev=True)):
        same_error(lambda: K.autograd.gradgradcheck(lambda a: a * a, (K.tensor(x, requires_grad=True),), **kw),
                   lambda: T.autograd.gradgradcheck(lambda a: a * a, (T.tensor(x, requires_grad=True),), **kw))
    messages = []
    for lib in (K, T):
        try:
            lib.autograd.gradgradcheck(detached_square(lib), (lib.tensor(x, requires_grad=True),))
        except RuntimeError as e:
            messages.append((type(e).__name__, str(e).splitlines()[0]))
    assert messages[0] == messages[1] == ("GradcheckError", "Jacobian mismatch for output 0 with respect to input 0,")


def test_op_without_a_second_order_formula_names_itself():
    """As PyTorch (which has no formula for hardsigmoid_backward's derivative either), but at create_graph time."""
    x = K.tensor(rand(4, seed=1), requires_grad=True)
    with pytest.raises(RuntimeError, match="^double backward through HardsigmoidBackward0 is not supported"):
        K.autograd.grad(K.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
    g, = K.autograd.grad(K.nn.functional.hardsigmoid(x).sum(), x)  # first order is fine
    assert not g.requires_grad
    with pytest.raises(RuntimeError, match="^double backward through HardsigmoidBackward0 is not supported by "
                                           "TorchPad's kernel"):
        KAF.hessian(lambda a: K.nn.functional.hardsigmoid(a * a).sum(), x)


def test_second_order_of_convolutions():
    F = lambda lib: lib.nn.functional  # noqa: E731
    check_second_order(lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride=2, padding=1).tanh(),
                       rand(2, 3, 6, 6, seed=1), rand(4, 3, 3, 3, seed=2), rand(4, seed=3))
    check_second_order(lambda lib, x, w: F(lib).conv2d(x, w, groups=2, dilation=2) ** 2, rand(1, 4, 7, 7, seed=1),
                       rand(4, 2, 2, 2, seed=2))
    check_second_order(lambda lib, x, w, b: F(lib).conv2d(x, w, b).sin(), rand(3, 6, 6, seed=1),
                       rand(4, 3, 3, 3, seed=2), rand(4, seed=3))
    check_second_order(lambda lib, x, w, b: F(lib).conv1d(x, w, b, padding=1).sin(), rand(2, 3, 8, seed=1),
                       rand(4, 3, 3, seed=2), rand(4, seed=3))
    check_second_order(lambda lib, x, w, b: F(lib).conv3d(x, w, b, stride=(1, 2, 1), padding=1).tanh(),
                       rand(2, 2, 3, 4, 3, seed=1), rand(3, 2, 2, 2, 2, seed=2), rand(3, seed=3))
    check_second_order(lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b, stride=2, padding=1,
                                                                     output_padding=1).tanh(),
                       rand(2, 3, 4, 4, seed=1), rand(3, 2, 3, 3, seed=2), rand(2, seed=3))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_second_order_of_pad(mode):
    pads = (1, 2, 2, 1) if mode != "constant" else (1, -1, 2, 0)
    check_second_order(lambda lib, x: lib.nn.functional.pad(x * x, pads, mode=mode) ** 3, rand(1, 2, 3, 4, seed=1))


POOLS = {
    "max_pool2d": lambda F, x: F.max_pool2d(x, 2),
    "max_pool2d_overlap_pad": lambda F, x: F.max_pool2d(x, 3, stride=2, padding=1, dilation=1),
    "max_pool1d": lambda F, x: F.max_pool1d(x.flatten(2), 3, stride=2),
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 2),
    "avg_pool2d_pad": lambda F, x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
    "avg_pool2d_divisor": lambda F, x: F.avg_pool2d(x, 2, stride=1, divisor_override=3),
    "adaptive_avg_pool2d": lambda F, x: F.adaptive_avg_pool2d(x, (3, 2)),
    "adaptive_max_pool2d": lambda F, x: F.adaptive_max_pool2d(x, (2, 3)),
    "interpolate": lambda F, x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
    "max_pool3d": lambda F, x: F.max_pool3d(x.unsqueeze(0), (1, 2, 2), stride=(1, 2, 1), padding=(0, 1, 0)),
    "avg_pool3d": lambda F, x: F.avg_pool3d(x.unsqueeze(0), 2, stride=1, padding=1, count_include_pad=False),
}


@pytest.mark.parametrize("name", sorted(POOLS))
def test_second_order_of_pooling(name):
    check_second_order(lambda lib, x: POOLS[name](lib.nn.functional, x * x) ** 3, rand(2, 3, 6, 5, seed=4))


def test_second_order_of_attention():
    F = lambda lib: lib.nn.functional  # noqa: E731
    q, k, v = rand(2, 3, 4, seed=1), rand(2, 5, 4, seed=2), rand(2, 5, 3, seed=3)
    check_second_order(lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v) ** 2, q, k, v)
    check_second_order(lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v, is_causal=True) ** 2,
                       q, k[:, :3], v[:, :3])
    bool_mask = np.array([[True, False, True, True, False]] * 2 + [[False] * 5])
    check_second_order(lambda lib, q, k, v, m: F(lib).scaled_dot_product_attention(q, k, v, attn_mask=m) ** 2,
                       q, k, v, consts=(bool_mask,))
    check_second_order(lambda lib, q, k, v, m: F(lib).scaled_dot_product_attention(q, k, v, attn_mask=m * m,
                                                                                    scale=0.3) ** 2,
                       q, k, v, rand(3, 5, seed=4))


def test_maml_through_a_small_cnn():
    x, y = rand(3, 1, 6, 6, seed=1), ints(3, high=2)
    results = []
    for lib in (K, T):
        F = lib.nn.functional
        w = lib.tensor(rand(2, 1, 3, 3, seed=2), requires_grad=True)
        b = lib.tensor(rand(2, seed=3), requires_grad=True)
        head = lib.tensor(rand(2, 8, seed=4), requires_grad=True)

        def loss(w_, b_, head_):
            feats = F.relu(F.conv2d(lib.tensor(x), w_, b_, stride=2))  # (3, 2, 2, 2)
            return F.cross_entropy(F.linear(feats.flatten(1), head_), lib.tensor(y))

        grads = lib.autograd.grad(loss(w, b, head), (w, b, head), create_graph=True)
        adapted = [p - 0.5 * g for p, g in zip((w, b, head), grads)]
        outer = loss(*adapted)
        outer.backward()
        results.append((outer, w.grad, b.grad, head.grad))
    for k, t in zip(*results):
        assert_close(k, t)


def test_second_order_of_normalization_and_embedding():
    F = lambda lib: lib.nn.functional  # noqa: E731
    check_second_order(lambda lib, x, w, b: F(lib).layer_norm(x, (4,), w, b).tanh(), rand(3, 4, seed=1),
                       rand(4, seed=2), rand(4, seed=3))
    check_second_order(lambda lib, x: F(lib).layer_norm(x ** 2, (3, 4)), rand(2, 3, 4, seed=1))
    check_second_order(lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, training=True).sin(),
                       rand(5, 3, seed=1), rand(3, seed=2), rand(3, seed=3))
    check_second_order(lambda lib, x, w, b, m, v: F(lib).batch_norm(x, m, v, w, b, training=False) ** 3,
                       rand(5, 3, seed=1), rand(3, seed=2), rand(3, seed=3),
                       consts=(rand(3, seed=4), rand(3, seed=5, positive=True)))
    check_second_order(lambda lib, x, w, b: F(lib).group_norm(x, 2, w, b) ** 3, rand(2, 4, 3, seed=1),
                       rand(4, seed=2), rand(4, seed=3))
    idx = np.array([[0, 2, 2], [1, 0, 3]])
    for kw in ({}, {"padding_idx": 2}):
        check_second_order(lambda lib, w, i: F(lib).embedding(i, w, **kw) ** 3, rand(4, 3, seed=1), consts=(idx,))
    w = K.tensor(rand(4, 3, seed=1), requires_grad=True)
    with pytest.raises(RuntimeError, match="EmbeddingBackward0 with scale_grad_by_freq=True is not supported"):
        K.autograd.grad(F(K).embedding(K.tensor(idx), w, scale_grad_by_freq=True).pow(2).sum(), w, create_graph=True)


def test_in_place_ops_and_create_graph():
    """In-place activations work as in PyTorch; an input changed in place after use is refused, never misused."""
    outs = []
    for lib in (K, T):
        F = lib.nn.functional
        x = lib.tensor(rand(3, 4, seed=1), requires_grad=True)
        h = x * 2
        F.relu(h, inplace=True)
        k = x * 3
        F.leaky_relu(k, 0.1, inplace=True)
        y = (h ** 3 + k ** 3).sum()
        g, = lib.autograd.grad(y, x, create_graph=True)
        outs.append((g, lib.autograd.grad(g.sum(), x)[0]))
    for k_, t_ in zip(*outs):
        assert_close(k_, t_)
    x = K.tensor(rand(3, seed=2), requires_grad=True)
    h = x * 1
    y = h.exp()
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation: the input of ExpBackward0"):
        K.autograd.grad(y.sum(), x, create_graph=True)


@pytest.mark.parametrize("kind", ["full", "pre", "old"])
def test_module_backward_hooks_under_create_graph(kind):
    results = []
    for lib in (K, T):
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 2)
        with lib.no_grad():
            m.weight.copy_(lib.tensor(rand(2, 3, seed=1)))
            m.bias.copy_(lib.tensor(rand(2, seed=2)))
        seen = []
        if kind == "full":
            m.register_full_backward_hook(lambda mod, gi, go: (seen.append(gi[0].requires_grad), (gi[0] * 2,))[1])
        elif kind == "pre":
            m.register_full_backward_pre_hook(lambda mod, go: (seen.append(go[0].requires_grad), (go[0] * 3,))[1])
        else:
            m.register_backward_hook(lambda mod, gi, go: (seen.append(go[0].requires_grad), None)[1])
        x = lib.tensor(rand(4, 3, seed=3), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = m(x).tanh()
            g, = lib.autograd.grad((y ** 2).sum(), x, create_graph=True)
            (g ** 2).sum().backward()
        results.append((g, m.weight.grad, x.grad, seen))
    (kg, kw, kx, ks), (tg, tw, tx, ts) = results
    assert ks == ts
    for k, t in ((kg, tg), (kw, tw), (kx, tx)):
        assert_close(k, t)


def test_backward_inputs_accumulates_only_into_them():
    results = []
    for lib in (K, T):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        h = x * w
        y = (h * h).sum()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y.backward(inputs=[x, h], retain_graph=True)
            first = (x.grad.clone(), w.grad, h.grad.clone())
            y.backward(inputs=x, create_graph=True)
            hg = h.grad
        results.append((first, x.grad.detach(), x.grad.requires_grad, hg))
    (kf, kx, kr, kh), (tf, tx, tr, th) = results
    assert_close(kf[0], tf[0])
    assert kf[1] is None and tf[1] is None
    assert_close(kf[2], tf[2])
    assert_close(kx, tx)
    assert kr == tr
    assert_close(kh, th)
    k_y = (K.tensor([1.0], requires_grad=True) * 2).sum()
    t_y = (T.tensor([1.0], requires_grad=True) * 2).sum()
    same_error(lambda: k_y.backward(inputs=[]), lambda: t_y.backward(inputs=[]))
    same_error(lambda: k_y.backward(inputs=[K.ones(1)]), lambda: t_y.backward(inputs=[T.ones(1)]))


def test_strict_mode_is_refused_clearly():
    for call in (lambda: KAF.vjp(lambda a: a * 2, K.ones(2), K.ones(2), strict=True),
                 lambda: KAF.jvp(lambda a: a * 2, K.ones(2), K.ones(2), strict=True),
                 lambda: KAF.jacobian(lambda a: a * 2, K.ones(2), strict=True),
                 lambda: KAF.hessian(lambda a: (a ** 3).sum(), K.ones(2), strict=True),
                 lambda: KAF.hvp(lambda a: (a ** 3).sum(), K.ones(2), K.ones(2), strict=True),
                 lambda: KAF.vhp(lambda a: (a ** 3).sum(), K.ones(2), K.ones(2), strict=True),
                 lambda: KF.jvp(lambda a: a * 2, (K.ones(2),), (K.ones(2),), strict=True)):
        with pytest.raises(RuntimeError, match=r"\(strict=True\) is not supported"):
            call()


def test_torch_func_results_keep_graphs_to_inputs_that_require_grad():
    out = []
    for lib, F in ((K, KF), (T, TF)):
        x = lib.tensor(rand(3, seed=2), requires_grad=True)
        g = F.grad(lambda a: (a.sin() * a).sum())(x)
        j = F.jacrev(lambda a: a.exp() * a.sum())(x)
        (g.sum() + j.sum()).backward()
        out.append((g, j, g.requires_grad, x.grad))
    for k, t in zip(*out):
        if isinstance(t, bool):
            assert k == t
        else:
            assert_close(k, t)


def test_grad_runs_only_the_part_of_the_graph_leading_to_its_inputs():
    fired = []
    for lib in (K, T):
        x = lib.tensor(rand(2, 2, seed=1), requires_grad=True)
        up = lib.nn.functional.hardsigmoid(x)  # upstream of h: not on the path from y to h
        up.register_hook(lambda g: fired.append(lib.__name__))
        h = up * 2
        y = (h.sin() * h).sum()
        g, = lib.autograd.grad(y, h, create_graph=True)  # hardsigmoid has no double-backward formula: not needed here
        gg, = lib.autograd.grad(g.sum(), h)
        fired.append((g.detach(), gg))
    assert len(fired) == 2, fired  # neither runtime ran the upstream hook
    assert_close(fired[0][0], fired[1][0])
    assert_close(fired[0][1], fired[1][1])


def test_torch_func_keeps_a_graph_to_closed_over_parameters():
    out = []
    for lib, F in ((K, KF), (T, TF)):
        w = lib.tensor(rand(3, seed=4), requires_grad=True)
        x = lib.tensor(rand(3, seed=5))
        g = F.grad(lambda a: ((a * w).sin() * w).sum())(x)
        j = F.jacrev(lambda a: (a * w).tanh())(x)
        _, fn = F.vjp(lambda a: (a * w).exp(), x)
        v, = fn(lib.ones(3))
        (g ** 2).sum().backward()
        (j ** 2).sum().backward()
        (v ** 2).sum().backward()
        out.append((g, g.requires_grad, j, j.requires_grad, v, v.requires_grad, w.grad))
    for k, t in zip(*out):
        if isinstance(t, bool):
            assert k == t
        else:
            assert_close(k, t)
