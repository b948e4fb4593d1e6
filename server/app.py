"""The Starlette application: API routes plus the built web app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .config import Settings
from .static import IsolationHeaders


def create_app(settings: Settings) -> Starlette:
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def client_config(request: Request) -> JSONResponse:
        # What the page needs before it boots the browser runtime; no secrets here.
        return JSONResponse({"pyodide_index": settings.pyodide_index})

    routes = [
        Route("/api/health", health),
        Route("/api/config", client_config),
    ]
    if settings.web_dir.is_dir():
        routes.append(Mount("/", StaticFiles(directory=settings.web_dir, html=True), name="web"))
    app = Starlette(routes=routes, middleware=[Middleware(IsolationHeaders)])
    app.state.settings = settings
    return app
