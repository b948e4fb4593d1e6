"""What travels between the server's parts, in one place: the job process's event lines (both
ends of that codec), websocket event frames and their batching, the longest line read from a job
process, and a free port for rendezvous and test servers.

Event frames wrap an event's stored JSON text without decoding and re-encoding it, so a
follower's cost per event is one string format.
"""

from __future__ import annotations

import json
import socket

from .events import encode

STREAM_LIMIT = 1 << 20  # longest line read from a job process at once (longer ones come in pieces)
MAX_BATCH_LINE = 256 * 1024  # a longer batch goes out one event per line (well under STREAM_LIMIT)
BATCH_BYTES = 64 * 1024  # event text per `events` message (one event may be bigger on its own)


def encode_lines(batch: list[dict]) -> list[str]:
    """A batch of events as a runner's channel lines: one JSON list per line, or one event per line
    when the whole batch would be longer than MAX_BATCH_LINE."""
    line = encode(batch)
    return [line] if len(line) <= MAX_BATCH_LINE else [encode([event]) for event in batch]


def decode_line(line: str) -> list:
    """The events on one line of a runner's event channel; a line that is not JSON becomes stderr text."""
    try:
        value = json.loads(line)
    except ValueError:
        return [{"kind": "stderr", "text": line}]
    return value if isinstance(value, list) else [value]


def event_frame(job_id: str, data: str) -> str:
    """The websocket `event` message around an event's stored JSON text (no re-encoding)."""
    return f'{{"v":1,"type":"event","job":{json.dumps(job_id)},"event":{data}}}'


def events_frame(job_id: str, datas: list[str]) -> str:
    """The websocket `events` message: several consecutive events of one job, as stored."""
    return f'{{"v":1,"type":"events","job":{json.dumps(job_id)},"events":[{",".join(datas)}]}}'


def frames(job_id: str, rows: list[tuple[int, str]], batch: bool):
    """(message, last seq in it) for stored rows (seq, event JSON): one `event` per row, or, for a
    client that asked for `batch`, `events` messages of up to BATCH_BYTES of event text each."""
    if not batch:
        yield from ((event_frame(job_id, data), seq) for seq, data in rows)
        return
    datas, size, last = [], 0, 0
    for seq, data in rows:
        if datas and size + len(data) > BATCH_BYTES:
            yield events_frame(job_id, datas), last
            datas, size = [], 0
        datas.append(data)
        size, last = size + len(data), seq
    if datas:
        yield events_frame(job_id, datas), last


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it; the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
