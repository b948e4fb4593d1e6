"""Static files for the built web app, with the headers Pyodide needs.

Cross-origin isolation (COOP/COEP) makes SharedArrayBuffer available, which Pyodide's
interrupt buffer (the Stop button) needs. Pyodide's runtime files live under a versioned
path (/pyodide/<version>/, see web/build/runtimeFiles.js), so they are cached for a long time.
"""

from __future__ import annotations

import mimetypes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")

ISOLATION_HEADERS = {
    b"cross-origin-opener-policy": b"same-origin",
    b"cross-origin-embedder-policy": b"require-corp",
    b"cross-origin-resource-policy": b"same-origin",
}


class IsolationHeaders:
    """ASGI middleware: COOP/COEP/CORP on every HTTP response, long caching for /pyodide/."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in ISOLATION_HEADERS]
                headers += list(ISOLATION_HEADERS.items())
                if path.startswith("/pyodide/"):
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"public, max-age=31536000, immutable"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
