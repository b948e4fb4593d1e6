"""Per-op Python overhead of the kernel on tiny tensors, next to PyTorch CPU and bare NumPy.

Tiny (4x4) operands make the arithmetic free, so the time is the dispatch cost that Function.apply
and the op wrappers add. Also times `import torchpad.kernel` in a fresh interpreter (goal < 0.3 s).

    python bench/kernel_op_overhead.py
"""

from __future__ import annotations

import subprocess
import sys
import timeit

import numpy as np


def _per_call_us(fn, number: int = 20000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def import_time() -> tuple[float, float]:
    """Seconds for `import numpy`, then for `import torchpad.kernel` on top of it (best of 3 fresh interpreters)."""
    code = ("import time; t = time.perf_counter(); import numpy; u = time.perf_counter(); import torchpad.kernel; "
            "print(u - t, time.perf_counter() - u)")
    runs = [tuple(map(float, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                            check=True).stdout.split())) for _ in range(3)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def main() -> None:
    import torch

    import torchpad.kernel as K

    torch.set_num_threads(1)
    a = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    kx, kw = K.tensor(a), K.tensor(a, requires_grad=True)
    tx, tw = torch.tensor(a), torch.tensor(a, requires_grad=True)
    cases = {
        "add (no grad)": (lambda: kx + kx, lambda: tx + tx, lambda: a + a),
        "mul (grad)": (lambda: kw * kx, lambda: tw * tx, lambda: a * a),
        "add scalar (grad)": (lambda: kw + 1.0, lambda: tw + 1.0, lambda: a + 1.0),
        "matmul (grad)": (lambda: kw @ kx, lambda: tw @ tx, lambda: a @ a),
        "relu (grad)": (lambda: kw.relu(), lambda: tw.relu(), lambda: np.maximum(a, 0)),
        "sum (grad)": (lambda: kw.sum(), lambda: tw.sum(), lambda: a.sum()),
        "getitem (grad)": (lambda: kw[1:3], lambda: tw[1:3], lambda: a[1:3]),
        "forward+backward mlp step": (
            lambda: ((kx @ kw).relu() * 2).sum().backward(), lambda: ((tx @ tw).relu() * 2).sum().backward(), None),
    }
    print(f"{'op':28s} {'kernel us':>10s} {'torch us':>10s} {'ratio':>7s} {'numpy us':>9s}")
    for name, (k, t, n) in cases.items():
        number = 2000 if "step" in name else 20000
        ku, tu = _per_call_us(k, number), _per_call_us(t, number)
        nu = f"{_per_call_us(n, number):9.2f}" if n else f"{'-':>9s}"
        print(f"{name:28s} {ku:10.2f} {tu:10.2f} {ku / tu:7.2f} {nu}")
    numpy_s, kernel_s = import_time()
    print(f"import torchpad.kernel: {numpy_s + kernel_s:.3f} s total (numpy {numpy_s:.3f} s + kernel {kernel_s:.3f} s); goal < 0.3 s")


if __name__ == "__main__":
    main()
