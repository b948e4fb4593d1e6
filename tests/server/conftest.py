"""A real `torchpad serve` in a subprocess on a free loopback port, with its SQLite file in tmp.

Executor-independent tests take the module-scoped `server` fixture, which is parametrized
over EXECUTORS: an executor added to the server (e.g. "ray") joins every such test by
being added to that list. The "ray" servers join one Ray head started once per test
session (`ray_cluster`: 4 CPUs, small object store, no dashboard); `-m "not ray"` skips them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from torchpad.server.wire import free_port

from .ray_cluster import RayCluster, ray_missing
from websockets.sync.client import connect

EXECUTORS = ["local", pytest.param("ray", marks=pytest.mark.ray)]
TOKEN = "test-token-0123456789"
FINAL = ("succeeded", "failed", "cancelled")
ROOT = Path(__file__).resolve().parents[2]


class Server:
    preexec = None  # run in the server's process before it starts (e.g. a resource limit)

    def __init__(self, data_dir: Path, executor: str = "local", args=(), env=None):
        self.data_dir, self.executor, self.args, self.env = data_dir, executor, list(args), dict(env or {})
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self.token = TOKEN
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Server":
        cmd = [sys.executable, "-m", "torchpad", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
               "--token", self.token, "--executor", self.executor, *self.args]
        self.log = open(self.data_dir.parent / f"server-{self.port}-{time.monotonic_ns()}.log", "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **self.env}, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=self.preexec)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {Path(self.log.name).read_text()}")
            try:
                if httpx.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    # -- REST ---------------------------------------------------------------------------
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw) -> httpx.Response:
        return httpx.get(self.url + path, headers=kw.pop("headers", self.headers()), timeout=30, **kw)

    def post(self, path: str, **kw) -> httpx.Response:
        return httpx.post(self.url + path, headers=kw.pop("headers", self.headers()), timeout=30, **kw)

    def events(self, job: str, after: int = 0) -> list[dict]:
        return self.get(f"/api/jobs/{job}/events?after={after}").json()["events"]

    def wait_final(self, job: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.get(f"/api/jobs/{job}").json()
            if info["state"] in FINAL:
                return info
            time.sleep(0.1)
        raise AssertionError(f"job {job} did not finish: {info}")

    # -- websocket ----------------------------------------------------------------------
    def connect(self, origin: str | None = "default", token: str | None = "default", batch: bool = False, **kw):
        """A websocket that has authenticated (and read `ready`) unless token=None; `batch` asks for `events` messages."""
        ws = connect(self.ws_url, origin=self.url if origin == "default" else origin, open_timeout=30, legacy=True, **kw)
        if token is not None:
            auth = {"v": 1, "type": "auth", "token": self.token if token == "default" else token}
            ws.send(json.dumps({**auth, "batch": True} if batch else auth))
            ready = json.loads(ws.recv(timeout=30))
            assert ready["type"] == "ready", ready
        return ws

    def submit(self, ws, code: str, rid: str = "r1", backlog: list | None = None, **options) -> str:
        """Submit and return the job id; other jobs' messages read meanwhile go to `backlog`."""
        ws.send(json.dumps({"v": 1, "type": "submit", "id": rid, "code": code, "name": "test.py", "options": options}))
        while True:
            msg = json.loads(ws.recv(timeout=30))
            if msg["type"] == "accepted" and msg["id"] == rid:
                return msg["job"]
            assert msg["type"] == "event", msg
            if backlog is not None:
                backlog.append(msg)


def stream(ws, job: str, until=None, timeout: float = 120) -> list[dict]:
    """Events of `job` from the websocket until a final status (or until(event) is true)."""
    events = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if msg["type"] in ("event", "events") and msg["job"] == job:
            for ev in msg["events"] if msg["type"] == "events" else [msg["event"]]:
                events.append(ev)
                if (until and until(ev)) or (until is None and ev["kind"] == "status" and ev["state"] in FINAL):
                    return events
    raise AssertionError(f"timed out; got {events[-5:]}")


# A line a job prints to name its processes: `print(PIDS, os.getpid(), ...)` (needs `import os`), read back with seen_pids.
PIDS = "'pids', os.readlink('/proc/self/ns/pid')"


def seen_pids(line: str, gone_ok: bool = False) -> list[int]:
    """The pids of a `pids <pid namespace> <pid>...` line as this test sees them: a job in a PID namespace
    of its own (pidns containment) knows only that namespace's numbers (found here through NSpid).
    With `gone_ok`, a process that no longer exists is left out instead of failing the test."""
    _, ns, *pids = line.split()
    if os.readlink("/proc/self/ns/pid") == ns:
        return [int(p) for p in pids]
    found = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") == ns:
                with open(f"/proc/{entry}/status") as f:
                    inner = next(line.split()[-1] for line in f if line.startswith("NSpid:"))
                found[inner] = int(entry)
        except (OSError, StopIteration):
            continue
    assert gone_ok or all(p in found for p in pids), f"no process {pids} in {ns}: {found}"
    return [found[p] for p in pids if p in found]


def final_status(events: list[dict]) -> dict:
    return [e for e in events if e["kind"] == "status"][-1]


def texts(events: list[dict], kind: str = "stdout") -> list[str]:
    return [e["text"] for e in events if e["kind"] == kind]


def assert_gap_free(events: list[dict]) -> None:
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """One Ray head for the whole session, started only when a "ray" test runs."""
    if ray_missing():
        pytest.skip(ray_missing())
    cluster = RayCluster(tmp_path_factory.mktemp("ray")).start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module", params=EXECUTORS)
def executor_name(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def executor_env(executor_name, request) -> dict:
    """Environment a server needs for its executor: the Ray head to join for "ray"."""
    return request.getfixturevalue("ray_cluster").server_env() if executor_name == "ray" else {}


@pytest.fixture(scope="module")
def server(executor_name, executor_env, tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("server") / "data", executor_name, env=executor_env).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def make_server(executor_name, executor_env, tmp_path_factory):
    """Servers with their own flags/env for one module; all stopped at the end."""
    started = []

    def make(args=(), env=None, data_dir=None) -> Server:
        srv = Server(data_dir or tmp_path_factory.mktemp("server") / "data", executor_name, args,
                     {**executor_env, **(env or {})}).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
