"""Every security rule: tokens (wrong, missing, in URLs), websocket Origin, size limits, queue limit."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from .conftest import final_status, stream

OTHER_ORIGIN = "https://pad.example.com"


@pytest.fixture(scope="module")
def srv(make_server):
    # One CPU slot and one queued job allowed, so the queue limit is reachable.
    return make_server(args=["--allow-origin", OTHER_ORIGIN, "--max-queued", "1"], env={"TORCHPAD_CPU_SLOTS": "1"})


@pytest.mark.parametrize("path", ["/api/info", "/api/jobs", "/api/jobs/x", "/api/jobs/x/events"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}])
def test_rest_refuses_missing_or_wrong_token(srv, path, headers):
    r = srv.get(path, headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


def test_rest_refuses_token_in_url_even_when_right(srv):
    for param in ("token", "access_token"):
        r = srv.get(f"/api/info?{param}={srv.token}", headers={})
        assert r.status_code == 401 and "URL" in r.json()["message"]
        r = srv.get(f"/api/info?{param}={srv.token}")  # the header alone would pass; the URL token still refuses
        assert r.status_code == 401


def test_open_endpoints_need_no_token(srv):
    assert httpx.get(srv.url + "/api/health").json() == {"ok": True}
    assert "pyodide_index" in httpx.get(srv.url + "/api/config").json()
    assert srv.post("/api/jobs/x/cancel", headers={}).status_code == 401


def test_websocket_wrong_or_missing_auth_is_refused(srv):
    for first in ({"v": 1, "type": "auth", "token": "wrong"}, {"v": 1, "type": "auth"},
                  {"v": 1, "type": "submit", "code": "print(1)"}):
        ws = srv.connect(token=None)
        ws.send(json.dumps(first))
        reply = json.loads(ws.recv(timeout=10))
        assert reply["type"] == "error" and reply["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd.code == 4001


def test_websocket_token_in_url_is_refused(srv):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{srv.ws_url}?token={srv.token}", origin=srv.url, open_timeout=10, legacy=True)
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("origin", [None, "http://evil.example", OTHER_ORIGIN + ".evil.com", "http://127.0.0.1"])
def test_websocket_foreign_or_missing_origin_is_refused(srv, origin):
    with pytest.raises(InvalidStatus) as refused:
        srv.connect(origin=origin)
    assert refused.value.response.status_code == 403


def test_websocket_allowed_other_origin_and_cors(srv):
    ws = srv.connect(origin=OTHER_ORIGIN)  # reads `ready`
    ws.close()
    pre = httpx.options(srv.url + "/api/jobs", headers={"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "POST",
                                                        "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == OTHER_ORIGIN
    evil = httpx.options(srv.url + "/api/jobs", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in evil.headers


def test_oversize_code_and_messages_get_clear_errors_and_the_connection_survives(srv):
    ws = srv.connect()
    ws.send(json.dumps({"v": 1, "type": "submit", "id": "big", "code": "#" * (256 * 1024 + 1)}))
    reply = json.loads(ws.recv(timeout=10))
    assert reply == {**reply, "type": "error", "code": "too_large", "id": "big"} and "262144" in reply["message"]
    ws.send(json.dumps({"v": 1, "type": "submit", "id": "huge", "code": "x", "pad": "#" * (1024 * 1024)}))
    reply = json.loads(ws.recv(timeout=10))
    assert reply["type"] == "error" and reply["code"] == "too_large" and "1048576" in reply["message"]
    ws.send(json.dumps({"v": 1, "type": "subscribe", "job": "no-such-job", "id": "s"}))
    assert json.loads(ws.recv(timeout=10)) == {"v": 1, "type": "error", "code": "unknown_job",
                                                "message": "no job with id 'no-such-job'", "id": "s"}
    job = srv.submit(ws, "print('ok')")
    assert final_status(stream(ws, job))["state"] == "succeeded"
    ws.close()
    r = srv.post("/api/jobs", json={"code": "#" * (256 * 1024 + 1)})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    r = srv.post("/api/jobs", content=b"{" + b" " * (1024 * 1024 + 1) + b"}")
    assert r.status_code == 413
    r = srv.post("/api/jobs", content=b"not json")
    assert r.status_code == 400 and r.json()["error"] == "bad_message"


def test_queue_limit(srv):
    ws = srv.connect()
    running = srv.submit(ws, "import time\ntime.sleep(300)", rid="a")
    stream(ws, running, until=lambda e: e.get("state") == "running")
    queued = srv.submit(ws, "print('second')", rid="b")
    ws.send(json.dumps({"v": 1, "type": "submit", "id": "c", "code": "print('third')"}))
    while True:
        msg = json.loads(ws.recv(timeout=30))
        if msg["type"] == "error":
            break
    assert msg["code"] == "queue_full" and msg["id"] == "c"
    assert srv.post("/api/jobs", json={"code": "print(1)"}).status_code == 429
    ws.send(json.dumps({"v": 1, "type": "cancel", "job": running}))
    ws.send(json.dumps({"v": 1, "type": "cancel", "job": queued}))
    assert srv.wait_final(queued)["state"] in ("cancelled", "succeeded")
    assert srv.wait_final(running)["state"] == "cancelled"
    ws.close()
