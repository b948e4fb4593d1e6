# compare: values
"""model.train() / model.eval(): Dropout off and BatchNorm on running statistics at evaluation time."""
import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(8, 2))
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 0.77 + k).reshape(p.shape) * 0.5)
x = torch.linspace(-1, 1, 24).reshape(6, 4)
bn = model[1]
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
model.train()
for _ in range(3):
    model[3].p = 0.0  # dropout's randomness aside, training-mode batch statistics update the buffers
    model(x)
print(bn.running_mean)
print(bn.running_var)
print(bn.num_batches_tracked)
model[3].p = 0.5
model.eval()
print(model.training, model[3].training)
with torch.no_grad():
    y1 = model(x)
    y2 = model(x)
print(torch.equal(y1, y2))
print(y1)
print([name for name, _ in model.named_buffers()])
sd = model.state_dict()
print(list(sd))
fresh = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(8, 2))
fresh.load_state_dict(sd)
fresh.eval()
with torch.no_grad():
    print(torch.allclose(fresh(x), y1))
ln = nn.LayerNorm(4)
print(ln(x)[0])
