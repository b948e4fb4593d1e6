# compare: values
"""Gradients accumulate; retain_graph; zeroing; Jacobian-vector products via backward(v)."""
import torch

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

x = torch.linspace(-1, 1, 3, requires_grad=True)
y = x * 2
while y.data.norm() < 1000:
    y = y * 2
print(y)
v = torch.tensor([0.1, 1.0, 0.0001], dtype=torch.float)
y.backward(v)
print(x.grad)

try:
    out.sum().backward()
    out.sum().backward()
except RuntimeError as e:
    print("second backward:", str(e)[:60])

t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
s = (t * t).sum()
g, = torch.autograd.grad(s, t)
print(g)
