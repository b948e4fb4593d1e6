"""Running jobs on a real server: streaming, concurrency, reconnect, cancel, kill -9, gloo, timeouts."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from .conftest import FINAL, PIDS, assert_gap_free, final_status, seen_pids, stream, texts

TRAIN = """
import torch, torchpad
torch.manual_seed(0)
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(32, 4), torch.randn(32, 1)
for step in range(5):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    torchpad.log(step=step, acc=step / 10)
print("device", "cuda" if torch.cuda.is_available() else "cpu")
print("done")
"""


def test_submit_streams_status_stdout_metrics_in_order(server):
    ws = server.connect()
    job = server.submit(ws, TRAIN)
    events = stream(ws, job)
    assert_gap_free(events)
    states = [e["state"] for e in events if e["kind"] == "status"]
    assert states == ["queued", "running", "succeeded"]
    assert [e for e in events if e["kind"] == "status"][1]["device"] == "cpu"
    assert texts(events) == ["device cpu", "done"]
    losses = [e for e in events if e["kind"] == "metric" and "loss" in e["values"]]
    assert [e["step"] for e in losses] == [0, 1, 2, 3, 4]  # automatic loss logging on backward()
    # The logged losses are the real ones: replay the same training in this process.
    import torch

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    expected = []
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        expected.append(loss.item())
    assert [e["values"]["loss"] for e in losses] == pytest.approx(expected, rel=1e-5)
    accs = [e["values"]["acc"] for e in events if e["kind"] == "metric" and "acc" in e["values"]]
    assert accs == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])
    # The same stream, stored: REST gives exactly what the websocket gave.
    assert server.events(job) == events
    ws.close()


def test_error_event_has_trimmed_traceback_and_user_line(server):
    ws = server.connect()
    code = "import torch\nx = torch.randn(64, 4096)\nw = torch.randn(2304, 128)\n\ny = x @ w\n"
    job = server.submit(ws, code)
    events = stream(ws, job)
    [err] = [e for e in events if e["kind"] == "error"]
    assert err["type"] == "RuntimeError"
    assert err["message"] == "mat1 and mat2 shapes cannot be multiplied (64x4096 and 2304x128)"
    assert err["line"] == 5
    assert 'File "main.py", line 5' in err["traceback"]
    assert "torchpad" not in err["traceback"] and "site-packages" not in err["traceback"]
    status = final_status(events)
    assert status["state"] == "failed" and "mat1 and mat2" in status["reason"]
    ws.close()


def test_rest_submit_list_detail_events(server):
    r = server.post("/api/jobs", json={"code": "print('via rest')", "name": "rest.py", "options": {"device": "cpu"}})
    assert r.status_code == 201
    job = r.json()["job"]
    detail = server.wait_final(job)
    assert detail["state"] == "succeeded" and detail["name"] == "rest.py" and detail["code"] == "print('via rest')"
    events = server.events(job)
    assert_gap_free(events)
    assert texts(events) == ["via rest"]
    assert server.events(job, after=2) == events[2:]
    assert job in [j["id"] for j in server.get("/api/jobs").json()["jobs"]]
    info = server.get("/api/info").json()
    assert info["torch"].startswith("2.") and info["cuda"]["available"] in (True, False)
    assert info["executor"]["name"] == server.executor and set(info["queue"]) >= {"queued", "running", "max_queued"}


def test_two_concurrent_jobs_stream_independently(server):
    ws = server.connect()
    # Each job waits for the other's marker file, so they can only finish if both run at once.
    code = """
import os, time, pathlib
d = pathlib.Path({d!r})
(d / {me!r}).touch()
while not (d / {other!r}).exists():
    time.sleep(0.05)
for i in range(3):
    print({me!r}, i)
"""
    d = str(server.data_dir.parent)
    a = server.submit(ws, code.format(d=d, me="a", other="b"), rid="a")
    backlog = []
    b = server.submit(ws, code.format(d=d, me="b", other="a"), rid="b", backlog=backlog)
    got = {a: [m["event"] for m in backlog], b: []}
    deadline = time.monotonic() + 120
    while not all(got[j] and got[j][-1]["kind"] == "status" and got[j][-1]["state"] in FINAL for j in got):
        msg = json.loads(ws.recv(timeout=deadline - time.monotonic()))
        if msg["type"] == "event":
            got[msg["job"]].append(msg["event"])
    for job, name in ((a, "a"), (b, "b")):
        assert_gap_free(got[job])
        assert texts(got[job]) == [f"{name} 0", f"{name} 1", f"{name} 2"]
        assert final_status(got[job])["state"] == "succeeded"
    ws.close()


def test_reconnect_after_drop_resumes_without_gap_or_duplicate(server):
    code = "import time\nfor i in range(40):\n    print('line', i)\n    time.sleep(0.02)\n"
    ws = server.connect()
    job = server.submit(ws, code)
    first = stream(ws, job, until=lambda e: e["kind"] == "stdout" and e["text"] == "line 5")
    ws.close()  # the client goes away; the job keeps running
    time.sleep(0.3)
    ws = server.connect()
    ws.send(json.dumps({"v": 1, "type": "subscribe", "job": job, "after_seq": first[-1]["seq"]}))
    rest = stream(ws, job)
    events = first + rest
    assert_gap_free(events)
    assert texts(events) == [f"line {i}" for i in range(40)]
    assert final_status(events)["state"] == "succeeded"
    # A second subscriber from the middle gets exactly the tail, even after the job ended.
    ws2 = server.connect()
    ws2.send(json.dumps({"v": 1, "type": "subscribe", "job": job, "after_seq": 10}))
    assert stream(ws2, job) == events[10:]
    ws.close(), ws2.close()


def test_batch_clients_get_the_same_events_in_fewer_messages(server):
    """`batch: true` in auth: `events` messages carry the stream that `event` messages carry, in order."""
    code = ("import torchpad\nfor i in range(300):\n    print('line', i)\n    torchpad.log(step=i, x=i)\n"
            "for i in range(3):\n    print(str(i) * 40000)\n")
    ws = server.connect(batch=True)
    job = server.submit(ws, code)
    messages = []
    while not any(e["kind"] == "status" and e["state"] in FINAL for m in messages for e in m["events"]):
        msg = json.loads(ws.recv(timeout=120))
        assert msg["type"] != "event", "a batch client got an unbatched event message"
        if msg["type"] == "events" and msg["job"] == job:
            messages.append(msg)
    events = [e for m in messages for e in m["events"]]
    assert_gap_free(events)
    assert texts(events) == [f"line {i}" for i in range(300)] + [str(i) * 40000 for i in range(3)]
    assert len(messages) < len(events) / 10  # several events per message
    for m in messages:  # bounded messages: 64 KiB of events each, or one bigger event alone
        assert len(m["events"]) == 1 or sum(len(json.dumps(e, separators=(",", ":"))) for e in m["events"]) <= 64 * 1024
    ws2 = server.connect()  # an unbatched client sees exactly the same stream
    ws2.send(json.dumps({"v": 1, "type": "subscribe", "job": job, "after_seq": 0}))
    assert stream(ws2, job) == events == server.events(job)
    ws.close(), ws2.close()


def test_auth_with_a_bad_batch_field_says_which_field(server):
    ws = server.connect(token=None)
    ws.send(json.dumps({"v": 1, "type": "auth", "token": server.token, "batch": "yes"}))
    msg = json.loads(ws.recv(timeout=30))
    assert (msg["type"], msg["code"], msg["message"]) == ("error", "unauthorized", "field 'batch' must be true or false, got str")
    ws.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pids, within: float) -> list[int]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def test_cancel_stops_the_job_and_its_children_within_5s(server):
    code = f"""
import os, subprocess, time, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)   # a stubborn program: only SIGKILL stops it
child = subprocess.Popen(["sleep", "300"])
print({PIDS}, os.getpid(), child.pid)
while True:
    time.sleep(0.1)
"""
    ws = server.connect()
    job = server.submit(ws, code)
    events = stream(ws, job, until=lambda e: e["kind"] == "stdout")
    pids = seen_pids(events[-1]["text"])
    asked = time.monotonic()
    ws.send(json.dumps({"v": 1, "type": "cancel", "job": job}))
    events += stream(ws, job)
    assert final_status(events) == {**final_status(events), "state": "cancelled", "reason": "cancelled by user"}
    assert _wait_gone(pids, within=5 - (time.monotonic() - asked)) == []
    assert_gap_free(events)
    # Cancelling a finished job is a clear error, and the connection stays usable.
    ws.send(json.dumps({"v": 1, "type": "cancel", "job": job, "id": "again"}))
    reply = json.loads(ws.recv(timeout=10))
    assert reply["type"] == "error" and reply["code"] == "job_finished" and reply["id"] == "again"
    ws.close()


def test_rest_cancel(server):
    job = server.post("/api/jobs", json={"code": "import time\nprint('up', flush=True)\ntime.sleep(300)"}).json()["job"]
    deadline = time.monotonic() + 60
    while "up" not in texts(server.events(job)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.post(f"/api/jobs/{job}/cancel").status_code == 202
    assert server.wait_final(job, timeout=10)["state"] == "cancelled"


def test_kill_9_of_a_job_fails_it_and_the_server_carries_on(server):
    ws = server.connect()
    job = server.submit(ws, f"import os, time\nprint({PIDS}, os.getpid())\ntime.sleep(300)\n")
    events = stream(ws, job, until=lambda e: e["kind"] == "stdout")
    os.kill(seen_pids(events[-1]["text"])[0], signal.SIGKILL)
    events += stream(ws, job)
    status = final_status(events)
    assert status["state"] == "failed" and "SIGKILL" in status["reason"]
    # The server and the next job are fine.
    job2 = server.submit(ws, "print('still here')")
    assert texts(stream(ws, job2)) == ["still here"]
    ws.close()


def test_wall_time_limit_fails_the_job(server):
    ws = server.connect()
    job = server.submit(ws, "import time\ntime.sleep(300)\n", timeout_s=1)
    status = final_status(stream(ws, job))
    assert status["state"] == "failed" and status["reason"].startswith("timed out after 1 s")
    ws.close()


def test_two_process_gloo_job(server):
    code = """
import os, torch, torch.distributed as dist, torchpad
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
t = torch.tensor([float(rank + 1)])
dist.all_reduce(t)
torchpad.log(step=0, total=t.item(), rank=rank)
print(f"rank {rank}/{world} sum {t.item():g}")
"""
    ws = server.connect()
    job = server.submit(ws, code, gpus=2, device="cpu")
    events = stream(ws, job)
    assert final_status(events)["state"] == "succeeded", events
    assert [e for e in events if e["kind"] == "status"][1]["device"] == "cpu x2 (gloo)"
    assert sorted(texts(events)) == ["[rank 1] rank 1/2 sum 3", "rank 0/2 sum 3"]
    metrics = [e for e in events if e["kind"] == "metric"]
    assert [m["values"] for m in metrics] == [{"total": 3.0, "rank": 0.0}]  # rank 0 only
    ws.close()


def test_device_cuda_without_gpu_fails_clearly(server):
    info = server.get("/api/info").json()
    if info["cuda"]["available"]:
        pytest.skip("this host has a GPU; see test_cuda.py")
    ws = server.connect()
    job = server.submit(ws, "print(1)", device="cuda")
    status = final_status(stream(ws, job))
    assert status["state"] == "failed" and "no CUDA GPU" in status["reason"]
    ws.close()


def test_shares_round_trip_and_public_read(server):
    r = server.post("/api/shares", json={"payload": "print('shared')"})
    assert r.status_code == 201
    share = r.json()
    assert share["url"] == f"/s/{share['id']}"
    page = server.get(share["url"], headers={}, follow_redirects=False)
    assert page.status_code == 302 and page.headers["location"] == f"/#s={share['id']}"
    assert server.get(f"/api/shares/{share['id']}", headers={}).json() == {"payload": "print('shared')"}
    assert server.get("/api/shares/nope", headers={}).status_code == 404
    assert server.get("/s/nope", headers={}, follow_redirects=False).status_code == 404
    assert server.post("/api/shares", json={"payload": "x"}, headers={}).status_code == 401


def test_a_background_child_left_running_does_not_hold_the_job_open(server):
    # The child inherits the job's stdout/stderr; the job must still end when the program does.
    code = f"import os, subprocess\nchild = subprocess.Popen(['sleep', '300'])\nprint({PIDS}, child.pid, flush=True)\n"
    ws = server.connect()
    job = server.submit(ws, code)
    events = stream(ws, job, timeout=30)
    assert final_status(events)["state"] == "succeeded"
    assert _wait_gone(seen_pids(texts(events)[0], gone_ok=True), within=5) == []  # (in a PID namespace: already gone)
    ws.close()
