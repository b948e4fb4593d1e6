"""One batching policy for a run's events, shared by the server's job runner and the browser worker.

Only metrics wait: they are held and go out at most once per `interval` (so a tight training loop
cannot flood the pipe or the page), joined per step; every other event (an output line, an error,
an image, the result) goes out at once with whatever was held before it, so order is kept and a
line the program wrote is delivered even if the process dies the next instant.
`send` only appends to a deque, which is safe from any thread; `flush` drains under a lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

INTERVAL_S = 0.05


class Outbox:
    def __init__(self, write: Callable[[list[dict]], None], interval: float = INTERVAL_S):
        self._write, self._interval = write, interval
        self._held: deque = deque()
        self._lock = threading.Lock()  # one writer at a time keeps the batches in order
        self._last_flush = time.monotonic()

    def send(self, event: dict) -> None:
        self._held.append(event)
        if event["kind"] != "metric" or time.monotonic() - self._last_flush > self._interval:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            held = self._held
            batch = join_metrics([held.popleft() for _ in range(len(held))])
            self._last_flush = time.monotonic()
            if batch:
                self._write(batch)


def join_metrics(events: list[dict]) -> list[dict]:
    """Adjacent metric events of one step with different names, as one event (the automatic `loss`
    and a `torchpad.log(...)` of the same step travel, are stored and are drawn as one)."""
    out: list[dict] = []
    for event in events:
        last = out[-1] if out else None
        if (last is not None and event["kind"] == "metric" == last["kind"] and event["step"] == last["step"]
                and last["values"].keys().isdisjoint(event["values"])):
            out[-1] = {**last, "values": {**last["values"], **event["values"]}}
        else:
            out.append(event)
    return out
