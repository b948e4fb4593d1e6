# compare: values
"""A custom Dataset with a transform, DataLoader batching with a collate_fn, random_split sizes."""
import torch
from torch.utils.data import DataLoader, Dataset, random_split


class SquaresDataset(Dataset):
    def __init__(self, n, transform=None):
        self.x = torch.arange(n, dtype=torch.float32)
        self.transform = transform

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        sample = {"x": self.x[idx], "y": self.x[idx] ** 2}
        if self.transform:
            sample = self.transform(sample)
        return sample


def normalize(sample):
    return {"x": sample["x"] / 10, "y": sample["y"] / 100}


ds = SquaresDataset(10, transform=normalize)
print(len(ds), ds[3])
loader = DataLoader(ds, batch_size=4, shuffle=False)
for i, batch in enumerate(loader):
    print(i, batch["x"], batch["y"])


def pairs(batch):
    xs = torch.stack([b["x"] for b in batch])
    ys = torch.stack([b["y"] for b in batch])
    return xs.unsqueeze(1), ys.unsqueeze(1)


loader = DataLoader(ds, batch_size=3, collate_fn=pairs, drop_last=True)
print(len(loader))
model = torch.nn.Linear(1, 1)
with torch.no_grad():
    model.weight.fill_(0.5)
    model.bias.fill_(0.0)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(3):
    for xb, yb in loader:
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        opt.step()
    print(epoch, round(loss.item(), 6), round(model.weight.item(), 5))

train, val = random_split(range(10), [7, 3])
print(len(train), len(val), sorted(list(train) + list(val)) == list(range(10)))
