"""Streaming overhead: a 2,000-step tiny training loop logging every step, streamed vs run bare (goal <= 3 %).

Ours: the loop as a server job with torchpad.log(train_loss=..) every step plus the
automatic loss logging on backward() (two metric values per step, which the job sends as
one event), all stored and streamed to a websocket client that asked for batched delivery,
as the page does.
Anchor: the same loop in the same warm job process, run bare: its torchpad.log calls and
the automatic loss logging still run but their events go nowhere (nothing is queued,
encoded, sent, stored or streamed). So the ratio is what streaming costs the loop.
Also shown: the loop with no logging at all (no log calls, autolog off), which adds the
cost of the user's own logging calls to the ratio.
Each is timed inside the job (perf_counter around the loop), interleaved; medians of
REPEATS, as the shared 2-core machines these figures come from vary by several per cent
run to run."""

from __future__ import annotations

import json
import statistics

from server_common import events_of, running_server, wait_warm, ws_connect

REPEATS = 15
LOOP = """
import time, torch, torchpad
torch.manual_seed(0)
torch.set_num_threads(1)
MODE = {mode!r}
LOG = MODE != "no-logging"
torchpad.autolog(LOG)
if MODE == "bare":
    import torchpad.metrics
    torchpad.metrics.set_sink(lambda event: None)
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


def run(url: str, mode: str) -> tuple[float, int]:
    wait_warm(url)
    ws = ws_connect(url)
    ws.send(json.dumps({"v": 1, "type": "submit", "id": "b", "code": LOOP.format(mode=mode), "options": {"device": "cpu"}}))
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


MODES = ("streamed", "bare", "no-logging")


def main() -> None:
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    with running_server() as url:
        for _ in range(REPEATS):
            for mode in MODES:
                t, n = run(url, mode)
                # streamed: every step's train_loss + automatic loss (one event per step), nothing dropped
                assert n == (4000 if mode == "streamed" else 0), (mode, n)
                times[mode].append(t)
    med = {mode: statistics.median(ts) for mode, ts in times.items()}
    ours, anchor, none = med["streamed"], med["bare"], med["no-logging"]
    pairs = sorted(a / b for a, b in zip(times["streamed"], times["bare"]))
    print(f"2000-step loop logging every step, streamed (4000 metric values stored and sent), median of {REPEATS}:"
          f" {ours * 1000:.0f} ms (best {min(times['streamed']) * 1000:.0f})")
    print(f"anchor: the same loop run bare (log calls made, events dropped), median of {REPEATS}:"
          f" {anchor * 1000:.0f} ms (best {min(times['bare']) * 1000:.0f})")
    print(f"ratio ours/anchor: {ours / anchor:.3f}  (streaming overhead {100 * (ours / anchor - 1):+.1f} %, goal <= 3 %);"
          f" interleaved pairs: {' '.join(f'{r:.3f}' for r in pairs)}")
    print(f"also: the loop with no logging at all {none * 1000:.0f} ms; streamed/no-logging {ours / none:.3f}"
          f" (bare/no-logging {anchor / none:.3f}: the user's own logging calls)")


if __name__ == "__main__":
    main()
