# compare: values
"""The nn.Module API: children, named_modules, apply, ModuleList/ModuleDict, buffers, requires_grad_, freezing."""
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(n, n) for _ in range(2)])
        self.acts = nn.ModuleDict({"relu": nn.ReLU(), "tanh": nn.Tanh()})
        self.register_buffer("scale", torch.tensor(0.5))

    def forward(self, x, act="relu"):
        for layer in self.layers:
            x = self.acts[act](layer(x))
        return x * self.scale


net = nn.Sequential()
net.add_module("block", Block(3))
net.add_module("head", nn.Linear(3, 1))


@torch.no_grad()
def init(m):
    if isinstance(m, nn.Linear):
        m.weight.copy_(torch.linspace(-0.5, 0.5, m.weight.numel()).reshape(m.weight.shape))
        m.bias.fill_(0.05)


net.apply(init)
print(net)
print([name for name, _ in net.named_children()])
print([name for name, _ in net.named_modules()])
print([(name, tuple(p.shape)) for name, p in net.named_parameters()])
print(dict(net.named_buffers()))
print(sum(p.numel() for p in net.parameters() if p.requires_grad))
x = torch.linspace(-1, 1, 6).reshape(2, 3)
print(net(x))
print(net.block(x, act="tanh"))

for p in net.block.parameters():
    p.requires_grad_(False)
print(sum(p.numel() for p in net.parameters() if p.requires_grad))
opt = torch.optim.SGD(filter(lambda p: p.requires_grad, net.parameters()), lr=0.1)
loss = net(x).pow(2).sum()
loss.backward()
opt.step()
print(net.block.layers[0].weight.grad is None, net.head.weight.grad)
print(net.head.weight)
net.zero_grad()
print(net.head.weight.grad)
print(net.training, net.eval().training, net.block.training, net.train().head.training)
print(net.get_submodule("block.layers.1"))
print(net.get_parameter("head.bias"))
print(net.state_dict()["block.scale"])
del net.block.acts["tanh"]
print(list(net.block.acts.keys()), len(net.block.layers))
net.block.layers.append(nn.Identity())
print(net.block.layers)
