# compare: values
"""In-place ops (the trailing underscore), view ops done in place, bitwise and logical ops, math aliases."""
import torch

a = torch.tensor([0.5, -0.25, 0.75])
a.mul_(2).add_(1).clamp_(0, 2)
print(a)
a.sqrt_()
print(a)
b = torch.tensor([0.3, 0.6, 0.9])
print(torch.arcsin(b), torch.arccos(b), torch.arctan(b))
b.asin_()
print(b)
c = torch.arange(6.0).reshape(2, 3)
c.t_()
print(c, c.shape)
c.unsqueeze_(0)
print(c.shape)
c.squeeze_()
print(c.shape)
c.transpose_(0, 1)
print(c)

m = torch.tensor([0b1100, 0b1010, 7])
n = torch.tensor([0b1010, 0b0110, 1])
print(torch.bitwise_and(m, n), torch.bitwise_or(m, n), torch.bitwise_xor(m, n), torch.bitwise_not(m))
print(m & n, m | n, m ^ n, ~m, m << 1, m >> 1)
flags = torch.tensor([True, False, True])
other = torch.tensor([True, True, False])
print(torch.logical_and(flags, other), torch.logical_or(flags, other), torch.logical_xor(flags, other), ~flags)
f = torch.tensor([0.0, 1.5, -2.0])
f.logical_not_()
print(f)
g = torch.ones(3, requires_grad=True)
h = g * 2
h.exp_()
h.sum().backward()
print(h, g.grad)
try:
    g.add_(1)
except RuntimeError as e:
    print("RuntimeError:", e)
k = torch.tensor([1.0, 2.0, 3.0])
k += 1
k *= torch.tensor([2.0, 1.0, 0.5])
k -= 0.5
k /= 2
print(k, k.floor_divide(1), k.remainder(1))
