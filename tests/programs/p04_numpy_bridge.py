# compare: values
"""The NumPy bridge: tensors on the CPU and NumPy arrays share memory."""
import numpy as np
import torch

t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")
t.add_(1)
print(f"t: {t}")
print(f"n: {n}")

n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
print(t.dtype, torch.from_numpy(np.arange(3, dtype=np.int32)).dtype)
a = torch.as_tensor(np.array([[1.5, 2.5]], dtype=np.float32))
print(a, a.shape, a.tolist())
print(torch.tensor(np.float32(3.25)).item(), float(torch.tensor(2.0)), int(torch.tensor(7)))
