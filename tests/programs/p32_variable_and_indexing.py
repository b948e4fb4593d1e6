# compare: values
"""Old-style code (Variable, .data) next to the index ops tutorials use: index_add_, scatter_, gather, masks."""
import torch
from torch.autograd import Variable

x = Variable(torch.ones(2, 2), requires_grad=True)
y = x * 3
print(isinstance(x, torch.Tensor), isinstance(y, Variable), y.data)
y.sum().backward()
print(x.grad)
v = Variable(torch.tensor([1.0, 2.0]))
print(v.requires_grad, v)

t = torch.zeros(3, 5)
index = torch.tensor([0, 4, 2])
t.index_add_(1, index, torch.arange(9, dtype=torch.float32).reshape(3, 3))
print(t)
print(t.index_fill(0, torch.tensor([1]), -1.0))
print(torch.zeros(3, 4).index_copy_(0, torch.tensor([2, 0]), torch.tensor([[1.0, 2, 3, 4], [5, 6, 7, 8]])))

src = torch.arange(1, 11, dtype=torch.float32).reshape((2, 5))
index = torch.tensor([[0, 1, 2, 0]])
print(torch.zeros(3, 5, dtype=src.dtype).scatter_(0, index, src))
print(torch.zeros(3, 5).scatter_add_(0, torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]]), src))
labels = torch.tensor([2, 0, 1])
one_hot = torch.zeros(3, 4).scatter_(1, labels.unsqueeze(1), 1.0)
print(one_hot)
probs = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])
print(torch.gather(probs, 1, torch.tensor([[1], [0]])))
mask = probs > 0.2
print(mask, probs[mask], probs.masked_fill(~mask, 0.0))
print(torch.where(mask, probs, torch.zeros_like(probs)))
print(probs.nonzero().shape, torch.argwhere(mask))

w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
z = torch.zeros(5).index_add(0, torch.tensor([0, 0, 3]), w * 2)
z.sum().backward()
print(z, w.grad)
