"""The tiny GPT example learns under both runtimes: its last logged loss is below the 1.0 its
header states, and it prints one heatmap row per query position of its attention weights."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "web" / "examples" / "tiny_gpt.py"


@pytest.mark.parametrize("runtime", ["kernel", "torch"])
def test_tiny_gpt_learns_and_shows_attention(runtime):
    stated = float(re.search(r"below (\d+(?:\.\d+)?) in", EXAMPLE.read_text()).group(1))
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-m", "torchpad", "run", "--runtime", runtime, str(EXAMPLE)],
                         capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    losses = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    losses = [m["loss"] for m in losses if "loss" in m]
    assert losses[0] > 3.0 and losses[-1] < stated, (losses[0], losses[-1])
    text = out.stdout.splitlines()
    head = next(i for i, line in enumerate(text) if line.startswith("first layer attention, (4, 32, 32)"))
    rows = [line for line in text[head + 1:] if not line.startswith("{")]
    assert len(rows) == 32 and all(len(r) == 4 + 3 + 1 + 32 for r in rows), rows[:3]
