# compare: values
"""Backward hooks: tensor hooks, full module backward hooks and pre-hooks, gradient inspection."""
import torch
import torch.nn as nn

torch.set_printoptions(precision=4)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 0.9 + k).reshape(p.shape) * 0.6)

grads = []
for name, layer in model.named_children():
    layer.register_full_backward_hook(
        lambda module, grad_input, grad_output, name=name: grads.append(
            (name, [None if g is None else tuple(g.shape) for g in grad_input], tuple(grad_output[0].shape))))

x = torch.linspace(-1, 1, 6).reshape(2, 3).requires_grad_()
y = model(x).sum()
y.backward()
for entry in grads:
    print(entry)
print(x.grad)

a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a * 3
b.register_hook(lambda g: print("grad reaching b:", g))
handle = a.register_hook(lambda g: g * 10)
(b ** 2).sum().backward()
print(a.grad)
handle.remove()
a.grad = None
(b.detach() * a).sum().backward()
print(a.grad)

layer = nn.Linear(2, 2)
with torch.no_grad():
    layer.weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 2.0]]))
    layer.bias.zero_()
layer.register_full_backward_pre_hook(lambda module, grad_output: (grad_output[0] * 0.5,))
inp = torch.tensor([[1.0, 1.0]], requires_grad=True)
layer(inp).sum().backward()
print(inp.grad, layer.weight.grad)

c = torch.tensor([2.0, -1.0], requires_grad=True)
d = c * c
d.retain_grad()
d.sum().backward()
print(d.grad, c.grad)
