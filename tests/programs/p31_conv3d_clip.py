# compare: values
"""A tiny video classifier: Conv3d, MaxPool3d, AvgPool3d over a (batch, channels, frames, H, W) clip."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Tiny3D(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(3, 4, kernel_size=3, padding=1)
        self.pool = nn.MaxPool3d(kernel_size=(1, 2, 2))
        self.conv2 = nn.Conv3d(4, 6, kernel_size=(2, 3, 3), stride=(1, 2, 2))
        self.avg = nn.AvgPool3d(kernel_size=(3, 2, 2))
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = F.relu(self.conv2(x))
        x = self.avg(x)
        return self.fc(torch.flatten(x, 1))


model = Tiny3D()
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.41 + k).reshape(p.shape) * 0.2)
print(model)
clip = torch.cos(torch.arange(2 * 3 * 4 * 12 * 12, dtype=torch.float32) * 0.017).reshape(2, 3, 4, 12, 12)
out = model(clip)
print(out.shape)
print(out.detach())
feat = model.pool(F.relu(model.conv1(clip)))
print(feat.shape, model.conv2(feat).shape)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
target = torch.tensor([0, 1])
for step in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(model(clip), target)
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 5))
values, indices = F.max_pool3d(clip[:, :1], kernel_size=2, return_indices=True)
print(values.shape, indices[0, 0, 0, 0])
