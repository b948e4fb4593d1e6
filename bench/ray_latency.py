"""Submit-to-first-event latency and per-event overhead: the Ray executor vs the local one, same run.

Two real servers on this machine, one per executor (`--executor ray` starts its own local Ray
instance, or joins TORCHPAD_RAY_ADDRESS when set). Ours = Ray; anchor = local (warm worker).
  latency: websocket submit -> `running` status and -> the first stdout line of `print('hi')`,
           median of RUNS after one warm-up job, PAUSE_S apart (the first, cold job is printed too);
  per-event overhead: a job printing LINES lines, (final status - first line) / LINES.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
from server_common import ROOT, TOKEN, events_of, free_port, wait_warm, ws_connect

RUNS = 7
LINES = 20000
PAUSE_S = 3  # between jobs, as between a user's runs: spare runners get to import torch
FINAL = ("succeeded", "failed", "cancelled")
NO_LIMITS = {"TORCHPAD_OUTPUT_LINES_PER_S": "1000000", "TORCHPAD_OUTPUT_BURST_LINES": "1000000"}


@contextlib.contextmanager
def server(executor: str):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen([sys.executable, "-m", "torchpad", "serve", "--port", str(port), "--data-dir", data,
                                 "--token", TOKEN, "--executor", executor], cwd=ROOT, env={**os.environ, **NO_LIMITS},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if executor == "local":
                wait_warm(url)
            else:
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    with contextlib.suppress(httpx.HTTPError):
                        if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                            break
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            proc.wait(60)


def run_job(url: str, code: str) -> dict:
    """Times (s after submit) of `running`, the first stdout line and the final status."""
    ws = ws_connect(url)
    t0 = time.perf_counter()
    ws.send(json.dumps({"v": 1, "type": "submit", "id": "b", "code": code, "options": {"device": "cpu"}}))
    times, lines = {}, 0
    while True:
        events, now = events_of(json.loads(ws.recv(timeout=300))), time.perf_counter() - t0
        for ev in events:
            if ev["kind"] == "status" and ev["state"] == "running":
                times["running"] = now
            elif ev["kind"] == "stdout":
                lines += 1
                times.setdefault("first_line", now)
            elif ev["kind"] == "status" and ev["state"] in FINAL:
                assert ev["state"] == "succeeded", ev
                times["final"], times["lines"] = now, lines
                ws.close()
                return times


def measure(executor: str) -> dict:
    with server(executor) as url:
        cold = run_job(url, "print('hi')")
        warm = []
        for _ in range(RUNS):
            time.sleep(PAUSE_S)
            if executor == "local":
                wait_warm(url)
            warm.append(run_job(url, "print('hi')"))
        bulk = run_job(url, f"for i in range({LINES}):\n    print('line', i)\n")
    assert bulk["lines"] == LINES, bulk
    return {"cold_first_line": cold["first_line"], "running": statistics.median(t["running"] for t in warm),
            "first_line": statistics.median(t["first_line"] for t in warm),
            "per_event_us": (bulk["final"] - bulk["first_line"]) / LINES * 1e6}


def main() -> None:
    ray, local = measure("ray"), measure("local")
    for name, r in (("ray", ray), ("local", local)):
        print(f"{name:5}: submit -> running {r['running'] * 1000:7.1f} ms, -> first stdout line {r['first_line'] * 1000:7.1f} ms "
              f"(median of {RUNS}; first job on a fresh server {r['cold_first_line'] * 1000:.0f} ms); "
              f"per event {r['per_event_us']:.1f} us ({LINES} lines)")
    print(f"ratio ray/local: first line {ray['first_line'] / local['first_line']:.2f}, "
          f"per event {ray['per_event_us'] / local['per_event_us']:.2f}")


if __name__ == "__main__":
    main()
