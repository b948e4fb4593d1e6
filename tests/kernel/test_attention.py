"""scaled_dot_product_attention, MultiheadAttention and the Transformer modules against real
PyTorch: outputs, attention weights and the gradients of the inputs and of every parameter
(the same state_dict loaded into both), state_dict keys, and PyTorch's errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch as T

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.nn.functional as KF

from .parity import assert_close, pair, same_error


def twin(torch_cls, kernel_cls, *args, **kwargs):
    """A PyTorch module and a kernel module holding the same state_dict (PyTorch's, copied over)."""
    T.manual_seed(0)
    tm = torch_cls(*args, **kwargs)
    km = kernel_cls(*args, **kwargs)
    tsd = tm.state_dict()
    assert list(km.state_dict()) == list(tsd)
    km.load_state_dict({n: K.tensor(v.detach().numpy().copy()) for n, v in tsd.items()})
    return km, tm


def check_grads(km, tm, kins, tins):
    for k, t in zip(kins, tins):
        if isinstance(t, T.Tensor) and t.requires_grad:
            assert_close(k.grad, t.grad)
    kp, tp = dict(km.named_parameters()), dict(tm.named_parameters())
    assert list(kp) == list(tp)
    for name in tp:
        assert (kp[name].grad is None) == (tp[name].grad is None), name
        if tp[name].grad is not None:
            assert_close(kp[name].grad, tp[name].grad)


def backward_both(kout, tout, seed=7):
    w = np.random.default_rng(seed).standard_normal(tuple(tout.shape)).astype(np.float32)
    (kout * K.tensor(w)).sum().backward()
    (tout * T.tensor(w)).sum().backward()


def bool_mask(shape, seed, keep_first=True):
    """A random boolean mask; with keep_first the first key is never masked (no fully masked row)."""
    m = np.random.default_rng(seed).random(shape) > 0.5
    if keep_first:
        m[..., 0] = False
    return m


# ---- scaled_dot_product_attention --------------------------------------------------------
SDPA_CASES = {
    "plain": dict(),
    "scale": dict(scale=0.3),
    "causal": dict(is_causal=True),
    "bool_mask": dict(mask="bool"),
    "float_mask": dict(mask="float"),
    "float_mask_grad": dict(mask="float_grad"),
    "broadcast_mask": dict(mask="bool_2d"),
}


@pytest.mark.parametrize("case", list(SDPA_CASES))
def test_sdpa_values_and_grads(case):
    opts = dict(SDPA_CASES[case])
    kq, tq = pair(2, 3, 4, 8, seed=1, requires_grad=True)
    kk, tk = pair(2, 3, 5, 8, seed=2, requires_grad=True)
    kv, tv = pair(2, 3, 5, 6, seed=3, requires_grad=True)
    if opts.get("is_causal"):
        kk, tk = pair(2, 3, 4, 8, seed=2, requires_grad=True)
        kv, tv = pair(2, 3, 4, 6, seed=3, requires_grad=True)
    kins, tins = [kq, kk, kv], [tq, tk, tv]
    mask = opts.pop("mask", None)
    if mask in ("bool", "bool_2d"):
        m = ~bool_mask((2, 3, 4, 5) if mask == "bool" else (4, 5), 4)  # True = attend, in SDPA
        opts["attn_mask"] = (K.tensor(m), T.tensor(m))
    elif mask:
        km, tm = pair(2, 1, 4, 5, seed=5, requires_grad=mask == "float_grad")
        opts["attn_mask"] = (km, tm)
        kins.append(km)
        tins.append(tm)
    kopts = {n: (v[0] if isinstance(v, tuple) else v) for n, v in opts.items()}
    topts = {n: (v[1] if isinstance(v, tuple) else v) for n, v in opts.items()}
    ko = KF.scaled_dot_product_attention(kq, kk, kv, **kopts)
    to = T.nn.functional.scaled_dot_product_attention(tq, tk, tv, **topts)
    assert_close(ko, to)
    backward_both(ko, to)
    for k, t in zip(kins, tins):
        if t.requires_grad:
            assert_close(k.grad, t.grad)


def test_sdpa_fully_masked_row_is_zero_like_pytorch():
    kq, tq = pair(1, 3, 8, seed=1, requires_grad=True)
    kk, tk = pair(1, 4, 8, seed=2, requires_grad=True)
    kv, tv = pair(1, 4, 8, seed=3, requires_grad=True)
    m = np.ones((3, 4), dtype=bool)
    m[1] = False
    ko = KF.scaled_dot_product_attention(kq, kk, kv, attn_mask=K.tensor(m))
    to = T.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=T.tensor(m))
    assert_close(ko, to)
    backward_both(ko, to)
    for k, t in ((kq, tq), (kk, tk), (kv, tv)):
        assert_close(k.grad, t.grad)


def test_sdpa_unbatched_gqa_and_float64():
    kq, tq = pair(4, 8, seed=1, dtype=np.float64)
    kk, tk = pair(6, 8, seed=2, dtype=np.float64)
    kv, tv = pair(6, 3, seed=3, dtype=np.float64)
    assert_close(KF.scaled_dot_product_attention(kq, kk, kv), T.nn.functional.scaled_dot_product_attention(tq, tk, tv))
    kq, tq = pair(2, 4, 5, 8, seed=1, requires_grad=True)
    kk, tk = pair(2, 2, 6, 8, seed=2, requires_grad=True)
    kv, tv = pair(2, 2, 6, 8, seed=3, requires_grad=True)
    ko = KF.scaled_dot_product_attention(kq, kk, kv, enable_gqa=True)
    to = T.nn.functional.scaled_dot_product_attention(tq, tk, tv, enable_gqa=True)
    assert_close(ko, to)
    backward_both(ko, to)
    for k, t in ((kq, tq), (kk, tk), (kv, tv)):
        assert_close(k.grad, t.grad)


def test_sdpa_dropout_keeps_rows_scaled_and_is_seeded():
    kq, kk, kv = (K.ones(1, 1, 64, 4), K.ones(1, 1, 64, 4), K.ones(1, 1, 64, 4))
    K.manual_seed(0)
    a = KF.scaled_dot_product_attention(kq, kk, kv, dropout_p=0.5)
    K.manual_seed(0)
    b = KF.scaled_dot_product_attention(kq, kk, kv, dropout_p=0.5)
    assert np.array_equal(a.numpy(), b.numpy())
    # uniform weights 1/64, each kept with p 0.5 and scaled by 2: row sums near 1, not all equal
    sums = a.numpy()[0, 0, :, 0]
    assert 0.6 < sums.mean() < 1.4 and sums.std() > 0
    assert np.array_equal(KF.scaled_dot_product_attention(kq, kk, kv, dropout_p=1.0).numpy(), np.zeros((1, 1, 64, 4)))


def test_sdpa_errors():
    kq, tq = pair(2, 3, 4, 8, seed=1)
    kk, tk = pair(2, 3, 5, 8, seed=2)
    kv, tv = pair(2, 3, 5, 6, seed=3)
    sdpa_k, sdpa_t = KF.scaled_dot_product_attention, T.nn.functional.scaled_dot_product_attention
    m = np.ones((4, 5), dtype=bool)
    same_error(lambda: sdpa_k(kq, kk, kv, attn_mask=K.tensor(m), is_causal=True),
               lambda: sdpa_t(tq, tk, tv, attn_mask=T.tensor(m), is_causal=True))
    same_error(lambda: sdpa_k(kq, kk[..., :7], kv), lambda: sdpa_t(tq, tk[..., :7], tv))
    same_error(lambda: sdpa_k(kq, kk, kv.double()), lambda: sdpa_t(tq, tk, tv.double()))
    same_error(lambda: sdpa_k(kq, kk, kv, attn_mask=K.ones(4, 5, dtype=K.int64)),
               lambda: sdpa_t(tq, tk, tv, attn_mask=T.ones(4, 5, dtype=T.int64)))


# ---- MultiheadAttention ------------------------------------------------------------------
MHA_CASES = {
    "self_seq_first": dict(),
    "self_batch_first": dict(ctor=dict(batch_first=True)),
    "no_weights": dict(call=dict(need_weights=False)),
    "per_head_weights": dict(call=dict(average_attn_weights=False)),
    "cross": dict(cross=True),
    "kdim_vdim": dict(ctor=dict(kdim=5, vdim=3), cross=True),
    "no_bias": dict(ctor=dict(bias=False)),
    "bias_kv": dict(ctor=dict(add_bias_kv=True), masks=("kpm_bool", "attn_bool")),
    "zero_attn": dict(ctor=dict(add_zero_attn=True), masks=("kpm_bool",)),
    "kpm_bool": dict(masks=("kpm_bool",)),
    "kpm_bool_fast": dict(masks=("kpm_bool",), call=dict(need_weights=False)),
    "kpm_float": dict(masks=("kpm_float",)),
    "attn_bool_2d": dict(masks=("attn_bool",), call=dict(need_weights=False)),
    "attn_float_3d": dict(masks=("attn_float3",), ctor=dict(batch_first=True)),
    "causal_hint": dict(masks=("causal",), call=dict(is_causal=True, need_weights=False)),
    "both_masks": dict(masks=("kpm_bool", "attn_float")),
    "unbatched": dict(unbatched=True, masks=("kpm_bool",)),
}
E, H, L, S, B = 8, 2, 4, 5, 3


def mha_inputs(case):
    batch_first = case.get("ctor", {}).get("batch_first", False)
    kdim, vdim = case.get("ctor", {}).get("kdim", E), case.get("ctor", {}).get("vdim", E)

    def shape(n, d):
        if case.get("unbatched"):
            return (n, d)
        return (B, n, d) if batch_first else (n, B, d)

    kq, tq = pair(*shape(L, E), seed=1, requires_grad=True)
    if case.get("cross"):
        kk, tk = pair(*shape(S, kdim), seed=2, requires_grad=True)
        kv, tv = pair(*shape(S, vdim), seed=3, requires_grad=True)
        src = S
    else:
        kk, tk, kv, tv, src = kq, tq, kq, tq, L
    kw, tw = {}, {}
    for m in case.get("masks", ()):
        if m.startswith("kpm"):
            a = bool_mask((src,) if case.get("unbatched") else (B, src), 11)
            a = a if m == "kpm_bool" else np.where(a, -1.5, 0.25).astype(np.float32)
            kw["key_padding_mask"], tw["key_padding_mask"] = K.tensor(a), T.tensor(a)
        else:
            if m == "attn_bool":
                a = bool_mask((L, src), 12)
            elif m == "causal":
                a = np.triu(np.ones((L, src), dtype=bool), 1)
            elif m == "attn_float3":
                a = np.random.default_rng(13).standard_normal((B * H, L, src)).astype(np.float32)
            else:
                a = np.random.default_rng(13).standard_normal((L, src)).astype(np.float32)
            kw["attn_mask"], tw["attn_mask"] = K.tensor(a), T.tensor(a)
    call = case.get("call", {})
    kw.update(call)
    tw.update(call)
    return (kq, kk, kv), (tq, tk, tv), kw, tw


@pytest.mark.parametrize("name", list(MHA_CASES))
def test_multihead_attention_parity(name):
    case = MHA_CASES[name]
    km, tm = twin(T.nn.MultiheadAttention, knn.MultiheadAttention, E, H, **case.get("ctor", {}))
    kins, tins, kw, tw = mha_inputs(case)
    ko, kweights = km(*kins, **kw)
    to, tweights = tm(*tins, **tw)
    assert_close(ko, to)
    assert (kweights is None) == (tweights is None)
    if tweights is not None:
        assert_close(kweights, tweights)
    backward_both(ko, to)
    check_grads(km, tm, kins, tins)


def test_multihead_attention_errors():
    same_error(lambda: knn.MultiheadAttention(8, 3), lambda: T.nn.MultiheadAttention(8, 3))
    same_error(lambda: knn.MultiheadAttention(0, 2), lambda: T.nn.MultiheadAttention(0, 2))
    km, tm = twin(T.nn.MultiheadAttention, knn.MultiheadAttention, E, H)
    kx, tx = pair(L, B, E, seed=1)
    same_error(lambda: km(kx, kx, kx, is_causal=True), lambda: tm(tx, tx, tx, is_causal=True))
    same_error(lambda: km(kx, kx, kx, attn_mask=K.zeros(3, 3)), lambda: tm(tx, tx, tx, attn_mask=T.zeros(3, 3)))
    same_error(lambda: km(kx, kx, kx, attn_mask=K.zeros(2, 4, 4)), lambda: tm(tx, tx, tx, attn_mask=T.zeros(2, 4, 4)))
    same_error(lambda: km(kx, kx, kx, key_padding_mask=K.zeros(B, 3, dtype=K.bool)),
               lambda: tm(tx, tx, tx, key_padding_mask=T.zeros(B, 3, dtype=T.bool)))
    same_error(lambda: km(kx[..., :4], kx, kx), lambda: tm(tx[..., :4], tx, tx))
    same_error(lambda: km(kx.unsqueeze(0), kx, kx), lambda: tm(tx.unsqueeze(0), tx, tx))
    same_error(lambda: km(kx, kx, kx, attn_mask=K.zeros(L, L, dtype=K.int64)),
               lambda: tm(tx, tx, tx, attn_mask=T.zeros(L, L, dtype=T.int64)))


# ---- Transformer layers ------------------------------------------------------------------
def _gelu_pair():
    return (lambda x: KF.gelu(x, approximate="tanh")), (lambda x: T.nn.functional.gelu(x, approximate="tanh"))


ENCODER_CASES = {
    "post_norm_relu": dict(),
    "pre_norm_gelu": dict(norm_first=True, activation="gelu"),
    "callable_activation": dict(activation="callable"),
    "batch_first_masks": dict(batch_first=True, masks=True),
    "no_bias": dict(bias=False),
}


def _layer_kwargs(opts):
    kk = dict(dim_feedforward=16, dropout=0.0, **{k: v for k, v in opts.items() if k not in ("masks", "activation")})
    tk = dict(kk)
    act = opts.get("activation")
    if act == "callable":
        kk["activation"], tk["activation"] = _gelu_pair()
    elif act:
        kk["activation"] = tk["activation"] = act
    return kk, tk


def _twin_kw(torch_cls, kernel_cls, args, kk, tk):
    T.manual_seed(0)
    tm = torch_cls(*args, **tk)
    km = kernel_cls(*args, **kk)
    assert list(km.state_dict()) == list(tm.state_dict())
    km.load_state_dict({n: K.tensor(v.detach().numpy().copy()) for n, v in tm.state_dict().items()})
    return km, tm


def _seq(batch_first, n, seed):
    return pair(*((B, n, E) if batch_first else (n, B, E)), seed=seed, requires_grad=True)


def _masks(opts, n, seed):
    if not opts.get("masks"):
        return {}, {}
    causal = np.triu(np.full((n, n), -np.inf, dtype=np.float32), 1)
    kpm = bool_mask((B, n), seed)
    return ({"mask": K.tensor(causal), "kpm": K.tensor(kpm)}, {"mask": T.tensor(causal), "kpm": T.tensor(kpm)})


@pytest.mark.parametrize("name", list(ENCODER_CASES))
def test_encoder_layer_and_stack_parity(name):
    opts = ENCODER_CASES[name]
    kk, tk = _layer_kwargs(opts)
    km, tm = _twin_kw(T.nn.TransformerEncoderLayer, knn.TransformerEncoderLayer, (E, H), kk, tk)
    kx, tx = _seq(opts.get("batch_first", False), L, 1)
    kmask, tmask = _masks(opts, L, 2)
    ko = km(kx, src_mask=kmask.get("mask"), src_key_padding_mask=kmask.get("kpm"))
    to = tm(tx, src_mask=tmask.get("mask"), src_key_padding_mask=tmask.get("kpm"))
    assert_close(ko, to)
    backward_both(ko, to)
    check_grads(km, tm, [kx], [tx])
    # a two-layer stack with a final norm (its layers are copies: gradients cleared first)
    km.zero_grad()
    tm.zero_grad()
    T.manual_seed(1)
    tstack = T.nn.TransformerEncoder(tm, 2, norm=T.nn.LayerNorm(E), enable_nested_tensor=False)
    kstack = knn.TransformerEncoder(km, 2, norm=knn.LayerNorm(E))
    kstack.load_state_dict({n: K.tensor(v.detach().numpy().copy()) for n, v in tstack.state_dict().items()})
    kx, tx = _seq(opts.get("batch_first", False), L, 3)
    ko = kstack(kx, mask=kmask.get("mask"), src_key_padding_mask=kmask.get("kpm"))
    to = tstack(tx, mask=tmask.get("mask"), src_key_padding_mask=tmask.get("kpm"))
    assert_close(ko, to)
    backward_both(ko, to)
    check_grads(kstack, tstack, [kx], [tx])


@pytest.mark.parametrize("name", ["post_norm_relu", "pre_norm_gelu", "batch_first_masks"])
def test_decoder_layer_parity(name):
    opts = ENCODER_CASES[name]
    kk, tk = _layer_kwargs(opts)
    km, tm = _twin_kw(T.nn.TransformerDecoderLayer, knn.TransformerDecoderLayer, (E, H), kk, tk)
    bf = opts.get("batch_first", False)
    kt, tt = _seq(bf, L, 1)
    kmem, tmem = _seq(bf, S, 2)
    kmask, tmask = _masks(opts, L, 3)
    mk = {}, {}
    if opts.get("masks"):
        a = bool_mask((B, S), 4)
        mk = {"memory_key_padding_mask": K.tensor(a)}, {"memory_key_padding_mask": T.tensor(a)}
    ko = km(kt, kmem, tgt_mask=kmask.get("mask"), tgt_key_padding_mask=kmask.get("kpm"), **mk[0])
    to = tm(tt, tmem, tgt_mask=tmask.get("mask"), tgt_key_padding_mask=tmask.get("kpm"), **mk[1])
    assert_close(ko, to)
    backward_both(ko, to)
    check_grads(km, tm, [kt, kmem], [tt, tmem])


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_parity(batch_first):
    args = dict(d_model=E, nhead=H, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0,
                batch_first=batch_first)
    km, tm = twin(T.nn.Transformer, knn.Transformer, **args)
    ks, ts = _seq(batch_first, S, 1)
    kt, tt = _seq(batch_first, L, 2)
    kmask = knn.Transformer.generate_square_subsequent_mask(L)
    tmask = T.nn.Transformer.generate_square_subsequent_mask(L)
    assert_close(kmask, tmask)
    kpm = bool_mask((B, S), 3)
    ko = km(ks, kt, tgt_mask=kmask, src_key_padding_mask=K.tensor(kpm), memory_key_padding_mask=K.tensor(kpm),
            tgt_is_causal=True)
    to = tm(ts, tt, tgt_mask=tmask, src_key_padding_mask=T.tensor(kpm), memory_key_padding_mask=T.tensor(kpm),
            tgt_is_causal=True)
    assert_close(ko, to)
    backward_both(ko, to)
    check_grads(km, tm, [ks, kt], [ts, tt])


def test_transformer_repr_init_and_errors():
    T.manual_seed(0)
    K.manual_seed(0)
    tm = T.nn.Transformer(E, H, 1, 1, 16)
    km = knn.Transformer(E, H, 1, 1, 16)
    assert repr(km) == repr(tm)
    # xavier-initialised matrices: same bound, so the same spread
    for (n, kp), (_, tp) in zip(km.named_parameters(), tm.named_parameters()):
        if tp.dim() > 1:
            bound = float(np.sqrt(6.0 / sum(tp.shape[:2])))
            assert np.abs(kp.detach().numpy()).max() <= bound + 1e-6, n
    ks, ts = pair(S, B, E, seed=1)
    kt, tt = pair(L, 2, E, seed=2)
    same_error(lambda: km(ks, kt), lambda: tm(ts, tt))
    same_error(lambda: km(ks[..., :4], ks[..., :4]), lambda: tm(ts[..., :4], ts[..., :4]))
    same_error(lambda: knn.TransformerEncoderLayer(E, H, activation="tanh"),
               lambda: T.nn.TransformerEncoderLayer(E, H, activation="tanh"))
    same_error(lambda: knn.TransformerDecoderLayer(E, H, activation="swish"),
               lambda: T.nn.TransformerDecoderLayer(E, H, activation="swish"))
    same_error(lambda: knn.Transformer(E, H, 1, 1, 16, device="cuda"), lambda: T.nn.Transformer(E, H, 1, 1, 16, device="cuda"))
    same_error(lambda: knn.MultiheadAttention(E, H, device="cuda"), lambda: T.nn.MultiheadAttention(E, H, device="cuda"))


def test_sdpa_kernel_selection_is_accepted_as_in_pytorch():
    from torchpad.kernel.nn.attention import SDPBackend, sdpa_kernel

    kq, tq = pair(1, 2, 3, 4, seed=1)
    with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION]):
        ko = KF.scaled_dot_product_attention(kq, kq, kq)
    with T.nn.attention.sdpa_kernel([T.nn.attention.SDPBackend.MATH]):
        to = T.nn.functional.scaled_dot_product_attention(tq, tq, tq)
    assert_close(ko, to)
    assert list(SDPBackend.__members__) == list(T.nn.attention.SDPBackend.__members__)


@pytest.mark.parametrize("grad", [False, True])
def test_encoder_inference_zeroes_padded_positions_like_pytorch(grad):
    """In eval mode without autograd PyTorch runs the encoder on nested tensors: padded outputs come back 0
    (before the final norm); with autograd it takes the ordinary path."""
    args = dict(d_model=E, nhead=H, dim_feedforward=16, dropout=0.0, batch_first=True)
    km, tm = twin(T.nn.TransformerEncoderLayer, knn.TransformerEncoderLayer, **args)
    T.manual_seed(1)
    tenc = T.nn.TransformerEncoder(tm, 2, norm=T.nn.LayerNorm(E))
    kenc = knn.TransformerEncoder(km, 2, norm=knn.LayerNorm(E))
    kenc.load_state_dict({n: K.tensor(v.detach().numpy().copy()) for n, v in tenc.state_dict().items()})
    kenc.eval()
    tenc.eval()
    kx, tx = pair(B, S, E, seed=2)
    kpm = np.zeros((B, S), dtype=bool)
    kpm[0, 3:] = True
    kpm[2, 4:] = True
    if grad:
        ko, to = kenc(kx, src_key_padding_mask=K.tensor(kpm)), tenc(tx, src_key_padding_mask=T.tensor(kpm))
    else:
        with K.no_grad():
            ko = kenc(kx, src_key_padding_mask=K.tensor(kpm))
        with T.no_grad():
            to = tenc(tx, src_key_padding_mask=T.tensor(kpm))
    assert_close(ko, to)
