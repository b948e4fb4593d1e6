# compare: values
"""Autograd: requires_grad, grad_fn, backward, as in the blitz and the autograd basics tutorial."""
import torch

x = torch.ones(5)
y = torch.zeros(3)
w = torch.linspace(-1.0, 1.0, 15).reshape(5, 3).requires_grad_()
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn}")
print("loss", round(loss.item(), 4))
loss.backward()
print(w.grad)
print(b.grad)

a = torch.ones(2, 2, requires_grad=True)
print(a)
c = a + 2
print(c)
print(c.grad_fn)
d = c * c * 3
out = d.mean()
print(d, out)
out.backward()
print(a.grad)

q = torch.tensor([2.0, 3.0], requires_grad=True)
r = torch.tensor([6.0, 4.0], requires_grad=True)
Q = 3 * q ** 3 - r ** 2
external_grad = torch.tensor([1.0, 1.0])
Q.backward(gradient=external_grad)
print(9 * q ** 2 == q.grad)
print(-2 * r == r.grad)

z = torch.matmul(x, w) + b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)
z_det = (torch.matmul(x, w) + b).detach()
print(z_det.requires_grad)
print(a.is_leaf, c.is_leaf, c.grad_fn is not None)
