# The article's CNN, as printed (bugs included)
# Expected: stops with NameError: name 'F' is not defined, exactly as PyTorch does (see below)
# This is the seed program verbatim; line numbers below are this file's. Its bugs, in the
# order you will meet them: `F` is never imported (NameError at line 25, in forward); once you add
# `import torch.nn.functional as F`, `x.view(-1, 64 * 6 * 6)` fails with RuntimeError:
# shape '[-1, 2304]' is invalid for input of size 262144 (after two 2x2 pools a 32x32 image
# is 8x8: use 64 * 8 * 8 in fc1 and view); then `torch.max(...)` is a (values, indices) pair,
# not a target: TypeError: cross_entropy_loss(): argument 'target' (position 2) must be
# Tensor, not torch.return_types.max. The fixed, training version: "CNN on shapes".
import torch
import torch.nn as nn
import torch.optim as optim

# 定义卷积神经网络
class CNN(nn.Module):
    def __init__(self):
        super(CNN, self).__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(64 * 6 * 6, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 64 * 6 * 6)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x

# 创建卷积神经网络实例
cnn = CNN()

# 定义损失函数和优化器
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(cnn.parameters(), lr=0.001, momentum=0.9)

# 训练卷积神经网络
inputs = torch.randn(64, 3, 32, 32)
outputs = cnn(inputs)
loss = criterion(outputs, torch.max(torch.randint(0, 10, (64,)), 0))
optimizer.zero_grad()
loss.backward()
optimizer.step()
