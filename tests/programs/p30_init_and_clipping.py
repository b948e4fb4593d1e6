# compare: structure
"""Weight initialisation (nn.init, model.apply) and gradient clipping, checked by their own invariants."""
import math

import torch
import torch.nn as nn

torch.manual_seed(42)


def init_weights(m):
    if isinstance(m, nn.Linear):
        torch.nn.init.xavier_uniform_(m.weight)
        m.bias.data.fill_(0.01)


net = nn.Sequential(nn.Linear(20, 50), nn.ReLU(), nn.Linear(50, 10))
net.apply(init_weights)
bound = math.sqrt(6 / (20 + 50))
print("ok: xavier bound" if net[0].weight.abs().max().item() <= bound else "bad bound", round(bound, 4))
print(net[0].bias[:3])
w = torch.empty(200, 300)
nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
print("kaiming std", round(w.std().item(), 2), "expected", round(math.sqrt(2 / 200), 2))
nn.init.normal_(w, mean=1.0, std=0.5)
print("normal mean", round(w.mean().item(), 1), "std", round(w.std().item(), 1))
nn.init.constant_(w, 0.3)
print(w.unique())
nn.init.zeros_(w)
print(w.abs().sum())
e = torch.empty(3, 3)
nn.init.eye_(e)
print(e)
o = torch.empty(4, 4)
nn.init.orthogonal_(o)
print("ok: orthogonal" if torch.allclose(o @ o.T, torch.eye(4), atol=1e-5) else "not orthogonal")

x = torch.randn(16, 20)
loss = net(x).pow(2).sum() * 100
loss.backward()
total = torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0)
after = torch.sqrt(sum(p.grad.pow(2).sum() for p in net.parameters()))
print("ok: clipped" if total.item() > 1.0 and abs(after.item() - 1.0) < 1e-3 else "not clipped")
torch.nn.utils.clip_grad_value_(net.parameters(), clip_value=0.01)
print("ok: values clipped" if max(p.grad.abs().max().item() for p in net.parameters()) <= 0.01 + 1e-7 else "no")
vec = torch.nn.utils.parameters_to_vector(net.parameters())
print(vec.shape)
