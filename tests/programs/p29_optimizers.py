# compare: values
"""The same small regression trained with SGD (momentum, nesterov, weight decay), Adam, AdamW and RMSprop."""
import torch
import torch.nn as nn

x = torch.linspace(-1, 1, 20).unsqueeze(1)
y = 3 * x ** 2 - x + 0.5


def make_model():
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.9 + k).reshape(p.shape) * 0.5)
    return model


optimizers = {
    "SGD": lambda p: torch.optim.SGD(p, lr=0.05),
    "SGD momentum": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    "SGD nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Adam": lambda p: torch.optim.Adam(p, lr=0.02),
    "Adam amsgrad": lambda p: torch.optim.Adam(p, lr=0.02, amsgrad=True),
    "AdamW": lambda p: torch.optim.AdamW(p, lr=0.02, weight_decay=0.1),
    "RMSprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
}
for name, make in optimizers.items():
    model = make_model()
    opt = make(model.parameters())
    for step in range(50):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    print(f"{name:>13}: loss {loss.item():.5f}")
print(opt)
