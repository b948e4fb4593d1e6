# compare: values
"""Saving and loading: state_dict to a file and back, the whole-checkpoint pattern, optimizer state."""
import torch
import torch.nn as nn
import torch.optim as optim


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 5)
        self.bn = nn.BatchNorm1d(5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def deterministic_(model):
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_((torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 1.1 + k) * 0.4).reshape(p.shape))


model = TheModelClass()
deterministic_(model)
optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.linspace(-2, 2, 24).reshape(4, 6)
target = torch.tensor([0, 2, 1, 2])
for epoch in range(3):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), target)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")

print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())
print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\t", optimizer.state_dict()[var_name] if var_name == "param_groups" else len(optimizer.state_dict()[var_name]))

PATH = "model_weights.pth"
torch.save(model.state_dict(), PATH)
model2 = TheModelClass()
print(model2.load_state_dict(torch.load(PATH, weights_only=True)))
model.eval()
model2.eval()
with torch.no_grad():
    print(torch.allclose(model(x), model2(x)), model2(x)[0])

torch.save({"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss.item()}, "checkpoint.tar")
checkpoint = torch.load("checkpoint.tar", weights_only=True)
model3 = TheModelClass()
optimizer3 = optim.SGD(model3.parameters(), lr=0.5, momentum=0.1)
model3.load_state_dict(checkpoint["model_state_dict"])
optimizer3.load_state_dict(checkpoint["optimizer_state_dict"])
print(checkpoint["epoch"], round(checkpoint["loss"], 4), optimizer3.param_groups[0]["lr"], optimizer3.param_groups[0]["momentum"])
model3.train()
optimizer3.zero_grad()
nn.functional.cross_entropy(model3(x), target).backward()
optimizer3.step()
model.train()
optimizer.zero_grad()
nn.functional.cross_entropy(model(x), target).backward()
optimizer.step()
print("resumed in step:", torch.allclose(model.fc1.weight, model3.fc1.weight))
missing = model2.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("fc2")}, strict=False)
print(missing)
