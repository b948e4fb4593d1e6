# compare: values
"""Parametrizations (a symmetric weight) and pruning (L1, global, remove) as the recipes show them."""
import torch
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize
import torch.nn.utils.prune as prune


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


layer = nn.Linear(3, 3)
with torch.no_grad():
    layer.weight.copy_(torch.arange(9, dtype=torch.float32).reshape(3, 3) / 10)
    layer.bias.zero_()
parametrize.register_parametrization(layer, "weight", Symmetric())
print(layer)
A = layer.weight
print(A)
print(torch.dist(A, A.T))
print(list(layer.state_dict()))
x = torch.ones(2, 3)
layer(x).sum().backward()
print(layer.parametrizations.weight.original.grad)
with parametrize.cached():
    print(layer.weight is layer.weight)
parametrize.remove_parametrizations(layer, "weight")
print(type(layer).__name__, [n for n, _ in layer.named_parameters()])


class LeNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


model = LeNetish()
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 1.3 + k).reshape(p.shape))
module = model.fc1
prune.l1_unstructured(module, name="weight", amount=0.5)
print(list(module.named_parameters())[0][0], list(module.named_buffers())[0][0])
print(module.weight)
print(len(module._forward_pre_hooks))
prune.l1_unstructured(module, name="bias", amount=1)
print(module.bias_mask)
parameters_to_prune = ((model.fc1, "weight"), (model.fc2, "weight"))
prune.global_unstructured(parameters_to_prune, pruning_method=prune.L1Unstructured, amount=0.6)
for m, name in parameters_to_prune:
    mask = getattr(m, name + "_mask")
    print(name, f"{100. * float(torch.sum(mask == 0)) / float(mask.nelement()):.2f}% sparse")
print(model(torch.ones(1, 6)))
prune.remove(module, "weight")
print([n for n, _ in module.named_parameters()], prune.is_pruned(model))
