"""Store failures never leave a job in a wrong state or lose output silently.

Another process holds the SQLite file locked while a job ends (its output waits in a spill
file, followers and REST still see all of it, submits get 503, the rows reach SQLite once the
lock is gone, and after a kill -9 on the next start); a file-size limit (a full disk) fails
the job with the reason while its followers still get a final status.
"""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import Server, assert_gap_free, final_status, stream, texts

LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""
LINES = 1500
JOB = f"""
import os, time
print("started", flush=True)
while not os.path.exists(GO):
    time.sleep(0.01)
for i in range({LINES}):
    print(f"line {{i}}", flush=True)
"""


def _job(go: Path) -> str:
    return f"GO = {str(go)!r}\n" + JOB


class Locker:
    """Another process holding the database exclusively locked until release()."""

    def __init__(self, db: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        self.proc.communicate("\n", timeout=30)


def _db_rows(db: Path, job: str) -> tuple[str, list[str]]:
    con = sqlite3.connect(db)
    try:
        state = con.execute("SELECT state FROM jobs WHERE id = ?", (job,)).fetchone()[0]
        data = [r[0] for r in con.execute("SELECT data FROM events WHERE job = ? ORDER BY seq", (job,))]
        return state, data
    finally:
        con.close()


def _wait_spill_empty(data_dir: Path, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while list((data_dir / "spill").glob("*.jsonl")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list((data_dir / "spill").glob("*.jsonl")), "the spill file was not written into SQLite"


def _wait_for_log(srv: Server, text: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while text not in Path(srv.log.name).read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert text in Path(srv.log.name).read_text()


def _run_under_lock(srv: Server, go: Path):
    """Start the job, lock the database, let the job print and end: (job id, follower's events, locker)."""
    ws = srv.connect()
    job = srv.submit(ws, _job(go))
    events = stream(ws, job, until=lambda e: e["kind"] == "stdout")
    locker = Locker(srv.data_dir / "torchpad.sqlite3")
    go.touch()
    events += stream(ws, job)
    ws.close()
    return job, events, locker


def test_a_locked_database_keeps_every_line_and_the_final_state(tmp_path):
    srv = Server(tmp_path / "data").start()
    try:
        job, events, locker = _run_under_lock(srv, tmp_path / "go")
        try:
            assert final_status(events)["state"] == "succeeded"
            assert texts(events) == ["started"] + [f"line {i}" for i in range(LINES)]
            # While the lock is held: REST agrees with the follower, cancel is consistent, submits get 503.
            assert srv.get(f"/api/jobs/{job}").json()["state"] == "succeeded"
            stored = srv.get(f"/api/jobs/{job}/events?limit=5000").json()["events"]
            assert_gap_free(stored)
            assert [e["seq"] for e in stored] == [e["seq"] for e in events] and texts(stored) == texts(events)
            cancel = srv.post(f"/api/jobs/{job}/cancel")
            assert cancel.status_code == 409 and cancel.json()["error"] == "job_finished"
            submit = srv.post("/api/jobs", json={"code": "print(1)", "name": "x.py"})
            assert submit.status_code == 503 and submit.json()["error"] == "store_unavailable", submit.text
            assert "locked" in submit.json()["message"]
            assert srv.get("/api/health").status_code == 200
            _wait_for_log(srv, "store: retry 1 of writing waiting events failed (database is locked)")
        finally:
            locker.release()
        _wait_spill_empty(srv.data_dir)
        state, data = _db_rows(srv.data_dir / "torchpad.sqlite3", job)
        assert state == "succeeded" and len(data) == len(events)
        log = Path(srv.log.name).read_text()
        assert "store: could not write job" in log and "SQLite takes writes again" in log
        assert srv.post("/api/jobs", json={"code": "print(1)", "name": "x.py"}).status_code == 201
    finally:
        srv.stop()


def test_a_server_killed_while_the_database_is_locked_replays_the_spill_on_start(tmp_path):
    srv = Server(tmp_path / "data").start()
    job, events, locker = _run_under_lock(srv, tmp_path / "go")
    srv.stop(signal.SIGKILL)
    locker.release()
    srv.start()
    try:
        _wait_spill_empty(srv.data_dir)
        info = srv.get(f"/api/jobs/{job}").json()
        assert info["state"] == "succeeded", info
        stored = srv.get(f"/api/jobs/{job}/events?limit=5000").json()["events"]
        assert_gap_free(stored)
        assert texts(stored) == texts(events) and len(stored) == len(events)
    finally:
        srv.stop()


class FileSizeLimitedServer(Server):
    """A server whose files may not grow past `FSIZE` bytes: a full disk, as SQLite and the spill see it."""

    FSIZE = 2 << 20

    @staticmethod
    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (FileSizeLimitedServer.FSIZE, resource.RLIM_INFINITY))


def test_a_full_disk_fails_the_job_with_the_reason_and_followers_get_it(tmp_path):
    srv = FileSizeLimitedServer(tmp_path / "data").start()
    try:
        ws = srv.connect()
        code = "for i in range(20000):\n    print(f'{i:08d} ' + 'x' * 300, flush=True)\nimport time\ntime.sleep(60)\n"
        job = srv.submit(ws, code)
        events = stream(ws, job, timeout=180)
        ws.close()
        status = final_status(events)
        assert status["state"] == "failed" and "cannot store this job's output" in status["reason"], status
        info = srv.get(f"/api/jobs/{job}").json()
        assert info["state"] == "failed" and info["reason"] == status["reason"]
        assert srv.get("/api/health").status_code == 200
        log = Path(srv.log.name).read_text()
        assert "store: could not write job" in log and "kept in memory only" in log
    finally:
        srv.stop()
