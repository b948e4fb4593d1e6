"""Per-job output limits, applied in the server (the job's process is not trusted).

Output lines and metrics each pass a token bucket (a sustained rate plus a burst), and
stdout/stderr bytes have a total cap. Past a limit events are dropped; each dropped stretch
gets exactly one stderr marker line with its count, written where output resumes after
`QUIET_S` without drops, or when the job ends. (Under a steady flood the bucket refills a few
tokens at a time, so "first drop after an admitted line" would mark every refill.)
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


QUIET_S = 1.0  # a stretch of drops ends after this long without one


class Stretch:
    """Counts the events one limit drops until output has gone QUIET_S without a drop."""

    def __init__(self, what: str, clock):
        self.what, self.clock = what, clock
        self.count, self.last = 0, 0.0

    def drop(self) -> None:
        self.count += 1
        self.last = self.clock()

    def notice(self, force: bool = False) -> list[dict]:
        """The one marker line for a finished stretch (or an open one when `force`), else nothing."""
        if not self.count or not (force or self.clock() - self.last >= QUIET_S):
            return []
        text, self.count = f"[torchpad] {self.count} {self.what}", 0
        return [{"kind": "stderr", "text": text}]


class OutputLimiter:
    def __init__(self, lines_per_s: float, burst_lines: int, max_bytes: int, metrics_per_s: float, metrics_burst: int,
                 clock=time.monotonic):
        self.lines = TokenBucket(lines_per_s, burst_lines, clock)
        self.metrics = TokenBucket(metrics_per_s, metrics_burst, clock)
        self.max_bytes, self.bytes = max_bytes, 0
        self.stretches = {
            "bytes": Stretch(f"output lines dropped: output is over the limit of {max_bytes} bytes for this job", clock),
            "lines": Stretch(f"output lines dropped: output was faster than {lines_per_s:g} lines/s "
                             f"(bursts of {burst_lines})", clock),
            "metrics": Stretch(f"metric events dropped: metrics were logged faster than {metrics_per_s:g} per second "
                               f"(bursts of {metrics_burst})", clock)}
        self.dropped = 0

    def admit(self, event: dict) -> list[dict]:
        """The events to record in place of `event`: itself (after the notice of a finished stretch) or nothing."""
        kind = event["kind"]
        if kind in ("stdout", "stderr"):
            size = len(event["text"]) + 1
            if self.bytes + size > self.max_bytes:
                return self._drop("bytes")
            if not self.lines.take():
                return self._drop("lines")
            self.bytes += size
            return [*self.stretches["lines"].notice(), event]
        if kind == "metric":
            if not self.metrics.take():
                return self._drop("metrics")
            return [*self.stretches["metrics"].notice(), event]
        if kind == "image":  # a metric that also spends the output byte budget (about 8 bytes a pixel value)
            size = 8 * len(event["data"])
            if self.bytes + size > self.max_bytes:
                return self._drop("bytes")
            if not self.metrics.take():
                return self._drop("metrics")
            self.bytes += size
            return [*self.stretches["metrics"].notice(), event]
        return [event]

    def finish(self) -> list[dict]:
        """The notices of stretches still open when the job ends."""
        return [n for stretch in self.stretches.values() for n in stretch.notice(force=True)]

    def _drop(self, what: str) -> list[dict]:
        self.dropped += 1
        self.stretches[what].drop()
        return []
