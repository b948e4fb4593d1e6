"""Client mistakes and hostile requests: a clear 4xx or error message, the connection still
usable, no traceback in the server's log; forged Host headers refused; pipelined requests all
answered."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from .conftest import final_status, stream

DEEP = "[" * 50_000  # overflows a recursive JSON parser


@pytest.fixture(scope="module")
def executor_name() -> str:
    return "local"  # the HTTP and websocket layers' rules; the executor plays no part


@pytest.fixture(scope="module")
def srv(make_server):
    # A tiny websocket queue makes an early 4008 (the pipelining defect) show up at once.
    return make_server(args=["--allow-remote-host", "gpu-box.lan"], env={"TORCHPAD_WS_QUEUE": "8"})


def log_text(srv) -> str:
    return Path(srv.log.name).read_text()


def test_deeply_nested_first_websocket_message_closes_cleanly(srv):
    ws = srv.connect(token=None)
    ws.send(DEEP)
    reply = json.loads(ws.recv(timeout=10))
    assert reply["type"] == "error" and reply["code"] == "unauthorized" and "first message" in reply["message"]
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd.code == 4001 and closed.value.rcvd.reason == "unauthorized"
    assert "Traceback" not in log_text(srv)


def test_deeply_nested_messages_after_auth_get_an_error_and_the_connection_stays(srv):
    ws = srv.connect()
    for raw in (DEEP, '{"v": 1, "type": "submit", "code": "x", "options": ' + "[" * 40 + "]" * 40 + "}"):
        ws.send(raw)
        reply = json.loads(ws.recv(timeout=10))
        assert reply["code"] == "bad_message" and reply["message"] == "message is nested deeper than 32 levels"
    job = srv.submit(ws, "print('still here')")
    assert final_status(stream(ws, job))["state"] == "succeeded"
    ws.close()


@pytest.mark.parametrize("path", ["/api/jobs", "/api/shares"])
def test_deeply_nested_request_bodies_are_400(srv, path):
    r = srv.post(path, content=DEEP.encode())
    assert r.status_code == 400 and r.json() == {"error": "bad_message", "message": "message is nested deeper than 32 levels"}
    assert "Traceback" not in log_text(srv)


@pytest.mark.parametrize("query", ["after=²", "after=9223372036854775808", "after=-1", "after=1e3", "limit=²",
                                   "limit=99999999999999999999999"])
def test_out_of_range_query_integers_are_400(srv, query):
    job = srv.post("/api/jobs", json={"code": "print(1)"}).json()["job"]
    r = srv.get(f"/api/jobs/{job}/events?{query}")
    name = query.split("=")[0]
    assert r.status_code == 400 and r.json() == {
        "error": "bad_message", "message": f"query parameter {name!r} must be an integer from 0 to 9223372036854775807"}
    assert srv.get("/api/jobs?limit=²").status_code == 400
    assert srv.get(f"/api/jobs/{job}/events?after=9223372036854775807").json()["events"] == []
    assert "Traceback" not in log_text(srv)


def test_websocket_after_seq_past_int64_is_an_error_and_the_connection_stays(srv):
    ws = srv.connect()
    job = srv.submit(ws, "print('x')")
    first = stream(ws, job)
    assert final_status(first)["state"] == "succeeded", first
    ws.send(json.dumps({"v": 1, "type": "subscribe", "id": "s", "job": job, "after_seq": 2 ** 63}))
    reply = json.loads(ws.recv(timeout=10))
    assert reply == {"v": 1, "type": "error", "code": "bad_message", "id": "s",
                     "message": "after_seq must be an integer from 0 to 9223372036854775807, got 9223372036854775808"}
    ws.send(json.dumps({"v": 1, "type": "subscribe", "id": "t", "job": job, "after_seq": 0}))
    assert final_status(stream(ws, job))["state"] == "succeeded"
    ws.close()
    assert "Traceback" not in log_text(srv)


def test_head_is_answered_like_get(srv):
    r = httpx.head(srv.url + "/api/jobs", headers=srv.headers())
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert httpx.head(srv.url + "/api/health").status_code == 200


def handshake_status(srv, host: str) -> int:
    """The HTTP status of a websocket handshake with this Host header, and an Origin to match it
    (what a DNS-rebinding page sends); websocket clients set Host from the URL, so this one is by hand."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        return int(s.recv(4096).split(b" ", 2)[1])


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example", "gpu-box.lan.evil.example"])
def test_forged_host_is_refused_on_http_and_websocket(srv, host):
    r = httpx.get(srv.url + "/api/jobs", headers={**srv.headers(), "Host": host})
    assert r.status_code == 400 and r.text == "Invalid host header"
    assert handshake_status(srv, host) == 400


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "gpu-box.lan"])
def test_own_loopback_and_allowed_hosts_are_answered(srv, host):
    netloc = f"{host}:{srv.port}"
    assert httpx.get(srv.url + "/api/health", headers={"Host": netloc}).status_code == 200
    assert handshake_status(srv, netloc) == 101


def test_pipelined_requests_all_get_replies_without_a_4008(srv):
    n = 5000
    ws = srv.connect()
    replies = []

    def read():
        while len(replies) < n:
            replies.append(json.loads(ws.recv(timeout=60)))

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(n):
        ws.send(json.dumps({"v": 1, "type": "cancel", "id": str(i), "job": "no-such-job"}))
    reader.join(120)
    assert [r["id"] for r in replies] == [str(i) for i in range(n)]
    assert {r["code"] for r in replies} == {"unknown_job"}
    ws.send(json.dumps({"v": 1, "type": "cancel", "id": "last", "job": "no-such-job"}))
    assert json.loads(ws.recv(timeout=10))["id"] == "last"  # still open: no 4008
    ws.close()


def test_any_host_still_does_not_make_a_rebinding_origin_our_own(make_server):
    srv = make_server(args=["--allow-remote-host", "*"])  # every Host answered: the Origin check must not trust it
    assert httpx.get(srv.url + "/api/health", headers={"Host": "evil.example"}).status_code == 200
    assert handshake_status(srv, "evil.example") == 403
    assert handshake_status(srv, f"127.0.0.1:{srv.port}") == 101
