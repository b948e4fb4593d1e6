"""Spare runners: one ready and one starting by default, and a job cancelled while it waits
for one (still queued) leaves that runner a spare instead of leaking it."""

from __future__ import annotations

import os
import time

from .conftest import Server


def runner_children(server_pid: int) -> list[int]:
    """The server's runner processes (spares and job processes)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if int(fields[1]) == server_pid and fields[0] != "Z" and b"torchpad.server.runner" in cmdline:
            out.append(int(entry))
    return out


def wait_spares_ready(srv: Server, n: int, within: float = 180) -> dict:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        spares = srv.get("/api/info").json()["executor"]["spares"]
        if spares == {"ready": n, "starting": 0}:
            return spares
        time.sleep(0.1)
    raise AssertionError(f"spares did not settle: {spares}")


def test_cancelling_jobs_that_wait_for_a_runner_leaks_none(tmp_path):
    srv = Server(tmp_path / "data").start()  # its spares are still importing torch
    try:
        jobs = []
        for _ in range(4):
            job = srv.post("/api/jobs", json={"code": "print('never')", "name": "x.py"}).json()["job"]
            srv.post(f"/api/jobs/{job}/cancel")
            jobs.append(job)
        for job in jobs:
            assert srv.wait_final(job)["state"] == "cancelled"
        wait_spares_ready(srv, 2)
        assert len(runner_children(srv.proc.pid)) == 2
        # The spares serve jobs: a run takes one, and a new one starts after it.
        job = srv.post("/api/jobs", json={"code": "print('ran')", "name": "x.py"}).json()["job"]
        assert srv.wait_final(job)["state"] == "succeeded"
        wait_spares_ready(srv, 2)
        assert len(runner_children(srv.proc.pid)) == 2
    finally:
        srv.stop()


def test_the_number_of_spares_is_configurable(tmp_path):
    srv = Server(tmp_path / "data", env={"TORCHPAD_WARM_RUNNERS": "1"}).start()
    try:
        wait_spares_ready(srv, 1)
        assert len(runner_children(srv.proc.pid)) == 1
    finally:
        srv.stop()
