"""Per-job output limits, applied in the server (the job's process is not trusted).

Output lines and metrics each pass a token bucket (a sustained rate plus a burst), and
stdout/stderr bytes have a total cap. Past a limit the event is dropped, and the first
drop of each episode is replaced by one stderr marker line saying what happened.
"""

from __future__ import annotations

import time


class TokenBucket:
    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens, self.stamp = float(burst), clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class OutputLimiter:
    def __init__(self, lines_per_s: float, burst_lines: int, max_bytes: int, metrics_per_s: float, metrics_burst: int):
        self.lines = TokenBucket(lines_per_s, burst_lines)
        self.metrics = TokenBucket(metrics_per_s, metrics_burst)
        self.max_bytes, self.bytes = max_bytes, 0
        self.dropping = {"lines": False, "metrics": False, "bytes": False}
        self.dropped = 0

    def admit(self, event: dict) -> list[dict]:
        """The events to record in place of `event`: itself, nothing, or a marker line."""
        kind = event["kind"]
        if kind in ("stdout", "stderr"):
            size = len(event["text"]) + 1
            if self.bytes + size > self.max_bytes:
                return self._drop("bytes", f"output is over the limit of {self.max_bytes} bytes for this job; "
                                           "further output is dropped")
            if not self.lines.take():
                return self._drop("lines", f"output is faster than {self.lines.rate:g} lines/s; lines are being dropped")
            self.bytes += size
            self.dropping["lines"] = False
        elif kind == "metric":
            if not self.metrics.take():
                return self._drop("metrics", f"metrics are logged faster than {self.metrics.rate:g} per second; "
                                             "some are being dropped")
            self.dropping["metrics"] = False
        return [event]

    def _drop(self, what: str, text: str) -> list[dict]:
        self.dropped += 1
        if self.dropping[what]:
            return []
        self.dropping[what] = True
        return [{"kind": "stderr", "text": f"[torchpad] {text}"}]
