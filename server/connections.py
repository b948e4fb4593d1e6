"""Limits on HTTP connections before any request reaches the app: uvicorn's protocol plus a clock.

uvicorn closes a keep-alive connection that stays idle after a response, but a connection
that never finishes its first request (headers trickling in, a body that never arrives, or no
bytes at all) is held forever, and enough of them exhaust the server's file descriptors. Here
every request must arrive complete within `request_timeout_s` of its first byte (of the
connection, for the first one), and at most `max_connections` HTTP connections are open: a new
one closes the oldest connection that has no request in progress.
"""

from __future__ import annotations

import asyncio
import resource

try:  # the protocol uvicorn's "auto" would pick
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as BaseHTTP
except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard]
    from uvicorn.protocols.http.h11_impl import H11Protocol as BaseHTTP


def raise_open_file_limit() -> int:
    """Lift the soft limit on open files to the hard one (systemd's LimitNOFILE); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def connection_caps(settings, open_files: int) -> tuple[int, int]:
    """(HTTP connections, unauthenticated websockets): the settings, or shares of the open-file limit
    that leave room for the database, job pipes and authenticated websockets."""
    return (settings.max_connections or max(32, open_files // 2),
            settings.max_unauthenticated or max(16, open_files // 8))


def guarded_protocol(request_timeout_s: float, max_connections: int) -> type:
    """uvicorn's HTTP protocol class with the request deadline and the connection cap."""
    open_connections: dict = {}  # insertion-ordered: the oldest first

    class GuardedHTTP(BaseHTTP):
        _deadline: asyncio.TimerHandle | None = None
        _complete = None  # the last cycle whose request arrived whole

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            if len(open_connections) >= max_connections:
                self._evict_one()
            open_connections[self] = None
            self._arm()

        def connection_lost(self, exc) -> None:
            open_connections.pop(self, None)
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._deadline is None and self._idle():  # the first byte of the next request
                self._arm()
            super().data_received(data)
            cycle = self.cycle
            if cycle is not None and cycle is not self._complete and not cycle.more_body:
                self._complete = cycle  # headers and body are in: the app's time is not ours to limit
                self._disarm()

        def handle_websocket_upgrade(self, *args) -> None:
            open_connections.pop(self, None)  # the websocket has its own auth timeout and cap (ws.py)
            self._disarm()
            super().handle_websocket_upgrade(*args)

        def _idle(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(request_timeout_s, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.transport.close()

        def _evict_one(self) -> None:
            for conn in open_connections:
                if conn._idle():
                    open_connections.pop(conn)
                    conn._disarm()
                    conn.transport.close()
                    return

    return GuardedHTTP
