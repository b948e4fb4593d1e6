"""Retention: DELETE for jobs and share links, and the age and size limits applied at start and
by the periodic sweep (tiny limits so the test sees them act)."""

from __future__ import annotations

import time

import httpx
import pytest

from .conftest import Server


def wait_until(check, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def delete(srv: Server, path: str, **kw) -> httpx.Response:
    return httpx.delete(srv.url + path, headers=kw.pop("headers", srv.headers()), timeout=30, **kw)


def run_job(srv: Server, code: str) -> str:
    job = srv.post("/api/jobs", json={"code": code}).json()["job"]
    assert srv.wait_final(job)["state"] == "succeeded"
    return job


@pytest.fixture(scope="module")
def executor_name() -> str:
    return "local"  # retention works on the store; the executor plays no part


@pytest.fixture(scope="module")
def srv(make_server):
    return make_server()


def test_delete_a_finished_job_and_its_events(srv):
    job = run_job(srv, "for i in range(12000):\n    print(i)")  # more events than one deletion chunk
    assert delete(srv, f"/api/jobs/{job}", headers={}).status_code == 401
    assert delete(srv, f"/api/jobs/{job}").status_code == 204
    for path in (f"/api/jobs/{job}", f"/api/jobs/{job}/events"):
        r = srv.get(path)
        assert r.status_code == 404 and r.json()["error"] == "unknown_job"
    assert job not in [j["id"] for j in srv.get("/api/jobs").json()["jobs"]]
    assert delete(srv, f"/api/jobs/{job}").status_code == 404


def test_a_running_job_cannot_be_deleted(srv):
    job = srv.post("/api/jobs", json={"code": "import time\nprint('up', flush=True)\ntime.sleep(300)"}).json()["job"]
    assert wait_until(lambda: srv.get(f"/api/jobs/{job}").json()["state"] == "running")
    r = delete(srv, f"/api/jobs/{job}")
    assert r.status_code == 409 and r.json()["error"] == "job_running" and "cancel it" in r.json()["message"]
    srv.post(f"/api/jobs/{job}/cancel")
    assert srv.wait_final(job)["state"] == "cancelled"
    assert delete(srv, f"/api/jobs/{job}").status_code == 204


def test_delete_a_share_link(srv):
    share = srv.post("/api/shares", json={"payload": "hello"}).json()["id"]
    assert delete(srv, f"/api/shares/{share}", headers={}).status_code == 401
    assert delete(srv, f"/api/shares/{share}").status_code == 204
    assert httpx.get(f"{srv.url}/api/shares/{share}").status_code == 404
    assert delete(srv, f"/api/shares/{share}").status_code == 404


def test_old_jobs_and_shares_are_deleted_at_start(make_server, tmp_path):
    data = tmp_path / "data"
    first = make_server(data_dir=data)
    job = run_job(first, "print('old')")
    share = first.post("/api/shares", json={"payload": "old"}).json()["id"]
    first.stop()
    time.sleep(2)  # both are now older than the limits below (1 s)
    second = make_server(args=["--keep-jobs-days", str(1 / 86400), "--keep-shares-days", str(1 / 86400)],
                         env={"TORCHPAD_RETENTION_SWEEP_S": "0"}, data_dir=data)  # no periodic sweep: only the one at start
    assert second.get(f"/api/jobs/{job}").status_code == 404
    assert httpx.get(f"{second.url}/api/shares/{share}").status_code == 404
    fresh = run_job(second, "print('fresh')")
    assert second.get(f"/api/jobs/{fresh}").status_code == 200


def test_the_sweep_deletes_old_jobs_while_running(make_server):
    srv = make_server(args=["--keep-jobs-days", str(2 / 86400)], env={"TORCHPAD_RETENTION_SWEEP_S": "0.5"})
    job = run_job(srv, "print('soon gone')")
    assert wait_until(lambda: srv.get(f"/api/jobs/{job}").status_code == 404)


def test_the_data_cap_deletes_the_oldest_jobs_and_shares_first(make_server):
    srv = make_server(args=["--max-data-gb", str(300e3 / 1e9), "--keep-jobs-days", "0"],
                      env={"TORCHPAD_RETENTION_SWEEP_S": "0.5"})
    share = srv.post("/api/shares", json={"payload": "s" * 100_000}).json()["id"]  # older than every job
    lines = "for i in range(1000):\n    print(str(i) * 30)"  # about 100 KB of stored events each
    jobs = [run_job(srv, lines) for _ in range(4)]
    assert wait_until(lambda: srv.get(f"/api/jobs/{jobs[0]}").status_code == 404)
    assert httpx.get(f"{srv.url}/api/shares/{share}").status_code == 404  # the oldest went first
    assert srv.get(f"/api/jobs/{jobs[-1]}").status_code == 200  # the newest stays
    kept = [j for j in jobs if srv.get(f"/api/jobs/{j}").status_code == 200]
    assert kept == jobs[len(jobs) - len(kept):]  # whatever went, went oldest first
