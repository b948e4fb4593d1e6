"""The `/ws` websocket: auth, submit, cancel, subscribe, and the event stream back.

Each connection has one bounded outgoing queue drained by one writer task. A followed
job's events are always read from the store (the job manager only announces that new
ones exist), page by page, waiting for room in the queue: a burst of output never piles
up in memory, and a client that reads slowly simply lags. A client that stops reading
(the queue stays full for `ws_stall_s` seconds) is closed with 4008 so it resumes from
its last seq. Thus a slow reader costs the server at most `ws_queue` messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import NamedTuple

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import protocol as p
from .auth import origin_allowed, token_in_url, token_matches
from .jobs import FINAL
from .store import StoreUnavailable
from .wire import frames

STORE_RETRY_S = 0.5  # a follower's next read after the store could not be read

CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN = 4003
CLOSE_SLOW = 4008
TOO_SLOW = "too slow: resume from your last seq"


class Close(NamedTuple):
    """The writer's last item: send the close frame."""
    code: int
    reason: str


async def websocket_endpoint(ws: WebSocket) -> None:
    settings = ws.app.state.settings
    if token_in_url(ws.query_params):
        await ws.close(CLOSE_FORBIDDEN, "tokens in URLs are refused; send an auth message")
        return
    if not origin_allowed(ws.headers.get("origin"), ws.scope, ws.headers, settings.allow_origins, ws.app.state.hosts):
        await ws.close(CLOSE_FORBIDDEN, "origin not allowed")  # before accept: the handshake gets HTTP 403
        return
    state = ws.app.state
    if state.unauthenticated >= settings.max_unauthenticated > 0:
        await ws.send_denial_response(JSONResponse(
            {"error": "busy", "message": "too many connections waiting to authenticate; try again later"}, status_code=503))
        return
    state.unauthenticated += 1  # until _authenticate is over (counted before accept: no overshoot)
    try:
        await ws.accept()
    except BaseException:
        state.unauthenticated -= 1
        raise
    await Connection(ws).serve()


class Connection:
    def __init__(self, ws: WebSocket):
        self.ws = ws
        self.settings = ws.app.state.settings
        self.jobs = ws.app.state.jobs
        self.out: asyncio.Queue = asyncio.Queue(maxsize=self.settings.ws_queue)
        self.followers: dict[str, asyncio.Task] = {}
        self.closing = False
        self.batch = False  # the client asked for `events` messages in its auth

    # -- sending ------------------------------------------------------------------------
    async def send(self, msg: dict | str) -> bool:
        """Queue one message, waiting for room; a queue full for `ws_stall_s` closes with 4008.

        While a reply waits, this connection reads no further requests, so a client that
        pipelines requests is slowed down by TCP instead of being cut off.
        """
        if self.closing:
            return False
        try:
            await asyncio.wait_for(self.out.put(msg if isinstance(msg, str) else json.dumps(msg)), self.settings.ws_stall_s)
            return True
        except asyncio.TimeoutError:
            self.close(CLOSE_SLOW, TOO_SLOW, drop_queued=True)
            return False

    def close(self, code: int, reason: str, drop_queued: bool = False) -> None:
        if self.closing:
            return
        self.closing = True
        self._stop_following()
        if drop_queued or self.out.full():  # what the client could not take; it will resume
            while not self.out.empty():
                self.out.get_nowait()
        self.out.put_nowait(Close(code, reason))

    async def _writer(self) -> None:
        with contextlib.suppress(Exception):  # the peer went away: nothing left to do
            while True:
                item = await self.out.get()
                if isinstance(item, Close):
                    await self.ws.close(item.code, item.reason)
                    return
                await self.ws.send_text(item)

    # -- receiving ----------------------------------------------------------------------
    async def serve(self) -> None:
        writer = asyncio.create_task(self._writer())
        try:
            if await self._authenticate():
                await self.send(p.message("ready", info=self.ws.app.state.info()))
                while not self.closing:
                    raw = await self._receive()
                    if raw is None:
                        break
                    await self._handle(raw)
        except WebSocketDisconnect:
            pass
        finally:
            self._stop_following()
            if self.closing:  # let the writer deliver the last error and the close frame
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(writer), timeout=30)
            writer.cancel()

    async def _receive(self):
        msg = await self.ws.receive()
        if msg["type"] == "websocket.disconnect":
            return None
        return msg["text"] if msg.get("text") is not None else msg.get("bytes", b"")

    async def _authenticate(self) -> bool:
        """Counted among the unauthenticated connections (capped in websocket_endpoint) until it ends."""
        try:
            return await self._check_auth()
        finally:
            self.ws.app.state.unauthenticated -= 1

    async def _check_auth(self) -> bool:
        try:
            raw = await asyncio.wait_for(self._receive(), self.settings.auth_timeout_s)
        except asyncio.TimeoutError:
            await self.send(p.error_message("unauthorized", "no auth message in time"))
            self.close(CLOSE_UNAUTHORIZED, "unauthorized")
            return False
        if raw is None:
            return False
        obj = problem = None
        try:
            obj = p.decode(raw, self.settings.max_message_bytes)
            msg = p.parse_client_message(obj, self.settings.max_code_bytes, self.settings.job_timeout)
        except p.ProtocolError as e:
            msg, problem = None, e.message
        if isinstance(msg, p.Auth) and token_matches(msg.token, self.settings.token):
            self.batch = msg.batch
            return True
        if isinstance(msg, p.Auth):
            text = "wrong token"
        elif problem and isinstance(obj, dict) and obj.get("type") == "auth":
            text = problem  # an auth message with a bad field: say which
        else:
            text = 'the first message must be {"v":1,"type":"auth","token":"..."}'
        await self.send(p.error_message("unauthorized", text))
        self.close(CLOSE_UNAUTHORIZED, "unauthorized")
        return False

    async def _handle(self, raw) -> None:
        s = self.settings
        try:
            msg = p.parse_client_message(p.decode(raw, s.max_message_bytes), s.max_code_bytes, s.job_timeout,
                                         p.FileLimits(count=s.max_input_files, bytes=s.max_input_bytes))
            await self.HANDLERS[type(msg)](self, msg)
        except p.ProtocolError as e:
            await self.send(e.to_message())

    async def _on_auth(self, msg: p.Auth) -> None:
        raise p.ProtocolError("bad_message", "already authenticated")

    async def _on_submit(self, msg: p.Submit) -> None:
        job_id = self.jobs.submit(msg)
        if await self.send(p.message("accepted", id=msg.id, job=job_id)):
            self._follow(job_id, 0)

    async def _on_cancel(self, msg: p.Cancel) -> None:
        self.jobs.cancel(msg.job, id=msg.id)

    async def _on_subscribe(self, msg: p.Subscribe) -> None:
        self.jobs.require(msg.job, msg.id)
        self._follow(msg.job, msg.after_seq)

    HANDLERS = {p.Auth: _on_auth, p.Submit: _on_submit, p.Cancel: _on_cancel, p.Subscribe: _on_subscribe}

    # -- following a job's events ---------------------------------------------------------
    def _follow(self, job_id: str, after_seq: int) -> None:
        self._unfollow(job_id)
        self.followers[job_id] = asyncio.create_task(self._pull(job_id, after_seq))

    async def _pull(self, job_id: str, cursor: int) -> None:
        """Stored events after `cursor`, then each new batch as the job manager announces it."""
        wake = asyncio.Event()
        notify = lambda job, seq: wake.set()  # noqa: E731
        self.jobs.subscribe(job_id, notify)
        try:
            while not self.closing:
                wake.clear()
                try:
                    rows = self.jobs.store.events_after(job_id, cursor)
                except StoreUnavailable:  # SQLite cannot even be read just now: the follower waits, not dies
                    await asyncio.sleep(STORE_RETRY_S)
                    continue
                for frame, seq in frames(job_id, rows, self.batch):
                    try:  # wait for room, but not for ever: a reader that stopped reading is cut off
                        await asyncio.wait_for(self.out.put(frame), self.settings.ws_stall_s)
                    except asyncio.TimeoutError:
                        self.close(CLOSE_SLOW, TOO_SLOW, drop_queued=True)
                        return
                    cursor = seq
                if not rows:
                    if self.jobs.state(job_id) in (*FINAL, None):  # None: deleted meanwhile
                        return
                    await wake.wait()
        finally:
            self.jobs.unsubscribe(job_id, notify)
            if self.followers.get(job_id) is asyncio.current_task():
                del self.followers[job_id]

    def _unfollow(self, job_id: str) -> None:
        task = self.followers.pop(job_id, None)
        if task:
            task.cancel()

    def _stop_following(self) -> None:
        for job_id in list(self.followers):
            self._unfollow(job_id)
