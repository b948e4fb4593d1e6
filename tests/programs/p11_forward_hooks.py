# compare: values
"""Forward hooks: capture intermediate activations, change inputs with a pre-hook, remove handles."""
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) + k).reshape(p.shape) * 0.5)

activation = {}


def get_activation(name):
    def hook(model, input, output):
        activation[name] = output.detach()
    return hook


h1 = model[0].register_forward_hook(get_activation("fc1"))
h2 = model[1].register_forward_hook(get_activation("relu"))
x = torch.linspace(-1, 1, 8).reshape(2, 4)
out = model(x)
print(out)
print(activation["fc1"])
print(activation["relu"])
print((activation["relu"] > 0).sum().item(), "active units")


def scale_input(module, args):
    return (args[0] * 2,)


h3 = model[0].register_forward_pre_hook(scale_input)
print(model(x))
h3.remove()
h1.remove()
h2.remove()
activation.clear()
print(model(x))
print(len(activation))


def replace_output(module, inp, out):
    return out.clamp(max=0.1)


with model[2].register_forward_hook(replace_output):
    print(model(x))
print(model(x))
