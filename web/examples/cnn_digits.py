# CNN on handwritten digits
# Expected: test accuracy passes 93 % within 5 epochs on the 8x8 digits; charts loss per step and test_acc per epoch; shows the conv1 filters, feature maps and the confusion matrix as images
#
# The 1,797 8x8 handwritten digits (UCI, via scikit-learn), split 80/20. A small CNN with a
# DataLoader, the way a tutorial on MNIST would write it, small enough for the browser.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
import torchpad

torch.manual_seed(0)
(X_train, y_train), (X_test, y_test) = torchpad.datasets.digits(seed=0)
loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)   # 16 x 8 x 8
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)  # 32 x 4 x 4 after a pool
        self.fc = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


model = DigitNet()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(5):
    model.train()
    for images, labels in loader:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        acc = (model(X_test).argmax(dim=1) == y_test).float().mean().item()
    torchpad.log(step=epoch, test_acc=acc)
    print(f"epoch {epoch}: test accuracy {acc:.1%}")

print("first test digits:", y_test[:10].tolist())
print("predicted:        ", model(X_test[:10]).argmax(dim=1).tolist())

# What the network learned, as images (the Charts pane shows them under the charts):
with torch.no_grad():
    torchpad.show(model.conv1.weight, name="conv1 filters")  # 16 x 1 x 3 x 3: a grid of 16 filters
    torchpad.show(F.relu(model.conv1(X_test[:1]))[0], name="conv1 feature maps")  # 16 x 8 x 8 for one digit
    predicted = model(X_test).argmax(dim=1)
confusion = torch.zeros(10, 10)
for t, p in zip(y_test.tolist(), predicted.tolist()):
    confusion[t, p] += 1
torchpad.show(confusion, name="confusion (rows: true digit, columns: predicted)")
