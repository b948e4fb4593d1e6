# Parity probe for the browser's compute paths (issue 11): float32 products big enough to go
# through the kernel's compute seam (conv2d forward/backward, linear, a 2-layer LSTM, five steps of
# training, batched products: a grouped conv and bmm, and short, wide products: a linear layer and an
# LSTM of width 256, which the page sends to onnxruntime-web while their tall products go to
# TensorFlow.js), run in the page on each compute path and compared with
# e2e/compute_parity_expected.json, made by real PyTorch:
#   .venv/bin/python e2e/compute_parity.py > e2e/compute_parity_expected.json
# Large tensors are reported as a strided sample of at most 256 values plus their sum.
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(0)


def leaf(*shape, scale=1.0):
    return torch.from_numpy((rng.standard_normal(shape) * scale).astype(np.float32)).requires_grad_()


def sample(t):
    flat = t.detach().reshape(-1)
    step = max(1, flat.numel() // 256)
    return {"values": flat[::step][:256].tolist(), "sum": flat.sum().item()}


out = {}
x, w, b = leaf(4, 3, 16, 16), leaf(8, 3, 3, 3, scale=0.3), leaf(8)
y = F.conv2d(x, w, b, padding=1)
(y * y).mean().backward()
out["conv"] = {"y": sample(y), "x_grad": sample(x.grad), "w_grad": sample(w.grad), "b_grad": sample(b.grad)}

x, w, b = leaf(64, 120), leaf(80, 120, scale=0.1), leaf(80)
y = F.linear(x, w, b)
torch.tanh(y).sum().backward()
out["linear"] = {"y": sample(y), "x_grad": sample(x.grad), "w_grad": sample(w.grad), "b_grad": sample(b.grad)}

torch.manual_seed(0)
lstm = nn.LSTM(10, 32, 2, batch_first=True)
with torch.no_grad():
    for p in lstm.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.2).astype(np.float32)))
xs = leaf(8, 5, 10)
seq, (h, c) = lstm(xs)
(seq.sum() + h.square().sum() + c.sum()).backward()
out["lstm"] = {"seq": sample(seq), "h": sample(h), "c": sample(c), "x_grad": sample(xs.grad),
               **{name: sample(p.grad) for name, p in lstm.named_parameters()}}

model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 8 * 8, 64),
                      nn.ReLU(), nn.Linear(64, 10))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.1).astype(np.float32)))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
data = torch.from_numpy(rng.standard_normal((32, 3, 16, 16)).astype(np.float32))
labels = torch.from_numpy(rng.integers(0, 10, 32).astype(np.int64))
losses = []
for _ in range(5):
    opt.zero_grad()
    loss = F.cross_entropy(model(data), labels)
    loss.backward()
    opt.step()
    losses.append(loss.item())
out["training_losses"] = losses

# batched products on the host (one library call per batch entry): a grouped, strided conv and bmm
x, w, b = leaf(8, 8, 16, 16), leaf(16, 4, 3, 3, scale=0.3), leaf(16)
y = F.conv2d(x, w, b, stride=2, padding=1, groups=2)
(y * y).mean().backward()
out["conv_grouped"] = {"y": sample(y), "x_grad": sample(x.grad), "w_grad": sample(w.grad), "b_grad": sample(b.grad)}
p, q = leaf(6, 32, 40), leaf(6, 40, 24)
y = torch.bmm(p, q)
torch.tanh(y).sum().backward()
out["bmm"] = {"y": sample(y), "p_grad": sample(p.grad), "q_grad": sample(q.grad)}

# short, wide products (compute.wide_route: at most 256 rows, inner and output sizes from 128): the linear
# layer's forward and input gradient, the LSTM's gate products per time step; their weight gradients are tall
x, w, b = leaf(64, 512, scale=0.5), leaf(1024, 512, scale=512 ** -0.5), leaf(1024)
y = F.linear(x, w, b)
torch.tanh(y).sum().backward()
out["linear_wide"] = {"y": sample(y), "x_grad": sample(x.grad), "w_grad": sample(w.grad), "b_grad": sample(b.grad)}
lstm = nn.LSTM(256, 256, 1)
with torch.no_grad():
    for p in lstm.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 256 ** -0.5).astype(np.float32)))
xs = leaf(4, 64, 256, scale=0.5)
seq, (h, c) = lstm(xs)
(seq.sum() + c.sum()).backward()
out["lstm_wide"] = {"seq": sample(seq), "h": sample(h), "c": sample(c), "x_grad": sample(xs.grad),
                    **{name: sample(p.grad) for name, p in lstm.named_parameters()}}
print(json.dumps(out))
