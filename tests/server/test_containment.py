"""No process of a job outlives it: a double-forked, setsid'd daemon that closed its fds ends
with the job, at the job's wall-time limit, and (with cgroups or a PID namespace) after a server
kill -9 (+ restart). Each kind of containment this machine allows is tested."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from .conftest import Server, texts
from .test_jobs import _alive, _wait_gone

MODES = ["cgroup", "pidns", "pgroup"]
# The daemon execs a Python whose command line carries a marker: in a PID namespace its own
# os.getpid() is not the pid this test sees, so the test finds it by the marker.
SLEEPER = "import os, sys, time; open(sys.argv[1] + '.tmp', 'w').close(); os.rename(sys.argv[1] + '.tmp', sys.argv[1]); time.sleep(300)"


def daemon_code(pid_file, then: str = "") -> str:
    return f"""
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.closerange(0, 4096)
        os.execv(sys.executable, [sys.executable, "-c", {SLEEPER!r}, {str(pid_file)!r}])
    os._exit(0)
while not os.path.exists({str(pid_file)!r}):
    time.sleep(0.01)
print("daemon started", flush=True)
{then}
"""


@pytest.fixture(params=MODES)
def contained(request, tmp_path):
    from torchpad.server.containment import cgroup2_root
    from torchpad.server.jobns import probe

    if request.param == "cgroup" and cgroup2_root() is None:
        pytest.skip("no writable cgroup v2 directory on this machine")
    if request.param == "pidns" and (why := probe(["--pid-namespace"])) is not None:
        pytest.skip(f"this user cannot give a job a PID namespace here: {why}")
    srv = Server(tmp_path / "data", "local", env={"TORCHPAD_JOB_CONTAINMENT": request.param}).start()
    assert srv.get("/api/info").json()["executor"]["containment"] == request.param
    yield srv
    srv.stop()


def _daemon_pid(pid_file) -> int:
    """The daemon's pid as this test sees it: the process whose command line names `pid_file`."""
    marker = str(pid_file).encode()
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if entry.isdigit() and f.read().split(b"\0")[-2:-1] == [marker]:
                    found.append(int(entry))
        except OSError:
            pass
    assert len(found) == 1, found
    return found[0]


def _wait_for(path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_daemon_ends_with_its_job(contained, tmp_path):
    pid_file, go = tmp_path / "daemon.pid", tmp_path / "go"
    code = daemon_code(pid_file, f"while not os.path.exists({str(go)!r}):\n    time.sleep(0.01)")
    job = contained.post("/api/jobs", json={"code": code, "name": "d.py"}).json()["job"]
    _wait_for(pid_file)
    daemon = _daemon_pid(pid_file)
    go.touch()  # the job ends now, its daemon still running
    assert contained.wait_final(job)["state"] == "succeeded"
    assert _wait_gone([daemon], within=10) == [], "the daemon outlived its job"


def test_a_daemon_ends_at_the_wall_time_limit(contained, tmp_path):
    pid_file = tmp_path / "daemon.pid"
    code = daemon_code(pid_file, "time.sleep(300)")
    job = contained.post("/api/jobs", json={"code": code, "name": "d.py", "options": {"timeout_s": 3}}).json()["job"]
    _wait_for(pid_file)
    daemon = _daemon_pid(pid_file)
    info = contained.wait_final(job)
    assert info["state"] == "failed" and "timed out" in info["reason"]
    assert _wait_gone([daemon], within=10) == []


def test_a_daemon_is_ended_when_its_server_restarts_after_a_kill_9(contained, tmp_path):
    mode = contained.env["TORCHPAD_JOB_CONTAINMENT"]
    if mode == "pgroup":
        pytest.skip("process groups cannot find a setsid'd daemon once its runner died with the server; "
                    "cgroups and PID namespaces can (tested in those modes)")
    pid_file = tmp_path / "daemon.pid"
    job = contained.post("/api/jobs", json={"code": daemon_code(pid_file, "time.sleep(300)"), "name": "d.py"}).json()["job"]
    _wait_for(pid_file)
    daemon = _daemon_pid(pid_file)
    job_dirs = list(Path(tempfile.gettempdir()).glob(f"torchpad-jobs-{contained.proc.pid}-*"))
    assert len(job_dirs) == 1
    contained.stop(signal.SIGKILL)
    if mode == "pidns":  # the namespace's init dies with the server, and the kernel ends the rest at once
        assert _wait_gone([daemon], within=10) == []
    else:
        time.sleep(1)
        assert _alive(daemon), "the daemon should have survived the server's death (the defect this test covers)"
    contained.start()
    assert _wait_gone([daemon], within=10) == []
    assert not job_dirs[0].exists()  # the dead server's job directories are removed too
    assert contained.wait_final(job)["reason"] == "server restarted"


def test_how_a_job_died_reads_the_same_in_each_mode(contained):
    """In a PID namespace the server's child is the process outside it: it must end as the job process did."""
    from .test_job_death import DEATHS, PRINT_5

    for death in ("kill -9", "segfault", "_exit(3)"):
        code, words = DEATHS[death]
        job = contained.post("/api/jobs", json={"code": PRINT_5 + code + "\n", "name": "d.py"}).json()["job"]
        info = contained.wait_final(job)
        assert info["state"] == "failed" and words in info["reason"], (death, info)
        assert texts(contained.events(job)) == ["0", "1", "2", "3", "4"]
