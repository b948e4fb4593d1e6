# compare: values
"""Shape reasoning on the meta device: layers and inputs with no data, printing each layer's output shape."""
import torch
import torch.nn as nn
import torch.nn.functional as F

x = torch.rand(4, 3, 28, 28, device="meta")
conv = nn.Conv2d(3, 8, kernel_size=3, padding=1, device="meta")
y = conv(x)
print(y)
print(y.shape, y.dtype, y.device, y.is_meta)

huge = torch.empty(512, 3, 4096, 4096, device="meta")  # far beyond memory: only its shape exists
print(conv(huge).shape)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, stride=2), nn.ReLU(), nn.AvgPool2d(2),
        )
        self.head = nn.Linear(32 * 3 * 3, 10)

    def forward(self, x):
        x = self.features(x)
        return self.head(torch.flatten(x, 1))


def report(module, inputs, output):
    print(f"{type(module).__name__:>12} -> {tuple(output.shape)}")


with torch.device("meta"):
    model = Classifier()
    batch = torch.randn(64, 3, 32, 32)
print(torch.get_default_device())
for name, layer in model.named_modules():
    if name:
        layer.register_forward_hook(report)
logits = model(batch)
print(logits)
loss = F.cross_entropy(logits, torch.zeros(64, dtype=torch.long, device="meta"))
print(loss)
loss.backward()
print(model.head.weight.grad)
print(sum(p.numel() for p in model.parameters()))

emb = nn.Embedding(1000, 16, device="meta")
lstm = nn.LSTM(16, 32, batch_first=True, device="meta")
tokens = torch.zeros(8, 20, dtype=torch.long, device="meta")
out, (h, c) = lstm(emb(tokens))
print(out.shape, h.shape, c.shape)

for read in (lambda: loss.item(), lambda: logits.tolist(), lambda: logits.cpu(), lambda: model.to("cpu")):
    try:
        read()
    except (RuntimeError, NotImplementedError) as e:
        print(type(e).__name__, e)

model.to_empty(device="cpu")
print(model.head.weight.device, model.head.weight.shape)
with torch.no_grad():
    for p in model.parameters():
        p.fill_(0.01)
print(model(torch.ones(1, 3, 32, 32)).shape)
