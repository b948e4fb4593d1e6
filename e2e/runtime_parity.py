# Parity probe for the browser runtime: run in the browser on the kernel and compare with
# e2e/runtime_parity_expected.json, made by real PyTorch:
#   .venv/bin/python e2e/runtime_parity.py > e2e/runtime_parity_expected.json
import json

import torch
import torch.nn.functional as F

x = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], requires_grad=True)
w = torch.tensor([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], requires_grad=True)
b = torch.tensor([0.05, -0.1], requires_grad=True)
h = torch.tanh(x @ w + b)
loss = F.cross_entropy(h, torch.tensor([1, 0]))
loss.backward()
print(json.dumps({"h": h.tolist(), "loss": loss.item(), "x_grad": x.grad.tolist(), "w_grad": w.grad.tolist(), "b_grad": b.grad.tolist()}))
