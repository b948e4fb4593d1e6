"""The job process's event channel: queued events reach the reader as JSON lines, in order, batched."""

from __future__ import annotations

import os
import threading
import time

from torchpad.server.runner import EventChannel
from torchpad.server.wire import MAX_BATCH_LINE, decode_line


def _reader(fd: int, lines: list) -> threading.Thread:
    def read() -> None:
        with os.fdopen(fd, encoding="utf-8") as f:
            lines.extend(line.rstrip("\n") for line in f)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _channel(interval: float):
    r, w = os.pipe()
    lines: list[str] = []
    return EventChannel(w, interval=interval), lines, _reader(r, lines)


def test_events_arrive_in_order_several_per_line():
    channel, lines, reader = _channel(interval=0.05)
    sent = [{"kind": "metric", "step": i, "values": {"loss": i / 7}} for i in range(1000)]
    for event in sent:
        channel.send(event)
    channel.send({"kind": "result", "state": "succeeded"})
    channel._file.close()
    reader.join(5)
    got = [e for line in lines for e in decode_line(line)]
    assert got == sent + [{"kind": "result", "state": "succeeded"}]
    assert len(lines) < 100  # batched, not one line per event


def test_the_writer_thread_flushes_held_metrics_when_the_sender_goes_quiet():
    channel, lines, _ = _channel(interval=0.02)
    channel.send({"kind": "metric", "step": 0, "values": {"loss": 1.0}})
    channel.send({"kind": "metric", "step": 1, "values": {"loss": 0.5}})
    deadline = time.monotonic() + 5
    while sum(len(decode_line(line)) for line in lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e["step"] for line in lines for e in decode_line(line)] == [0, 1]


def test_output_lines_are_written_at_once():
    channel, lines, _ = _channel(interval=60)  # no timed flush: only a non-metric event writes
    channel.send({"kind": "metric", "step": 0, "values": {"loss": 1.0}})
    channel.send({"kind": "metric", "step": 1, "values": {"loss": 0.5}})
    channel.send({"kind": "stdout", "text": "hello"})
    deadline = time.monotonic() + 5
    while len(lines) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [e for line in lines for e in decode_line(line)][-1] == {"kind": "stdout", "text": "hello"}


def test_a_batch_over_the_line_limit_goes_one_event_per_line():
    channel, lines, reader = _channel(interval=60)  # metrics wait for the explicit flush
    big = [{"kind": "metric", "step": i, "values": {str(i) * 60_000: float(i)}} for i in range(8)]
    for event in big:
        channel.send(event)
    channel.flush()
    channel._file.close()
    reader.join(5)
    assert len(lines) == 8 and all(len(line) < MAX_BATCH_LINE for line in lines)
    assert [e for line in lines for e in decode_line(line)] == big


def test_a_line_that_is_not_json_becomes_stderr_text():
    assert decode_line("Segmentation fault") == [{"kind": "stderr", "text": "Segmentation fault"}]
    assert decode_line('{"kind": "warm"}') == [{"kind": "warm"}]


def test_metrics_of_one_step_join_into_one_event_unless_a_name_repeats():
    channel, lines, reader = _channel(interval=60)
    metric = lambda step, **values: {"kind": "metric", "step": step, "values": values}  # noqa: E731
    for event in (metric(0, loss=1.0), metric(0, acc=0.5),       # the automatic loss, then torchpad.log: joined
                  metric(0, acc=0.6),                             # the same name again: its own event
                  metric(1, loss=0.9), {"kind": "stdout", "text": "x"}, metric(1, acc=0.7)):  # not adjacent
        channel.send(event)
    channel.flush()
    channel._file.close()
    reader.join(5)
    assert [e for line in lines for e in decode_line(line)] == [
        metric(0, loss=1.0, acc=0.5), metric(0, acc=0.6), metric(1, loss=0.9), {"kind": "stdout", "text": "x"},
        metric(1, acc=0.7)]
