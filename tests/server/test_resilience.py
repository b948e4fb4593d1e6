"""Never lose anything: server restart, slow readers, output limits."""

from __future__ import annotations

import asyncio
import json
import signal
import socket

import websockets
from websockets.exceptions import ConnectionClosed

from .conftest import PIDS, assert_gap_free, final_status, seen_pids, stream, texts
from .test_jobs import _wait_gone


def test_server_restart_fails_running_jobs_and_runs_queued_ones(make_server):
    srv = make_server(env={"TORCHPAD_CPU_SLOTS": "1"})
    ws = srv.connect()
    running = srv.submit(ws, f"import os, time\nprint({PIDS}, os.getpid())\ntime.sleep(300)\n", rid="a")
    pid = seen_pids(stream(ws, running, until=lambda e: e["kind"] == "stdout")[-1]["text"])[0]
    queued = srv.submit(ws, "print('queued job ran')", rid="b")
    assert srv.get(f"/api/jobs/{queued}").json()["state"] == "queued"
    srv.stop(signal.SIGKILL)  # a crash: no chance to clean up
    assert _wait_gone([pid], within=10) == []  # the job process dies with its server
    srv.start()
    a = srv.wait_final(running)
    assert a["state"] == "failed" and a["reason"] == "server restarted"
    b = srv.wait_final(queued)
    assert b["state"] == "succeeded"
    for job in (running, queued):
        assert_gap_free(srv.events(job))
    assert texts(srv.events(queued)) == ["queued job ran"]
    assert [e["state"] for e in srv.events(running) if e["kind"] == "status"] == ["queued", "running", "failed"]


def test_a_job_waits_queued_with_the_reason_while_every_slot_is_busy(make_server):
    srv = make_server(env={"TORCHPAD_CPU_SLOTS": "1"})
    ws = srv.connect()
    first = srv.submit(ws, "import time\nprint('first', flush=True)\ntime.sleep(2)\n", rid="a")
    stream(ws, first, until=lambda e: e["kind"] == "stdout")
    second = srv.submit(ws, "print('second')", rid="b")
    assert srv.wait_final(second)["state"] == "succeeded"
    statuses = [(e["state"], e.get("reason")) for e in srv.events(second) if e["kind"] == "status"]
    assert statuses[:2] == [("queued", None), ("queued", "waiting for 1 CPU slot (0 of 1 free on this server)")]
    assert [s for s, _ in statuses[2:]] == ["running", "succeeded"]
    a, b = srv.get(f"/api/jobs/{first}").json(), srv.get(f"/api/jobs/{second}").json()
    assert a["state"] == "succeeded" and b["started"] >= a["finished"]  # it ran once the slot was free
    ws.close()


async def _read_until_closed(srv, n: int):
    """Submit, stop reading until the job is done, then read what comes: (events, close code)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", srv.port))
    # The asyncio client stops reading the socket when 4 messages wait (real TCP backpressure).
    async with websockets.connect(srv.ws_url, sock=sock, origin=srv.url, max_queue=4, max_size=None,
                                  compression=None) as ws:  # deflate would squeeze the test output into the buffers
        await ws.send(json.dumps({"v": 1, "type": "auth", "token": srv.token}))
        assert json.loads(await ws.recv())["type"] == "ready"
        await ws.send(json.dumps({"v": 1, "type": "submit", "id": "s", "code": f"for i in range({n}):\n    print(str(i).rjust(1500, '.'))\n"}))
        job = json.loads(await ws.recv())["job"]
        await asyncio.to_thread(srv.wait_final, job)  # not reading meanwhile
        await asyncio.sleep(3)  # > TORCHPAD_WS_STALL_S with a full queue: the server gives up on us
        events = []
        try:
            while True:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if msg["type"] == "event":
                    events.append(msg["event"])
        except ConnectionClosed as e:
            return job, events, e.rcvd.code if e.rcvd else None
        except asyncio.TimeoutError:
            return job, events, "no close frame"
        return job, events, None


def test_slow_reader_is_closed_with_4008_and_resumes_without_loss(make_server):
    srv = make_server(env={"TORCHPAD_WS_QUEUE": "50", "TORCHPAD_WS_STALL_S": "1", "TORCHPAD_OUTPUT_LINES_PER_S": "1000000",
                           "TORCHPAD_OUTPUT_BURST_LINES": "1000000"})
    n = 8000  # 12 MB of output: more than the socket buffers hold
    job, events, code = asyncio.run(_read_until_closed(srv, n))
    assert code == 4008
    assert 0 < len(events) < n
    assert_gap_free(events)
    ws = srv.connect()
    ws.send(json.dumps({"v": 1, "type": "subscribe", "job": job, "after_seq": events[-1]["seq"]}))
    events += stream(ws, job)
    assert_gap_free(events)
    assert [int(t.lstrip(".")) for t in texts(events)] == list(range(n))
    ws.close()


def markers(events: list[dict]) -> list[str]:
    return [e["text"] for e in events if e["kind"] == "stderr" and e["text"].startswith("[torchpad]")]


def test_output_and_metric_limits_drop_with_one_marker(make_server):
    srv = make_server(env={"TORCHPAD_OUTPUT_LINES_PER_S": "5", "TORCHPAD_OUTPUT_BURST_LINES": "20",
                           "TORCHPAD_METRICS_PER_S": "5", "TORCHPAD_METRICS_BURST": "30",
                           "TORCHPAD_OUTPUT_MAX_BYTES": "100000"})
    ws = srv.connect()
    job = srv.submit(ws, "import torchpad\nfor i in range(200):\n    print(i)\n    torchpad.log(x=i)\n")
    events = stream(ws, job)
    assert final_status(events)["state"] == "succeeded"
    lines = texts(events)
    assert lines[:20] == [str(i) for i in range(20)] and len(lines) < 40
    metrics = [e for e in events if e["kind"] == "metric"]
    assert 30 <= len(metrics) < 60
    lines_note, metrics_note = markers(events)  # one per stretch, not one per dropped line
    assert lines_note == f"[torchpad] {200 - len(lines)} output lines dropped: output was faster than 5 lines/s (bursts of 20)"
    assert metrics_note == (f"[torchpad] {200 - len(metrics)} metric events dropped: metrics were logged faster than "
                            "5 per second (bursts of 30)")
    job = srv.submit(ws, "for i in range(15):\n    print('x' * 10000)\n", rid="big")
    events = stream(ws, job)
    assert len(texts(events)) == 9  # 9 lines fit in 100000 bytes
    assert [e["text"] for e in events if e["kind"] == "stderr"] == [
        "[torchpad] 6 output lines dropped: output is over the limit of 100000 bytes for this job"]
    ws.close()


def test_a_steady_flood_gets_one_drop_notice_with_its_count(make_server):
    # The bucket refills a few lines at a time during the flood; each refill used to start a new notice.
    srv = make_server(env={"TORCHPAD_OUTPUT_LINES_PER_S": "500", "TORCHPAD_OUTPUT_BURST_LINES": "100",
                           "TORCHPAD_METRICS_PER_S": "500", "TORCHPAD_METRICS_BURST": "100"})
    n = 60_000
    job = srv.post("/api/jobs", json={"code": f"import torchpad\nfor i in range({n}):\n    print(i)\n    torchpad.log(x=i)\n"}).json()["job"]
    assert srv.wait_final(job)["state"] == "succeeded"
    events, after = [], 0
    while batch := srv.events(job, after):
        events += batch
        after = batch[-1]["seq"]
    lines, metrics, notes = texts(events), [e for e in events if e["kind"] == "metric"], markers(events)
    assert len(notes) == 2, notes
    assert notes[0].startswith(f"[torchpad] {n - len(lines)} output lines dropped")
    assert notes[1].startswith(f"[torchpad] {n - len(metrics)} metric events dropped")
    assert len(lines) < n // 2  # the limit did drop most of them
