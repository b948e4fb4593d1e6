"""What only the Ray executor has: the cluster in /api/info, a Ray worker killed under a job,
jobs waiting in Ray's queue with the reason. Everything both executors share (streaming,
two jobs at once, cancel, kill -9, the 2-worker gloo job through TorchTrainer, reconnect)
runs on Ray through the `server` fixture's "ray" parameter (conftest.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from .conftest import FINAL, Server, final_status, stream, texts
from .ray_cluster import write_auth_token
from .test_jobs import _wait_gone

pytestmark = pytest.mark.ray

SLEEPER = "import time\nprint('up', flush=True)\ntime.sleep(300)\n"


@pytest.fixture(scope="module")
def srv(ray_cluster, tmp_path_factory):
    # Joins with the flag (the shared tests use TORCHPAD_RAY_ADDRESS); 6 CPU slots > the head's 4 CPUs.
    server = Server(tmp_path_factory.mktemp("server") / "data", "ray", ["--ray-address", ray_cluster.address],
                    {**ray_cluster.env, "TORCHPAD_CPU_SLOTS": "5"}).start()
    yield server
    server.stop()


def test_serve_help_explains_the_ray_address_flag():
    out = subprocess.run([sys.executable, "-m", "torchpad", "serve", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--ray-address" in out and "TORCHPAD_RAY_ADDRESS" in out and "ray://HOST:PORT" in out


def test_info_lists_the_clusters_nodes_and_free_gpus(srv, ray_cluster):
    info = srv.get("/api/info").json()["executor"]
    assert info["name"] == "ray" and info["address"] == ray_cluster.address
    [node] = info["nodes"]
    assert node["head"] and node["cpus"] == 4 and node["gpus"] == 0
    assert info["cpus_total"] == 4 and info["gpus_total"] == 0 and info["gpus_free"] == 0
    assert info["cpu_slots"] == 5 and info["cpu_slots_free"] == 5


def test_a_server_without_the_clusters_token_cannot_join(ray_cluster, tmp_path):
    # The head enforces its own token (from the test's temp dir, never ~/.ray): another token is refused.
    other = {**ray_cluster.env, "RAY_AUTH_TOKEN_PATH": str(write_auth_token(tmp_path))}
    server = Server(tmp_path / "data", "ray", ["--ray-address", ray_cluster.address], other)
    (tmp_path / "data").mkdir()
    with pytest.raises(RuntimeError, match="server exited") as refused:
        server.start()
    server.stop()
    assert "incorrect" in str(refused.value) and "RAY_AUTH_TOKEN_PATH" in str(refused.value)  # Ray's token error


def test_a_ray_worker_killed_under_a_job_fails_it_and_the_next_job_runs(srv):
    ws = srv.connect()
    # The job process's parent is the Ray worker that runs the job's task.
    job = srv.submit(ws, "import os, time\nprint(os.getppid(), flush=True)\ntime.sleep(300)\n")
    events = stream(ws, job, until=lambda e: e["kind"] == "stdout")
    os.kill(int(events[-1]["text"]), signal.SIGKILL)
    events += stream(ws, job)
    status = final_status(events)
    assert status["state"] == "failed" and status["reason"].startswith("the Ray worker running the job died"), status
    job2 = srv.submit(ws, "print('still here')", rid="r2")
    assert texts(stream(ws, job2)) == ["still here"]
    ws.close()


def test_a_job_larger_than_the_cluster_fails_at_once_instead_of_waiting_forever(srv):
    ws = srv.connect()
    job = srv.submit(ws, "print('never')", gpus=8, device="cpu")
    events = stream(ws, job)
    assert [e["state"] for e in events if e["kind"] == "status"] == ["queued", "failed"]
    assert final_status(events)["reason"] == "the job asks for 8 CPU workers; the Ray cluster has 4 CPUs"
    ws.close()


def test_what_a_job_leaves_running_is_stopped_when_it_ends(srv):
    ws = srv.connect()
    job = srv.submit(ws, "import subprocess\nprint(subprocess.Popen(['sleep', '300']).pid)\n")
    events = stream(ws, job)
    assert final_status(events)["state"] == "succeeded"
    assert _wait_gone([int(texts(events)[0])], within=5) == []
    ws.close()


def test_jobs_wait_with_the_reason_and_run_when_resources_free_up(srv):
    ws = srv.connect()
    seen: dict[str, list] = {}

    def pump(until):
        while not until():
            msg = json.loads(ws.recv(timeout=120))
            if msg["type"] == "event":
                seen.setdefault(msg["job"], []).append(msg["event"])

    def states(job):
        return [(e["state"], e.get("reason")) for e in seen.get(job, []) if e["kind"] == "status"]

    backlog: list = []
    sleepers = [srv.submit(ws, SLEEPER, rid=f"s{i}", backlog=backlog) for i in range(4)]  # the head's 4 CPUs
    for msg in backlog:
        seen.setdefault(msg["job"], []).append(msg["event"])
    pump(lambda: all(("running", None) in states(j) for j in sleepers))
    backlog = []
    on_ray = srv.submit(ws, "print('my turn')", rid="ray-wait", backlog=backlog)    # slot 5 of 5, no Ray CPU free
    on_slot = srv.submit(ws, "print('me too')", rid="slot-wait", backlog=backlog)   # no slot left on this server
    for msg in backlog:
        seen.setdefault(msg["job"], []).append(msg["event"])
    pump(lambda: len(states(on_ray)) >= 2 and len(states(on_slot)) >= 2)
    assert states(on_ray) == [("queued", None), ("queued", "waiting for 1 CPU on the Ray cluster (0 of 4 free)")]
    assert states(on_slot) == [("queued", None), ("queued", "waiting for 1 CPU slot (0 of 5 free on this server)")]
    assert srv.get(f"/api/jobs/{on_ray}").json()["reason"].startswith("waiting for 1 CPU")
    # Cancelling a job that waits in Ray's queue; then one sleeper: the slot waiter gets its turn.
    ws.send(json.dumps({"v": 1, "type": "cancel", "job": on_ray}))
    pump(lambda: states(on_ray)[-1][0] in FINAL)
    assert states(on_ray)[-1] == ("cancelled", "cancelled by user") and ("running", None) not in states(on_ray)
    ws.send(json.dumps({"v": 1, "type": "cancel", "job": sleepers[0]}))
    pump(lambda: states(on_slot)[-1][0] in FINAL)
    assert states(on_slot)[-1] == ("succeeded", None) and texts(seen[on_slot]) == ["me too"]
    for job in sleepers[1:]:
        ws.send(json.dumps({"v": 1, "type": "cancel", "job": job}))
    pump(lambda: all(states(j)[-1][0] in FINAL for j in sleepers))
    assert {states(j)[-1][0] for j in sleepers} == {"cancelled"}
    ws.close()


def test_through_ray_client_jobs_stream_and_cancel(srv, ray_cluster, tmp_path_factory):
    # Ray Client cannot stream a task's results, so these jobs are actors the server polls.
    [node] = srv.get("/api/info").json()["executor"]["nodes"]
    address = f"ray://{node['address']}:{ray_cluster.client_port}"
    client = Server(tmp_path_factory.mktemp("server") / "data", "ray", ["--ray-address", address], ray_cluster.env).start()
    try:
        assert client.get("/api/info").json()["executor"]["address"] == address
        ws = client.connect()
        job = client.submit(ws, "import torch, torchpad\nfor i in range(3):\n    print('step', i)\n    torchpad.log(step=i, x=i)\n")
        events = stream(ws, job)
        assert [e["state"] for e in events if e["kind"] == "status"] == ["queued", "running", "succeeded"]
        assert texts(events) == ["step 0", "step 1", "step 2"]
        assert [e["values"]["x"] for e in events if e["kind"] == "metric"] == [0, 1, 2]
        job = client.submit(ws, SLEEPER, rid="sleeper")
        stream(ws, job, until=lambda e: e["kind"] == "stdout")
        ws.send(json.dumps({"v": 1, "type": "cancel", "job": job}))
        assert final_status(stream(ws, job, timeout=5))["state"] == "cancelled"
        ws.close()
    finally:
        client.stop()
