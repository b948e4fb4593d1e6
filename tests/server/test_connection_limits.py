"""Connections cannot be hoarded without a token: slow or silent requests are closed after the
request timeout, idle sockets beyond the cap make room for new ones, and websockets still owing
their auth message are capped."""

from __future__ import annotations

import json
import resource
import socket

import httpx
import pytest
from websockets.exceptions import InvalidStatus


def open_socket(srv, data: bytes = b"") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    if data:
        s.sendall(data)
    return s


def closed_by_server(s: socket.socket) -> bool:
    """True when the server closes the socket (EOF or reset) before the 30 s socket timeout."""
    try:
        while chunk := s.recv(4096):
            pass  # a late answer (e.g. 400) may come first; what matters is the close
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    finally:
        s.close()


@pytest.fixture(scope="module")
def executor_name() -> str:
    return "local"  # connections are the HTTP layer's; the executor plays no part


@pytest.fixture(scope="module")
def quick(make_server):
    return make_server(env={"TORCHPAD_REQUEST_TIMEOUT_S": "1", "TORCHPAD_KEEP_ALIVE_S": "1"})


@pytest.mark.parametrize("data", [
    b"",                                                                     # connects and says nothing
    b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n",                      # headers never finished
    b"POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"code\"",  # body never finished
], ids=["silent", "partial-headers", "partial-body"])
def test_slow_requests_are_closed_after_the_request_timeout(quick, data):
    assert closed_by_server(open_socket(quick, data))


def test_idle_keep_alive_connection_is_closed(quick):
    s = open_socket(quick, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 200")
    assert closed_by_server(s)


def test_a_complete_request_is_not_cut_by_the_request_timeout(quick):
    job = quick.post("/api/jobs", json={"code": "import time\ntime.sleep(2)\nprint('done')"}).json()["job"]
    assert quick.wait_final(job)["state"] == "succeeded"  # REST polling over keep-alive connections still works


@pytest.fixture(scope="module")
def capped(make_server):
    return make_server(env={"TORCHPAD_REQUEST_TIMEOUT_S": "600", "TORCHPAD_MAX_CONNECTIONS": "40",
                            "TORCHPAD_MAX_UNAUTHENTICATED": "5"})


def test_health_answers_while_many_idle_sockets_are_held(capped):
    hoard = [open_socket(capped, b"GET /api/health HTTP/1.1\r\nHost: 127") for _ in range(120)]
    try:
        for _ in range(3):
            assert httpx.get(capped.url + "/api/health", timeout=30).json() == {"ok": True}
        r = capped.post("/api/jobs", json={"code": "print('still serving')"})
        assert r.status_code == 201 and capped.wait_final(r.json()["job"])["state"] == "succeeded"
        assert sum(closed_by_server(s) for s in hoard[:60]) == 60  # the oldest made room
    finally:
        for s in hoard:
            s.close()


def test_idle_sockets_cannot_exhaust_a_low_open_file_limit(make_server):
    srv = make_server(env={"TORCHPAD_REQUEST_TIMEOUT_S": "600", "TORCHPAD_MAX_CONNECTIONS": "100"})
    resource.prlimit(srv.proc.pid, resource.RLIMIT_NOFILE, (256, 256))  # as under a small LimitNOFILE
    hoard = [open_socket(srv, b"GET /api/health HTTP/1.1\r\nHost: 127") for _ in range(400)]
    try:
        assert httpx.get(srv.url + "/api/health", timeout=30).json() == {"ok": True}
        r = srv.post("/api/jobs", json={"code": "print('room for a job too')"})
        assert r.status_code == 201 and srv.wait_final(r.json()["job"])["state"] == "succeeded"
    finally:
        for s in hoard:
            s.close()


def test_websockets_owing_their_auth_are_capped(capped):
    waiting = [capped.connect(token=None) for _ in range(5)]
    with pytest.raises(InvalidStatus) as refused:
        capped.connect(token=None)
    assert refused.value.response.status_code == 503
    assert json.loads(refused.value.response.body)["error"] == "busy"
    waiting[0].send(json.dumps({"v": 1, "type": "auth", "token": capped.token}))
    assert json.loads(waiting[0].recv(timeout=10))["type"] == "ready"  # authenticated: no longer counted
    ws = capped.connect()
    ws.close()
    for w in waiting:
        w.close()
