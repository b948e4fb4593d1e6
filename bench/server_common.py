"""Shared by the bench/server_*.py scripts: a real `torchpad serve` on a free port, and a websocket client."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

from torchpad.server.wire import free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789"


@contextlib.contextmanager
def running_server(env: dict | None = None):
    """Yields the base URL of a fresh server whose warm worker is ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        proc = subprocess.Popen([sys.executable, "-m", "torchpad", "serve", "--port", str(port), "--data-dir", data,
                                 "--token", TOKEN], cwd=ROOT, env={**os.environ, **(env or {})},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_warm(url)
            yield url
        finally:
            proc.terminate()
            proc.wait(30)


def wait_warm(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.get(url + "/api/info", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=2)
            if r.status_code == 200 and r.json()["executor"].get("warm_ready"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server or warm worker not ready")


AUTH = json.dumps({"v": 1, "type": "auth", "token": TOKEN, "batch": True})  # as the page and the CLI connect


def ws_connect(url: str):
    ws = connect(url.replace("http", "ws") + "/ws", origin=url, open_timeout=30, legacy=True, max_size=None)
    ws.send(AUTH)
    assert json.loads(ws.recv(timeout=30))["type"] == "ready"
    return ws


def events_of(msg: dict) -> list[dict]:
    """The job events one server message carries: an `event`, or a batch of `events`."""
    return [msg["event"]] if msg["type"] == "event" else msg["events"] if msg["type"] == "events" else []
