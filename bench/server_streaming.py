"""Streaming overhead: a 2,000-step tiny training loop logging every step vs the same loop bare (goal <= 3 %).

Ours: the loop as a server job with torchpad.log(loss=..) every step plus the automatic
loss logging on backward() (two metric events per step, all stored and streamed to a
websocket client). Anchor: the same loop, same job setup, with logging off. Each is timed
inside the job (perf_counter around the loop), alternating, best of REPEATS.
"""

from __future__ import annotations

import json

from server_common import running_server, wait_warm, ws_connect

REPEATS = 5
LOOP = """
import time, torch, torchpad
torch.manual_seed(0)
torch.set_num_threads(1)
LOG = {log}
torchpad.autolog(LOG)
model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(64, 32), torch.randn(64, 1)
t0 = time.perf_counter()
for step in range(2000):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    if LOG:
        torchpad.log(step=step, train_loss=loss.item())
print("loop_s", time.perf_counter() - t0)
"""


def run(url: str, log: bool) -> tuple[float, int]:
    wait_warm(url)
    ws = ws_connect(url)
    ws.send(json.dumps({"v": 1, "type": "submit", "id": "b", "code": LOOP.format(log=log), "options": {"device": "cpu"}}))
    metrics, loop_s = 0, None
    while True:
        msg = json.loads(ws.recv(timeout=300))
        if msg["type"] != "event":
            continue
        ev = msg["event"]
        if ev["kind"] == "metric":
            metrics += 1
        elif ev["kind"] == "stdout" and ev["text"].startswith("loop_s"):
            loop_s = float(ev["text"].split()[1])
        elif ev["kind"] == "status" and ev["state"] in ("succeeded", "failed", "cancelled"):
            assert ev["state"] == "succeeded", ev
            break
    ws.close()
    return loop_s, metrics


def main() -> None:
    logged, bare = [], []
    with running_server() as url:
        for _ in range(REPEATS):
            t, n = run(url, True)
            assert n == 4000, n  # every step's train_loss + automatic loss, nothing dropped
            logged.append(t)
            bare.append(run(url, False)[0])
    ours, anchor = min(logged), min(bare)
    print(f"2000-step loop logging every step (4000 metric events streamed), best of {REPEATS}: {ours * 1000:.0f} ms")
    print(f"anchor: same loop bare (no logging), best of {REPEATS}: {anchor * 1000:.0f} ms")
    print(f"ratio ours/anchor: {ours / anchor:.3f}  (overhead {100 * (ours / anchor - 1):+.1f} %, goal <= 3 %)")


if __name__ == "__main__":
    main()
