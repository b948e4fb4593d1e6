# CNN on shapes (the seed CNN, fixed)
# Expected: test accuracy passes 90 % by the 4th epoch (150 steps); charts loss per step and test_acc per epoch
#
# The article's CNN with its three bugs fixed: `F` is imported, the flattened size matches
# the feature map (16 channels * 4 * 4 for 16x16 images after two 2x2 pools), and the labels
# are a tensor of class indices. Sized for the browser: 16x16 images, 8 and 16 channels.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import torchpad

torch.manual_seed(0)
(X_train, y_train), (X_test, y_test) = torchpad.datasets.shapes(n=1500, size=16, seed=0)
print("train", tuple(X_train.shape), "test", tuple(X_test.shape), "classes:", torchpad.datasets.SHAPE_CLASSES)


def centre(x):
    """Subtract each image's mean colour: the shape's outline is what tells the classes apart."""
    return (x - x.mean(dim=(2, 3), keepdim=True)) * 3


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(16 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 4 * 4)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


cnn = CNN()
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(cnn.parameters(), lr=3e-3)
X_train, X_test = centre(X_train), centre(X_test)

for epoch in range(4):
    perm = torch.randperm(len(X_train))
    for i in range(0, len(X_train), 32):
        idx = perm[i:i + 32]
        loss = criterion(cnn(X_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        acc = (cnn(X_test).argmax(dim=1) == y_test).float().mean().item()
    torchpad.log(step=epoch, test_acc=acc)
    print(f"epoch {epoch}: last loss {loss.item():.3f}, test accuracy {acc:.1%}")
