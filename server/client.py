"""`torchpad submit SCRIPT.py --server URL`: run a script on a TorchPad server from a terminal.

Streams the job's stdout/stderr as it runs, with a live table of the latest metrics
(rich) when the terminal is interactive. Ctrl+C cancels the job (a second Ctrl+C leaves
at once). A dropped connection, or the server's 4008 "too slow", is resumed from the last
seq seen, so no line is lost or repeated. `--file` sends files into the job's working
directory (over REST, then the job is followed over the websocket); `--download DIR` saves
the files the job wrote once it has ended. Exit status: 0 succeeded, 1 failed,
130 cancelled, 2 usage or connection errors.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

EXIT = {"succeeded": 0, "failed": 1, "cancelled": 130}
FINAL = tuple(EXIT)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="torchpad submit", description="Run a script on a TorchPad server and stream its output.")
    p.add_argument("script", type=Path, help="the Python file to run (it runs as main.py)")
    p.add_argument("--server", default=os.environ.get("TORCHPAD_SERVER", "http://127.0.0.1:8000"),
                   help="server URL (TORCHPAD_SERVER, default http://127.0.0.1:8000)")
    p.add_argument("--token", default=os.environ.get("TORCHPAD_TOKEN"), help="access token (TORCHPAD_TOKEN)")
    p.add_argument("--gpus", type=int, default=1, help="GPUs (or gloo processes on a CPU host) for the job; default 1")
    p.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto", help="where to run; default auto")
    p.add_argument("--timeout", type=float, default=None, help="job wall-time limit in seconds (the server may cap it)")
    p.add_argument("--file", action="append", type=Path, default=[], metavar="PATH",
                   help="a file for the job's working directory, read there by its name (repeat for more)")
    p.add_argument("--download", type=Path, default=None, metavar="DIR",
                   help="once the job has ended, save the files it wrote in its working directory into DIR")
    return p


def base_url(server: str) -> str:
    """http(s)://host:port[/prefix], for the REST routes."""
    parts = urlsplit(server if "://" in server else f"http://{server}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def endpoints(server: str) -> tuple[str, str]:
    """http(s)://host:port[/prefix] -> (ws(s)://.../ws, the origin to present)."""
    parts = urlsplit(server if "://" in server else f"http://{server}")
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"--server must be an http:// or https:// URL, got {server!r}")
    ws_scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{ws_scheme}://{parts.netloc}{parts.path.rstrip('/')}/ws", f"{parts.scheme}://{parts.netloc}"


class Display:
    """Lines to the terminal; a live metrics table when stdout is a terminal."""

    def __init__(self):
        from rich.console import Console

        self.out, self.err = Console(soft_wrap=True, highlight=False), Console(stderr=True, soft_wrap=True, highlight=False)
        self.metrics: dict[str, tuple[int, object]] = {}
        self.live = None
        if self.out.is_terminal:
            from rich.live import Live

            self.live = Live(self._table(), console=self.out, refresh_per_second=4, transient=False)
            self.live.start()

    def _table(self):
        from rich.table import Table

        table = Table(title="metrics", show_edge=False)
        for col in ("name", "step", "value"):
            table.add_column(col)
        for name, (step, value) in self.metrics.items():
            table.add_row(name, str(step), f"{value:.6g}" if isinstance(value, float) else str(value))
        return table

    def line(self, text: str, stderr: bool = False) -> None:
        if self.live is None:  # plain streams: exact text, flushed per line
            stream = sys.stderr if stderr else sys.stdout
            stream.write(text + "\n")
            stream.flush()
        else:
            (self.err if stderr else self.out).print(text, markup=False, emoji=False)

    def metric(self, step: int, values: dict) -> None:
        for name, value in values.items():
            self.metrics[name] = (step, value)
        if self.live is not None:
            self.live.update(self._table())

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
        elif self.metrics:
            summary = ", ".join(f"{n}={v:.6g}" if isinstance(v, float) else f"{n}={v}" for n, (_, v) in self.metrics.items())
            self.line(f"[torchpad] last metrics: {summary}", stderr=True)


class Submitter:
    def __init__(self, args, code: str):
        self.args, self.code = args, code
        self.ws_url, self.origin = endpoints(args.server)
        self.job: str | None = None
        self.last_seq = 0
        self.state: str | None = None
        self.ws = None
        self.cancel_requested = False
        self.files = [(path.name, path.read_bytes()) for path in args.file]  # a missing file fails before anything starts
        self.display = Display()

    async def _connect(self):
        import websockets

        ws = await websockets.connect(self.ws_url, origin=self.origin, max_size=8 * 1024 * 1024)
        await ws.send(json.dumps({"v": 1, "type": "auth", "token": self.args.token or "", "batch": True}))
        reply = json.loads(await ws.recv())
        if reply.get("type") != "ready":
            raise PermissionError(reply.get("message", "the server refused the connection"))
        return ws

    def on_sigint(self) -> None:
        if self.cancel_requested or self.job is None or self.ws is None:
            self.display.close()
            os._exit(130)  # nothing to cancel yet, or the user insists: leave now
        self.cancel_requested = True
        self.display.line("[torchpad] cancelling the job (Ctrl+C again to leave without waiting)", stderr=True)
        asyncio.ensure_future(self.ws.send(json.dumps({"v": 1, "type": "cancel", "job": self.job})))

    def handle(self, msg: dict) -> None:
        kind_ = msg.get("type")
        if kind_ == "accepted":
            self.job = msg["job"]
            self.display.line(f"[torchpad] job {self.job} accepted", stderr=True)
        elif kind_ == "error":
            if self.job is None:
                raise RuntimeError(f"{msg.get('code')}: {msg.get('message')}")
            self.display.line(f"[torchpad] server: {msg.get('message')}", stderr=True)
        elif kind_ in ("event", "events") and msg.get("job") == self.job:
            for event in msg["events"] if kind_ == "events" else [msg["event"]]:
                self.show(event)

    def show(self, event: dict) -> None:
        """One job event on the terminal (each seq once, even across a reconnect)."""
        if event["seq"] <= self.last_seq:
            return
        self.last_seq = event["seq"]
        k = event["kind"]
        if k in ("stdout", "stderr"):
            self.display.line(event["text"], stderr=k == "stderr")
        elif k == "metric":
            self.display.metric(event["step"], event["values"])
        elif k == "error":
            self.display.line(event["traceback"], stderr=True)
        elif k == "files":
            listed = ", ".join(f"{f['name']} ({f['size']} bytes{'; ' + f['note'] if f.get('note') else ''})" for f in event["files"])
            self.display.line(f"[torchpad] files the job wrote: {listed}", stderr=True)
        elif k == "status":
            self.state = event["state"]
            if self.state in ("running", *FINAL):
                where = f" on {event['device']}" if event.get("device") else ""
                reason = f": {event['reason']}" if event.get("reason") else ""
                self.display.line(f"[torchpad] {self.state}{where}{reason}", stderr=True)

    async def run(self) -> int:
        from websockets.exceptions import ConnectionClosed

        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self.on_sigint)
        options = {"device": self.args.device, "gpus": self.args.gpus}
        if self.args.timeout:
            options["timeout_s"] = self.args.timeout
        retries = 0
        try:
            while self.state not in FINAL:
                try:
                    self.ws = await self._connect()
                    if self.job is None and self.files:
                        self.job = await asyncio.to_thread(self._submit_with_files, options)
                        self.display.line(f"[torchpad] job {self.job} accepted", stderr=True)
                    if self.job is None:
                        await self.ws.send(json.dumps({"v": 1, "type": "submit", "id": "cli", "code": self.code,
                                                       "name": self.args.script.name, "options": options}))
                    else:
                        await self.ws.send(json.dumps({"v": 1, "type": "subscribe", "job": self.job,
                                                       "after_seq": self.last_seq}))
                    async for raw in self.ws:
                        retries = 0
                        self.handle(json.loads(raw))
                        if self.state in FINAL:
                            break
                    await self.ws.close()
                except (ConnectionClosed, OSError) as e:
                    retries += 1
                    if self.job is None or retries > 10:
                        raise ConnectionError(f"lost the connection to {self.args.server}: {e}") from None
                    await asyncio.sleep(min(0.2 * retries, 2))
        finally:
            self.display.close()
        if self.args.download is not None and self.state in FINAL:
            await asyncio.to_thread(self._download, self.args.download)
        if self.cancel_requested and self.state == "cancelled":
            return 130
        return EXIT[self.state]


    # -- files (REST: a websocket message is too small for them) ------------------------------
    def _rest(self, method: str, path: str, **kw):
        import httpx

        try:
            r = httpx.request(method, base_url(self.args.server) + path, timeout=120,
                              headers={"Authorization": f"Bearer {self.args.token or ''}"}, **kw)
        except httpx.HTTPError as e:
            raise ConnectionError(f"{method} {path}: {e}") from None
        if r.status_code >= 400:
            try:
                why = r.json().get("message") or r.text
            except ValueError:
                why = r.text
            raise RuntimeError(f"{method} {path}: HTTP {r.status_code}: {why}")
        return r

    def _submit_with_files(self, options: dict) -> str:
        files = [{"name": name, "data": base64.b64encode(data).decode()} for name, data in self.files]
        body = {"code": self.code, "name": self.args.script.name, "options": options, "files": files}
        return self._rest("POST", "/api/jobs", json=body).json()["job"]

    def _download(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        job = quote(self.job, safe="")
        for f in self._rest("GET", f"/api/jobs/{job}/files").json()["files"]:
            if f.get("note"):
                print(f"[torchpad] {f['name']}: {f['note']}", file=sys.stderr)
                continue
            data = self._rest("GET", f"/api/jobs/{job}/files/{quote(f['name'], safe='')}").content
            (folder / Path(f["name"]).name).write_bytes(data)
            print(f"[torchpad] saved {folder / Path(f['name']).name} ({len(data)} bytes)", file=sys.stderr)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.script.read_text()
        return asyncio.run(Submitter(args, code).run())
    except (OSError, ValueError, PermissionError, RuntimeError, ConnectionError) as e:
        print(f"torchpad submit: {e}", file=sys.stderr)
        return 2
