"""Time the same training steps on the kernel and on PyTorch CPU, in one run, same thread count.

    .venv/bin/python bench/kernel_vs_torch.py [--threads 1] [--steps 20] [mlp seed_cnn seed_lstm transformer]

Each (workload, runtime) runs in its own child process (so peak memory is its own): a few
warm-up steps, then the median time of `--steps` timed steps. Prints the kernel's time per
step, PyTorch's, the ratio (kernel / torch, the goal from the kernel issues beside it) and
the peak memory each step loop added on top of the imported runtime. Threads default to 1:
the browser's WebAssembly NumPy is single-threaded, so that is the fair comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOALS = {"mlp": 1.5, "seed_cnn": 1.5, "seed_lstm": 2.0, "transformer": 2.0}
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process. Not ru_maxrss: that survives fork + exec."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def child(workload: str, runtime: str, steps: int, warmup: int, threads: int) -> dict:
    """Runs in the child process: build the workload, warm up, time `steps` steps."""
    if runtime == "kernel":
        import torchpad.kernel as torch
    else:
        import torch

        torch.set_num_threads(threads)
    sys.path.insert(0, str(HERE))
    from workloads import WORKLOADS

    rss_before = _status_mb("VmRSS")
    step = WORKLOADS[workload](torch)
    losses = [step() for _ in range(warmup)]
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - t0)
    peak = _status_mb("VmHWM")
    return {"median_s": statistics.median(times), "min_s": min(times), "peak_mb": peak,
            "added_mb": peak - rss_before, "first_loss": losses[0], "last_loss": losses[-1]}


def _run_child(workload: str, runtime: str, args) -> dict:
    env = dict(os.environ, **{v: str(args.threads) for v in THREAD_VARS})
    cmd = [sys.executable, __file__, "--child", workload, runtime, "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--threads", str(args.threads)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _import_times(threads: int) -> tuple[float, float]:
    code = ("import time; t0 = time.perf_counter(); import numpy; t1 = time.perf_counter(); "
            "import torchpad.kernel; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")
    env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
    best = None
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        t = tuple(float(x) for x in out.stdout.split())
        best = t if best is None or t[1] < best[1] else best
    return best


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("workloads", nargs="*", default=list(GOALS), help=f"any of {', '.join(GOALS)} (default: all)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--child", nargs=2, metavar=("WORKLOAD", "RUNTIME"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    unknown = set(args.workloads) - set(GOALS)
    if unknown:
        p.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    if args.child:
        print(json.dumps(child(*args.child, args.steps, args.warmup, args.threads)))
        return 0

    import numpy
    import torch

    print(f"kernel vs PyTorch CPU | {platform.processor() or platform.machine()}, {args.threads} thread(s), "
          f"Python {platform.python_version()}, NumPy {numpy.__version__}, torch {torch.__version__}")
    numpy_s, kernel_s = _import_times(args.threads)
    print(f"import numpy {numpy_s:.3f} s, then import torchpad.kernel {kernel_s:.3f} s (goal: kernel < 0.3 s)")
    print(f"median of {args.steps} steps after {args.warmup} warm-up steps; memory = peak RSS added by the step loop\n")
    header = f"{'workload':<10} {'kernel ms':>10} {'torch ms':>10} {'ratio':>7} {'goal':>6}  {'kernel MB':>9} {'torch MB':>9}"
    print(header)
    print("-" * len(header))
    for name in args.workloads:
        k, t = _run_child(name, "kernel", args), _run_child(name, "torch", args)
        if "error" in k or "error" in t:
            print(f"{name:<10} kernel: {k.get('error', 'ok')} | torch: {t.get('error', 'ok')}")
            continue
        ratio = k["median_s"] / t["median_s"]
        verdict = "ok" if ratio <= GOALS[name] else "MISSED"
        print(f"{name:<10} {k['median_s'] * 1e3:>10.1f} {t['median_s'] * 1e3:>10.1f} {ratio:>7.2f} "
              f"{'<=' + str(GOALS[name]):>6}  {k['added_mb']:>9.0f} {t['added_mb']:>9.0f}  {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
