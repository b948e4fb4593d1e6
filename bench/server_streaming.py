"""Streaming overhead: a 2,000-step tiny training loop logging every step vs the same loop bare (goal <= 3 %).

Ours: the loop as a server job with torchpad.log(train_loss=..) every step plus the
automatic loss logging on backward() (two metric values per step, which the job sends as
one event), all stored and streamed to a websocket client that asked for batched delivery,
as the page does. Anchor: the same loop, same job setup, with logging off. Each is timed
inside the job (perf_counter around the loop), alternating; medians of REPEATS, as the
shared 2-core machines these figures come from vary by several per cent run to run."""

from __future__ import annotations

import json
import statistics

from server_common import events_of, running_server, wait_warm, ws_connect

REPEATS = 9
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
        for ev in events_of(json.loads(ws.recv(timeout=300))):
            if ev["kind"] == "metric":
                metrics += len(ev["values"])
            elif ev["kind"] == "stdout" and ev["text"].startswith("loop_s"):
                loop_s = float(ev["text"].split()[1])
            elif ev["kind"] == "status" and ev["state"] in ("succeeded", "failed", "cancelled"):
                assert ev["state"] == "succeeded", ev
                ws.close()
                return loop_s, metrics
    return loop_s, metrics


def main() -> None:
    logged, bare = [], []
    with running_server() as url:
        for _ in range(REPEATS):
            t, n = run(url, True)
            assert n == 4000, n  # every step's train_loss + automatic loss (one event per step), nothing dropped
            logged.append(t)
            bare.append(run(url, False)[0])
    ours, anchor = statistics.median(logged), statistics.median(bare)
    pairs = sorted(a / b for a, b in zip(logged, bare))
    print(f"2000-step loop logging every step (4000 metric values streamed), median of {REPEATS}: {ours * 1000:.0f} ms"
          f" (best {min(logged) * 1000:.0f})")
    print(f"anchor: same loop bare (no logging), median of {REPEATS}: {anchor * 1000:.0f} ms (best {min(bare) * 1000:.0f})")
    print(f"ratio ours/anchor: {ours / anchor:.3f}  (overhead {100 * (ours / anchor - 1):+.1f} %, goal <= 3 %);"
          f" back-to-back pairs: {' '.join(f'{r:.3f}' for r in pairs)}")


if __name__ == "__main__":
    main()
