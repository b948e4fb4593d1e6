"""No process of a job outlives it: a double-forked, setsid'd daemon that closed its fds ends
with the job, at the job's wall-time limit, and (with cgroups) after a server kill -9 + restart."""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path

import pytest

from .conftest import Server
from .test_jobs import _alive, _wait_gone

MODES = ["cgroup", "pgroup"]


def daemon_code(pid_file, then: str = "") -> str:
    return f"""
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open({str(pid_file)!r} + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename({str(pid_file)!r} + ".tmp", {str(pid_file)!r})
        os.closerange(0, 4096)
        time.sleep(300)
    os._exit(0)
while not os.path.exists({str(pid_file)!r}):
    time.sleep(0.01)
print("daemon started", flush=True)
{then}
"""


@pytest.fixture(params=MODES)
def contained(request, tmp_path):
    from torchpad.server.containment import cgroup2_root

    if request.param == "cgroup" and cgroup2_root() is None:
        pytest.skip("no writable cgroup v2 directory on this machine")
    srv = Server(tmp_path / "data", "local", env={"TORCHPAD_JOB_CONTAINMENT": request.param}).start()
    assert srv.get("/api/info").json()["executor"]["containment"] == request.param
    yield srv
    srv.stop()


def _daemon_pid(pid_file) -> int:
    return int(pid_file.read_text())


def test_a_daemon_ends_with_its_job(contained, tmp_path):
    pid_file = tmp_path / "daemon.pid"
    job = contained.post("/api/jobs", json={"code": daemon_code(pid_file), "name": "d.py"}).json()["job"]
    assert contained.wait_final(job)["state"] == "succeeded"
    daemon = _daemon_pid(pid_file)
    assert _wait_gone([daemon], within=10) == [], "the daemon outlived its job"


def test_a_daemon_ends_at_the_wall_time_limit(contained, tmp_path):
    pid_file = tmp_path / "daemon.pid"
    code = daemon_code(pid_file, "time.sleep(300)")
    job = contained.post("/api/jobs", json={"code": code, "name": "d.py", "options": {"timeout_s": 3}}).json()["job"]
    info = contained.wait_final(job)
    assert info["state"] == "failed" and "timed out" in info["reason"]
    assert _wait_gone([_daemon_pid(pid_file)], within=10) == []


def test_a_daemon_is_ended_when_its_server_restarts_after_a_kill_9(contained, tmp_path):
    if contained.env["TORCHPAD_JOB_CONTAINMENT"] == "pgroup":
        pytest.skip("process groups cannot find a setsid'd daemon once its runner died with the server; cgroups can")
    pid_file = tmp_path / "daemon.pid"
    job = contained.post("/api/jobs", json={"code": daemon_code(pid_file, "time.sleep(300)"), "name": "d.py"}).json()["job"]
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    daemon = _daemon_pid(pid_file)
    job_dirs = list(Path(tempfile.gettempdir()).glob(f"torchpad-jobs-{contained.proc.pid}-*"))
    assert len(job_dirs) == 1
    contained.stop(signal.SIGKILL)
    time.sleep(1)
    assert _alive(daemon), "the daemon should have survived the server's death (the defect this test covers)"
    contained.start()
    assert _wait_gone([daemon], within=10) == []
    assert not job_dirs[0].exists()  # the dead server's job directories are removed too
    assert contained.wait_final(job)["reason"] == "server restarted"
