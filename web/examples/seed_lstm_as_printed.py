# The article's LSTM, as printed (bugs included)
# Expected: stops with RuntimeError: input.size(-1) must be equal to input_size. Expected 100, got 10
# This is the seed program verbatim; line numbers below are this file's. Its bugs: the LSTM
# is built with input_size=100 but fed inputs of shape (64, 100, 10), whose last dimension
# (10) is the input size (fix: input_size=10); then `torch.max(...)` is a (values, indices)
# pair, not a target: TypeError: cross_entropy_loss(): argument 'target' (position 2) must
# be Tensor, not torch.return_types.max. The fixed, training version: "LSTM on noisy sine waves".
import torch
import torch.nn as nn
import torch.optim as optim

# 定义循环神经网络
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(x.device)
        out, (hn, cn) = self.lstm(x, (h0, c0))
        out = self.fc(out[:, -1, :])
        return out

# 创建循环神经网络实例
rnn = RNN(input_size=100, hidden_size=256, num_layers=2, num_classes=10)

# 定义损失函数和优化器
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(rnn.parameters(), lr=0.001)

# 训练循环神经网络
inputs = torch.randn(64, 100, 10)
outputs = rnn(inputs)
loss = criterion(outputs, torch.max(torch.randint(0, 10, (64,)), 0))
optimizer.zero_grad()
loss.backward()
optimizer.step()
