"""grad_fn names as PyTorch prints them (`AddmmBackward0`, `NativeBatchNormBackward0`,
`ConvolutionBackward0`, ...): the same expressions built in both runtimes, names compared.
(LSTM is left out: PyTorch's name there depends on its build, MkldnnRnnLayerBackward0 on CPU.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch as T
import torch.nn.functional as TF

import torchpad.kernel as K
import torchpad.kernel.nn as knn
import torchpad.kernel.nn.functional as KF


def name(t):
    g = t.grad_fn
    if g is None:
        return None
    return g.name() if hasattr(g, "name") and callable(g.name) else type(g).__name__


CASES = {
 "add": lambda m, F, x, y, w: x + y, "sub": lambda m,F,x,y,w: x - y, "mul": lambda m,F,x,y,w: x * y,
 "div": lambda m,F,x,y,w: x / y, "add_scalar": lambda m,F,x,y,w: x + 1, "mul_scalar": lambda m,F,x,y,w: x * 2,
 "neg": lambda m,F,x,y,w: -x, "pow": lambda m,F,x,y,w: x ** 2, "exp": lambda m,F,x,y,w: x.exp(), "log": lambda m,F,x,y,w: x.abs().log(),
 "sum": lambda m,F,x,y,w: x.sum(), "sum_dim": lambda m,F,x,y,w: x.sum(1), "mean": lambda m,F,x,y,w: x.mean(), "mean_dim": lambda m,F,x,y,w: x.mean(0),
 "max": lambda m,F,x,y,w: x.max(), "relu": lambda m,F,x,y,w: x.relu(), "F.relu": lambda m,F,x,y,w: F.relu(x),
 "sigmoid": lambda m,F,x,y,w: x.sigmoid(), "tanh": lambda m,F,x,y,w: x.tanh(), "matmul": lambda m,F,x,y,w: x @ w,
 "mm": lambda m,F,x,y,w: x.mm(w), "view": lambda m,F,x,y,w: x.view(-1), "reshape": lambda m,F,x,y,w: x.reshape(3, 4),
 "t": lambda m,F,x,y,w: x.t(), "transpose": lambda m,F,x,y,w: x.transpose(0, 1), "permute": lambda m,F,x,y,w: x.permute(1, 0),
 "index": lambda m,F,x,y,w: x[0], "slice": lambda m,F,x,y,w: x[:, 1:], "unsqueeze": lambda m,F,x,y,w: x.unsqueeze(0),
 "squeeze": lambda m,F,x,y,w: x.unsqueeze(0).squeeze(0), "cat": lambda m,F,x,y,w: m.cat([x, y]), "stack": lambda m,F,x,y,w: m.stack([x, y]),
 "softmax": lambda m,F,x,y,w: F.softmax(x, 1), "log_softmax": lambda m,F,x,y,w: F.log_softmax(x, 1),
 "cross_entropy": lambda m,F,x,y,w: F.cross_entropy(x, m.tensor([0, 1, 2])), "mse": lambda m,F,x,y,w: F.mse_loss(x, y),
 "nll": lambda m,F,x,y,w: F.nll_loss(x, m.tensor([0, 1, 2])), "linear": lambda m,F,x,y,w: F.linear(x, w.t()),
 "linear_bias": lambda m,F,x,y,w: F.linear(x, w.t(), w[0]), "linear_1d": lambda m,F,x,y,w: F.linear(x[0], w.t(), w[0]),
 "expand": lambda m,F,x,y,w: x[:1].expand(3, 4), "clone": lambda m,F,x,y,w: x.clone(), "abs": lambda m,F,x,y,w: x.abs(),
 "sqrt": lambda m,F,x,y,w: x.abs().sqrt(), "dropout_eval": lambda m,F,x,y,w: F.dropout(x, 0.5, training=False),
 "layer_norm": lambda m,F,x,y,w: F.layer_norm(x, (4,)), "gelu": lambda m,F,x,y,w: F.gelu(x), "flatten": lambda m,F,x,y,w: x.flatten(),
 "bmm": lambda m,F,x,y,w: m.bmm(x.unsqueeze(0), w.unsqueeze(0)), "sdpa": lambda m,F,x,y,w: F.scaled_dot_product_attention(x, y, y),
 "clamp": lambda m,F,x,y,w: x.clamp(0, 1), "where": lambda m,F,x,y,w: m.where(x > 0, x, y), "masked_fill": lambda m,F,x,y,w: x.masked_fill(x > 0, 0.0),
 "std": lambda m,F,x,y,w: x.std(), "var": lambda m,F,x,y,w: x.var(), "norm": lambda m,F,x,y,w: x.norm(), "embedding": lambda m,F,x,y,w: F.embedding(m.tensor([0, 2]), x),
 "mean_all_div": lambda m,F,x,y,w: x.sum() / 3, "rsub": lambda m,F,x,y,w: 1 - x, "rdiv": lambda m,F,x,y,w: 1 / x,
 "sin": lambda m,F,x,y,w: x.sin(), "cos": lambda m,F,x,y,w: x.cos(), "argmax_gather": lambda m,F,x,y,w: x.gather(1, m.tensor([[0], [1], [2]])),
 "split": lambda m,F,x,y,w: x.split(2, 1)[0], "chunk": lambda m,F,x,y,w: x.chunk(2, 1)[1], "contiguous_t": lambda m,F,x,y,w: x.t().contiguous(),
 "repeat": lambda m,F,x,y,w: x.repeat(2, 1), "leaky": lambda m,F,x,y,w: F.leaky_relu(x), "bce_logits": lambda m,F,x,y,w: F.binary_cross_entropy_with_logits(x, y.sigmoid().detach()),
}
def run(m, F, nnm):
    """{case: grad_fn name} for every case, built with the given torch (real or kernel)."""
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    y = m.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    w = m.tensor(rng.standard_normal((4, 5)).astype(np.float32), requires_grad=True)
    out = {k: name(f(m, F, x, y, w)) for k, f in CASES.items()}
    x4 = m.tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32), requires_grad=True)
    modules = {
        "conv2d": (nnm.Conv2d(3, 4, 3), x4), "bn2d": (nnm.BatchNorm2d(3), x4), "maxpool": (nnm.MaxPool2d(2), x4),
        "avgpool": (nnm.AvgPool2d(2), x4), "linear_mod": (nnm.Linear(8, 2), x4), "bn1d": (nnm.BatchNorm1d(4), x),
        "conv1d": (nnm.Conv1d(8, 2, 3), x4[0]), "adaptive_avg": (nnm.AdaptiveAvgPool2d(1), x4),
        "embedding_mod": (nnm.Embedding(5, 3), m.tensor([1, 2])),
    }
    for k, (mod, inp) in modules.items():
        out[k] = name(mod(inp))
    out["mha"] = name(nnm.MultiheadAttention(8, 2)(x4[0], x4[0], x4[0])[0])
    out["mha_w"] = name(nnm.MultiheadAttention(8, 2)(x4[0], x4[0], x4[0])[1])
    return out


@pytest.fixture(scope="module")
def tables():
    return run(T, TF, T.nn), run(K, KF, knn)


def test_the_table_covers_the_common_ops(tables):
    torch_names, _ = tables
    assert {"AddmmBackward0", "NativeBatchNormBackward0", "ConvolutionBackward0", "MulBackward0",
            "NativeLayerNormBackward0", "MaxPool2DWithIndicesBackward0"} <= set(torch_names.values())


@pytest.mark.parametrize("case", list(CASES) + ["conv2d", "bn2d", "maxpool", "avgpool", "linear_mod", "bn1d", "conv1d",
                                                "adaptive_avg", "embedding_mod", "mha", "mha_w"])
def test_grad_fn_name_matches_pytorch(tables, case):
    torch_names, kernel_names = tables
    assert kernel_names[case] == torch_names[case]


def test_repr_shows_the_name():
    x = K.ones(2, 3, requires_grad=True)
    w = K.ones(4, 3, requires_grad=True)
    out = KF.linear(x, w, K.zeros(4))
    assert "grad_fn=<AddmmBackward0>" in repr(out)
    assert repr(out.grad_fn).startswith("<AddmmBackward0 object at 0x")
