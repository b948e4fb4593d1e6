"""torchpad.datasets: shapes, dtypes, splits, determinism, and tensors of whichever torch is running."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import torchpad.datasets as D
import torchpad.kernel as K
from torchpad.kernel import alias

# name -> (call, total samples, X's per-sample shape, number of classes)
CASES = {
    "digits": (lambda **kw: D.digits(**kw), 1797, (1, 8, 8), 10),
    "shapes": (lambda **kw: D.shapes(n=300, size=16, **kw), 300, (3, 16, 16), 3),
    "spirals": (lambda **kw: D.spirals(n=600, **kw), 600, (2,), 3),
    "moons": (lambda **kw: D.moons(n=400, **kw), 400, (2,), 2),
    "sine_sequences": (lambda **kw: D.sine_sequences(n=200, length=30, **kw), 200, (30, 1), 4),
}


def np_of(split):
    (xtr, ytr), (xte, yte) = split
    return [t.numpy() for t in (xtr, ytr, xte, yte)]


@pytest.mark.parametrize("name", CASES)
def test_shapes_dtypes_and_split(name):
    call, total, sample_shape, classes = CASES[name]
    (xtr, ytr), (xte, yte) = call(seed=0)
    assert isinstance(xtr, torch.Tensor) and isinstance(yte, torch.Tensor)
    assert xtr.dtype == torch.float32 and ytr.dtype == torch.int64
    assert xtr.shape[1:] == sample_shape and xte.shape[1:] == sample_shape
    assert len(xtr) == len(ytr) and len(xte) == len(yte)
    assert len(xtr) + len(xte) == total and len(xte) == round(total * 0.2)
    labels = np.concatenate([ytr.numpy(), yte.numpy()])
    assert set(labels.tolist()) == set(range(classes))
    assert np.isfinite(xtr.numpy()).all()


@pytest.mark.parametrize("name", CASES)
def test_deterministic_for_a_seed(name):
    call = CASES[name][0]
    a, b, c = np_of(call(seed=3)), np_of(call(seed=3)), np_of(call(seed=4))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name", CASES)
def test_train_and_test_are_disjoint(name):
    xtr, _, xte, _ = np_of(CASES[name][0](seed=0))
    train_rows = {r.tobytes() for r in xtr.reshape(len(xtr), -1)}
    assert not any(r.tobytes() in train_rows for r in xte.reshape(len(xte), -1))


def test_test_size():
    (xtr, _), (xte, _) = D.moons(n=100, test_size=0.5)
    assert len(xtr) == len(xte) == 50
    with pytest.raises(ValueError, match="test_size"):
        D.moons(n=100, test_size=1.0)


def test_digits_are_the_uci_digits():
    xtr, ytr, xte, yte = np_of(D.digits())
    X = np.concatenate([xtr, xte])
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.allclose(X * 16, np.round(X * 16))  # pixel counts 0..16, unchanged
    counts = np.bincount(np.concatenate([ytr, yte]))
    assert counts.tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_image_values_in_unit_range():
    for xs in np_of(D.shapes(n=100, size=12))[::2]:
        assert xs.min() >= 0.0 and xs.max() <= 1.0


def test_shapes_differ_by_form_not_colour():
    """The mean colour carries no label: a shape's class shows in its outline only."""
    xtr, ytr, _, _ = np_of(D.shapes(n=900, size=16, test_size=0.0))
    means = np.stack([xtr[ytr == k].mean(axis=(0, 2, 3)) for k in range(3)])
    assert np.ptp(means, axis=0).max() < 0.05
    filled = [(np.abs(x - x[:, :1, :1]).sum(0) > 0.5).mean() for x in xtr[:90]]  # fraction covered by the shape
    assert 0.05 < np.mean(filled) < 0.6


def test_sine_bands_are_separable_by_frequency():
    """The label is the frequency band: the dominant FFT bin alone classifies clean-ish waves."""
    xtr, ytr, _, _ = np_of(D.sine_sequences(n=400, length=50, noise=0.1, test_size=0.0))
    peak = np.abs(np.fft.rfft(xtr[:, :, 0], axis=1))[:, 1:].argmax(axis=1) + 1
    predicted = np.clip(np.round((peak - 2) / 2), 0, 3)
    assert (predicted == ytr).mean() > 0.9


def test_tensors_of_the_running_torch():
    alias.install()
    try:
        (xtr, ytr), _ = D.spirals(n=60)
        assert isinstance(xtr, K.Tensor) and xtr.dtype == K.float32 and ytr.dtype == K.int64
    finally:
        alias.uninstall()
    (xtr, _), _ = D.spirals(n=60)
    assert isinstance(xtr, torch.Tensor)


def test_no_sklearn_or_torch_import_needed():
    """In the browser there is only NumPy and the kernel: the package must not reach for more."""
    code = textwrap.dedent("""
        import sys
        from torchpad.kernel import alias
        alias.install()
        import torchpad.datasets as D
        import torchpad.kernel as K
        (x, y), _ = D.digits()
        print(isinstance(x, K.Tensor), "sklearn" in sys.modules, sys.modules["torch"] is K)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False", "True"]  # the kernel's Tensor (it calls itself torch.Tensor, as PyTorch)
