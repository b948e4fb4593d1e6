"""The benchmark workloads, written once against PyTorch's API and run on any `torch` module.

    step = seed_cnn(torchpad.kernel)    # or seed_cnn(torch)
    step()                               # one training step: forward, loss, backward, optimizer step

Each builder takes the `torch` module to use (the kernel, real PyTorch, or the kernel inside
WebAssembly: bench/wasm_kernel.py imports this file), makes its model and one fixed batch
from a NumPy seed, and returns `step`, which returns the loss as a float.
"""

from __future__ import annotations

import importlib

import numpy as np


def _modules(torch):
    """(nn, optim) of the given torch; works for the kernel whether or not it is aliased."""
    return importlib.import_module(torch.__name__ + ".nn"), importlib.import_module(torch.__name__ + ".optim")


def _batch(torch, x_shape, classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal(x_shape).astype(np.float32))
    y = torch.from_numpy(rng.integers(0, classes, x_shape[0]).astype(np.int64))
    return x, y


def _training_step(model, optimizer, loss_fn, x, y):
    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def mlp(torch, batch: int = 128):
    """784-256-10 MLP with ReLU, cross-entropy, plain SGD (the kernel issue's first workload)."""
    nn, optim = _modules(torch)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    x, y = _batch(torch, (batch, 784), 10)
    return _training_step(model, optim.SGD(model.parameters(), lr=0.01), nn.CrossEntropyLoss(), x, y)


def seed_cnn(torch, batch: int = 64):
    """The seed CNN, fixed (64 * 8 * 8): conv 3->32->64 (3x3, padding 1), 2x2 max pools, 4096->128->10, SGD momentum."""
    nn, optim = _modules(torch)
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(64 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10),
    )
    x, y = _batch(torch, (batch, 3, 32, 32), 10)
    optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    return _training_step(model, optimizer, nn.CrossEntropyLoss(), x, y)


def seed_lstm(torch, batch: int = 64, seq: int = 100):
    """The seed LSTM, fixed (input_size=10): 2-layer LSTM, hidden 256, batch first, last step -> 10 classes, Adam."""
    nn, optim = _modules(torch)

    class LastStep(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(10, 256, 2, batch_first=True)
            self.fc = nn.Linear(256, 10)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.fc(out[:, -1, :])

    model = LastStep()
    x, y = _batch(torch, (batch, seq, 10), 10)
    return _training_step(model, optim.Adam(model.parameters(), lr=0.001), nn.CrossEntropyLoss(), x, y)


def transformer(torch, batch: int = 32, seq: int = 64):
    """Transformer encoder (kernel issue III): 2 layers, d_model 128, 4 heads, feed-forward 512, dropout 0.1,
    batch first, mean over the sequence -> 10 classes, Adam."""
    nn, optim = _modules(torch)

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.1, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc(self.encoder(x).mean(dim=1))

    model = Encoder()
    x, y = _batch(torch, (batch, seq, 128), 10)
    return _training_step(model, optim.Adam(model.parameters(), lr=0.001), nn.CrossEntropyLoss(), x, y)


WORKLOADS = {"mlp": mlp, "seed_cnn": seed_cnn, "seed_lstm": seed_lstm, "transformer": transformer}
