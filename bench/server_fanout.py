"""Events per second delivered to 20 concurrent subscribers of one job, with nothing lost.

Ours: 20 websocket clients subscribe to a job that prints N lines; delivered events/s =
20 x events / (last client done - first line seen). Anchor: the same job with 1 subscriber.
Every client must see seq 1..last exactly once, in order; a client that falls more than the
server's per-connection queue behind is closed with 4008 and resumes, as real clients do.
"""

from __future__ import annotations

import asyncio
import json
import time

import websockets
from server_common import AUTH, events_of, running_server, wait_warm, ws_connect

N = 5000
CODE = f"import time\ntime.sleep(4)\nfor i in range({N}):\n    print('line', i)\n"


async def subscriber(url: str, job: str, out: list) -> None:
    """Follows the job like a real client: on 4008 ("too slow") it resumes from its last seq."""
    seqs, first, resumes = [], None, -1
    while True:
        resumes += 1
        try:
            async with websockets.connect(url.replace("http", "ws") + "/ws", origin=url, max_size=None, open_timeout=120) as ws:
                await ws.send(AUTH)
                await ws.recv()
                await ws.send(json.dumps({"v": 1, "type": "subscribe", "job": job, "after_seq": seqs[-1] if seqs else 0}))
                async for raw in ws:
                    for ev in events_of(json.loads(raw)):
                        seqs.append(ev["seq"])
                        if ev["kind"] == "stdout" and first is None:
                            first = time.perf_counter()
                        if ev["kind"] == "status" and ev["state"] in ("succeeded", "failed", "cancelled"):
                            out.append((first, time.perf_counter(), seqs, resumes))
                            return
        except websockets.ConnectionClosedError as e:
            if e.rcvd is None or e.rcvd.code != 4008:
                raise


def measure(url: str, clients: int) -> float:
    wait_warm(url)
    ws = ws_connect(url)
    ws.send(json.dumps({"v": 1, "type": "submit", "id": "b", "code": CODE, "options": {"device": "cpu"}}))
    job = next(m["job"] for m in map(json.loads, iter(lambda: ws.recv(timeout=60), None)) if m["type"] == "accepted")
    ws.close()
    results: list = []

    async def all_clients():
        await asyncio.gather(*(subscriber(url, job, results) for _ in range(clients)))

    asyncio.run(all_clients())
    print(f"{clients} subscriber(s): resumed after 4008 {sum(r[3] for r in results)} time(s) in total")
    for first, _, seqs, _ in results:
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == N + 3, (len(seqs), seqs[:5])  # queued, running, N, final
    start = min(r[0] for r in results)
    end = max(r[1] for r in results)
    return clients * N / (end - start)


def main() -> None:
    with running_server() as url:
        ours = measure(url, 20)
        anchor = measure(url, 1)
    print(f"20 subscribers: {ours:,.0f} events/s delivered in total, every client gap-free and complete ({N} lines each)")
    print(f"anchor: 1 subscriber: {anchor:,.0f} events/s")
    print(f"ratio ours/anchor: {ours / anchor:.2f}")


if __name__ == "__main__":
    main()
