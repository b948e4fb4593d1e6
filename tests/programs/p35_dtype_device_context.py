# compare: values
"""Default dtype and device the way recipes set them: set_default_dtype, device objects and contexts, .to()."""
import torch

print(torch.get_default_dtype())
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device, device.type, torch.cuda.is_available())
x = torch.ones(2, 2, device=device)
print(x.device, x.to(device).dtype, x.to(torch.float64).dtype)
with torch.device("cpu"):
    y = torch.zeros(3)
print(y.device)
torch.set_default_device("cpu")
print(torch.get_default_device())

torch.set_default_dtype(torch.float64)
print(torch.tensor([1.5]).dtype, torch.zeros(1).dtype, torch.arange(0.0, 1.0, 0.5).dtype)
layer = torch.nn.Linear(2, 1)
print(layer.weight.dtype)
torch.set_default_dtype(torch.float32)
print(torch.tensor([1.5]).dtype, torch.nn.Linear(2, 1).weight.dtype)
print(torch.tensor([1, 2]).dtype, torch.tensor([True]).dtype, (torch.tensor([1, 2]) / 2).dtype)
print((torch.tensor([1, 2]) + 0.5).dtype, (torch.tensor([1.0], dtype=torch.float16) + 1).dtype)
print(torch.tensor([1, 2], dtype=torch.int32).float().dtype, torch.tensor([2.7]).long(), torch.tensor([0.0, 1.0]).bool())
print(torch.tensor([1.0]).double().type(), torch.tensor([1]).type(torch.float32))
try:
    torch.set_default_dtype(torch.int64)
except TypeError as e:
    print("TypeError:", e)
