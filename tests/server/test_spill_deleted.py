"""A job deleted while its events wait in a spill file (spill.py) leaves no orphan rows.

The spill's rows reach SQLite only where the job's row still exists; these tests delete the
job before the replay (while the server is down, as another process or an older server's
retention would), right after a restart that replays (either may come first), and through
the API while SQLite is still locked (503, the job kept) and once it is free again.
"""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import httpx

from .conftest import Server
from .test_store_failures import _run_under_lock, _wait_spill_empty


def _delete(srv: Server, path: str) -> httpx.Response:
    return httpx.delete(srv.url + path, headers=srv.headers(), timeout=30)


def _rows_of(db: Path, job: str) -> dict:
    con = sqlite3.connect(db)
    try:
        return {table: con.execute(f"SELECT COUNT(*) FROM {table} WHERE {col} = ?", (job,)).fetchone()[0]
                for table, col in (("jobs", "id"), ("events", "job"), ("job_files", "job"))}
    finally:
        con.close()


def _orphans(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM events WHERE job NOT IN (SELECT id FROM jobs)").fetchone()[0]
    finally:
        con.close()


def _spilled_killed_and_unlocked(tmp_path) -> tuple[Server, str]:
    """A server killed -9 while its finished job's events wait in the spill file; the lock released after."""
    srv = Server(tmp_path / "data").start()
    job, _, locker = _run_under_lock(srv, tmp_path / "go")
    srv.stop(signal.SIGKILL)
    locker.release()
    assert (srv.data_dir / "spill" / f"{job}.jsonl").exists()
    return srv, job


def test_a_job_deleted_before_its_spill_is_replayed_gets_no_rows_back(tmp_path):
    srv, job = _spilled_killed_and_unlocked(tmp_path)
    db = srv.data_dir / "torchpad.sqlite3"
    con = sqlite3.connect(db)
    with con:  # deleted while the server is down (another process, retention of a later run)
        con.execute("DELETE FROM jobs WHERE id = ?", (job,))
        con.execute("DELETE FROM events WHERE job = ?", (job,))
    con.close()
    srv.start()
    try:
        _wait_spill_empty(srv.data_dir)
        assert srv.get(f"/api/jobs/{job}").status_code == 404
        assert job not in [j["id"] for j in srv.get("/api/jobs").json()["jobs"]]
    finally:
        srv.stop()
    assert _rows_of(db, job) == {"jobs": 0, "events": 0, "job_files": 0} and _orphans(db) == 0


def test_a_job_deleted_through_the_api_as_its_spill_replays_leaves_nothing(tmp_path):
    srv, job = _spilled_killed_and_unlocked(tmp_path)
    srv.start()
    try:
        deleted = _delete(srv, f"/api/jobs/{job}")  # at once: the replay may run before or after it
        assert deleted.status_code == 204, deleted.text
        _wait_spill_empty(srv.data_dir)
        assert srv.get(f"/api/jobs/{job}").status_code == 404
        assert srv.get(f"/api/jobs/{job}/events").status_code == 404
    finally:
        srv.stop()
    db = srv.data_dir / "torchpad.sqlite3"
    assert _rows_of(db, job) == {"jobs": 0, "events": 0, "job_files": 0} and _orphans(db) == 0


def test_deleting_a_job_while_the_database_is_locked_answers_503_and_keeps_it(tmp_path):
    srv = Server(tmp_path / "data").start()
    try:
        job, events, locker = _run_under_lock(srv, tmp_path / "go")
        try:
            refused = _delete(srv, f"/api/jobs/{job}")
            assert refused.status_code == 503 and refused.json()["error"] == "store_unavailable", refused.text
            assert srv.get(f"/api/jobs/{job}").json()["state"] == "succeeded"
        finally:
            locker.release()
        _wait_spill_empty(srv.data_dir)
        db = srv.data_dir / "torchpad.sqlite3"
        assert _rows_of(db, job)["events"] == len(events)  # kept whole by the refused delete
        assert _delete(srv, f"/api/jobs/{job}").status_code == 204
        assert srv.get(f"/api/jobs/{job}").status_code == 404
    finally:
        srv.stop()
    assert _rows_of(db, job) == {"jobs": 0, "events": 0, "job_files": 0} and _orphans(db) == 0


def test_events_left_by_a_deletion_cut_short_are_swept_at_start(tmp_path):
    srv = Server(tmp_path / "data").start()
    try:
        kept = srv.post("/api/jobs", json={"code": "print('kept')", "name": "k.py"}).json()["job"]
        srv.wait_final(kept)
    finally:
        srv.stop()
    db = srv.data_dir / "torchpad.sqlite3"
    con = sqlite3.connect(db)
    with con:  # a job row deleted, its events not (the database was locked half-way)
        con.executemany("INSERT INTO events (job, seq, data) VALUES ('gone', ?, '{}')", [(i,) for i in range(1, 12001)])
    con.close()
    srv.start()
    try:
        assert srv.get(f"/api/jobs/{kept}").json()["state"] == "succeeded"
    finally:
        srv.stop()
    assert _orphans(db) == 0 and _rows_of(db, kept)["events"] > 0
    assert "deleted the events of 1 job(s) whose deletion had been cut short" in Path(srv.log.name).read_text()
