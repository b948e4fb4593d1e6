"""First-come-first-served hand-out of interchangeable resources (GPU ids, CPU slots).

A job that needs N items waits until N are free and every earlier waiter is served, so a
job asking for many GPUs is not starved by a stream of single-GPU jobs.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Pool:
    def __init__(self, items, unit: str = "item"):
        self.free = list(items)
        self.size = len(self.free)
        self.unit = unit  # what one item is, for the reason a job waits: "GPU", "CPU slot"
        self._waiters: deque[tuple[int, asyncio.Future]] = deque()

    async def acquire(self, n: int) -> list:
        if n > self.size:
            raise ValueError(f"asked for {n}; the pool has {self.size}")
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((n, fut))
        self._wake()
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release(fut.result())
            else:
                self._waiters = deque(w for w in self._waiters if w[1] is not fut)
                self._wake()
            raise

    def release(self, items: list) -> None:
        self.free.extend(items)
        self._wake()

    def _wake(self) -> None:
        while self._waiters and len(self.free) >= self._waiters[0][0]:
            n, fut = self._waiters.popleft()
            if not fut.done():
                taken, self.free = self.free[:n], self.free[n:]
                fut.set_result(taken)

    def wait_reason(self, n: int) -> str | None:
        """Why a request for `n` items would wait now (None when it would be served at once)."""
        if len(self.free) >= n and not self._waiters:
            return None
        ahead = f"; {len(self._waiters)} job(s) ahead" if self._waiters else ""
        return f"waiting for {n} {self.unit}{'s' if n != 1 else ''} ({len(self.free)} of {self.size} free on this server{ahead})"

    @property
    def waiting(self) -> int:
        return len(self._waiters)
