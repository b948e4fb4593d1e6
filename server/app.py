"""The Starlette application: REST routes, the websocket, share links and the built web app.

Routes that need the token are wrapped in `authed`; `/api/health`, `/api/config`, share
reads (`/s/{id}`, `GET /api/shares/{id}`: a share link is public by design) and the
static files are open. Request bodies go through the same `protocol` parsers as
websocket messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from . import protocol as p
from .auth import allowed_hosts, bearer_token, token_in_url, token_matches
from .config import Settings
from .executor import create_executor
from .hostinfo import probe
from .jobs import JobManager
from .pyodide_mirror import mirror_routes, page_index
from .retention import Retention
from .static import IsolationHeaders
from .store import Store
from .ws import websocket_endpoint

HTTP_STATUS = {"bad_message": 400, "unauthorized": 401, "unknown_job": 404, "unknown_share": 404, "unknown_file": 404, "job_finished": 409, "job_running": 409,
               "too_large": 413, "queue_full": 429, "store_unavailable": 503}


def error_response(e: p.ProtocolError) -> JSONResponse:
    return JSONResponse({"error": e.code, "message": e.message}, status_code=HTTP_STATUS.get(e.code, 400))


async def protocol_error(request: Request, e: p.ProtocolError) -> JSONResponse:
    """The one place a refused request becomes an HTTP answer (Starlette's exception_handlers)."""
    return error_response(e)


def authed(handler):
    async def wrapper(request: Request):
        settings = request.app.state.settings
        if token_in_url(request.query_params):
            raise p.ProtocolError("unauthorized", "tokens in URLs are refused; send the header 'Authorization: Bearer <token>'")
        if not token_matches(bearer_token(request.headers), settings.token):
            raise p.ProtocolError("unauthorized", "missing or wrong token; send the header 'Authorization: Bearer <token>'")
        return await handler(request)

    return wrapper


async def read_body(request: Request, limit: int, why: str = "") -> bytes:
    """The request body, refused while reading once it is over `limit`."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise p.ProtocolError("too_large", f"request body is over the limit of {limit} bytes{why}")
    return bytes(body)


async def read_json(request: Request):
    """The request body as JSON, refusing bodies over the message size limit while reading."""
    limit = request.app.state.settings.max_message_bytes
    return p.decode(await read_body(request, limit), limit)


def file_limits(s: Settings) -> p.FileLimits:
    return p.FileLimits(count=s.max_input_files, bytes=s.max_input_bytes)


def job_body_limit(s: Settings) -> int:
    """A job request may also carry its files, base64 (4 bytes per 3) in JSON (a little per file)."""
    return s.max_message_bytes + -(-s.max_input_bytes // 3) * 4 + 512 * s.max_input_files


def _query_int(request: Request, name: str, default: int) -> int:
    return p.query_int(request.query_params.get(name), name, default)


# -- routes ---------------------------------------------------------------------------------
async def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


async def client_config(request: Request) -> JSONResponse:
    # What the page needs before it boots the browser runtime; no secrets here.
    return JSONResponse({"pyodide_index": page_index(request.app.state.settings.pyodide_index)})


@authed
async def info(request: Request) -> JSONResponse:
    return JSONResponse(request.app.state.info())


@authed
async def list_jobs(request: Request) -> JSONResponse:
    return JSONResponse({"jobs": request.app.state.jobs.store.list_jobs(min(_query_int(request, "limit", 100), 1000))})


@authed
async def submit_job(request: Request) -> JSONResponse:
    jobs: JobManager = request.app.state.jobs
    s = request.app.state.settings
    limit = job_body_limit(s)
    raw = await read_body(request, limit, f" (the files sent with a job may come to {s.max_input_bytes} bytes)")
    body = p.decode(raw, limit)
    p.check_job_body_size(body, len(raw), s.max_message_bytes)
    req = p.parse_job_request(body, s.max_code_bytes, s.job_timeout, files=file_limits(s))
    return JSONResponse({"job": jobs.submit(req)}, status_code=201)


@authed
async def job_detail(request: Request) -> JSONResponse:
    jobs: JobManager = request.app.state.jobs
    jobs.require(request.path_params["job"])
    return JSONResponse(jobs.store.get_job(request.path_params["job"], with_code=True))


@authed
async def job_events(request: Request) -> JSONResponse:
    jobs: JobManager = request.app.state.jobs
    job_id = request.path_params["job"]
    state = jobs.require(job_id)
    rows = jobs.store.events_after(job_id, _query_int(request, "after", 0), min(_query_int(request, "limit", 1000), 5000))
    return JSONResponse({"job": job_id, "state": state, "events": [json.loads(data) for _, data in rows]})


@authed
async def job_files(request: Request) -> JSONResponse:
    """The files the job left in its working directory (jobfiles.py): name, size, and a note on what was not kept."""
    jobs: JobManager = request.app.state.jobs
    job_id = request.path_params["job"]
    state = jobs.require(job_id)
    return JSONResponse({"job": job_id, "state": state, "files": jobs.store.output_files(job_id)})


@authed
async def job_file(request: Request) -> Response:
    """One kept file's bytes, as a download (the page fetches it with the token in a header)."""
    jobs: JobManager = request.app.state.jobs
    job_id, name = request.path_params["job"], request.path_params["name"]
    jobs.require(job_id)
    data = await asyncio.to_thread(jobs.store.output_data, job_id, name)
    if data is None:
        raise p.ProtocolError("unknown_file", f"job {job_id} kept no file named {name[:80]!r}")
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@authed
async def job_cancel(request: Request) -> JSONResponse:
    jobs: JobManager = request.app.state.jobs
    jobs.cancel(request.path_params["job"])
    return JSONResponse({"job": request.path_params["job"], "cancelling": True}, status_code=202)


@authed
async def delete_job(request: Request) -> Response:
    await request.app.state.retention.delete_job(request.path_params["job"])
    return Response(status_code=204)


@authed
async def delete_share(request: Request) -> Response:
    await request.app.state.retention.delete_share(request.path_params["share"])
    return Response(status_code=204)


@authed
async def create_share(request: Request) -> JSONResponse:
    payload = p.parse_share(await read_json(request), request.app.state.settings.max_share_bytes)
    share_id = secrets.token_urlsafe(9)
    request.app.state.jobs.store.create_share(share_id, payload)
    return JSONResponse({"id": share_id, "url": f"/s/{share_id}"}, status_code=201)


def _share(request: Request) -> str:
    payload = request.app.state.jobs.store.get_share(request.path_params["share"])
    if payload is None:
        raise p.ProtocolError("unknown_share", "no such share link")
    return payload


async def read_share(request: Request) -> JSONResponse:
    return JSONResponse({"payload": _share(request)})


async def open_share(request: Request):
    _share(request)
    return RedirectResponse(f"/#s={request.path_params['share']}", status_code=302)


# -- the application --------------------------------------------------------------------------
def create_app(settings: Settings) -> Starlette:
    if not settings.token:
        raise ValueError("Settings.token must be set (the CLI generates one)")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        import torchpad

        host = await probe()
        store = Store(settings.data_dir / "torchpad.sqlite3")
        executor = create_executor(settings.executor, settings, host)
        await executor.start()
        jobs = JobManager(store, executor, settings)
        app.state.jobs = jobs
        app.state.info = lambda: {
            "version": torchpad.__version__, "torch": host.torch,
            "cuda": {"available": host.cuda, "version": host.cuda_version, "devices": host.devices},
            "executor": executor.info(), "queue": jobs.queue_info(),
            "limits": {"max_code_bytes": settings.max_code_bytes, "max_message_bytes": settings.max_message_bytes,
                       "job_timeout_s": settings.job_timeout, "max_queued": settings.max_queued,
                       "max_input_files": settings.max_input_files, "max_input_bytes": settings.max_input_bytes,
                       "max_output_files": settings.max_output_files, "max_output_file_bytes": settings.max_output_file_bytes,
                       "max_output_bytes": settings.max_output_bytes}}
        await jobs.start()
        app.state.retention = retention = Retention(settings.data_dir / "torchpad.sqlite3", jobs, settings)
        await retention.start()
        try:
            yield
        finally:
            await retention.close()
            await jobs.close()
            await executor.close()
            store.close()

    routes = [
        Route("/api/health", health),
        Route("/api/config", client_config),
        Route("/api/info", info),
        Route("/api/jobs", list_jobs, methods=["GET"]),  # GET routes answer HEAD too
        Route("/api/jobs", submit_job, methods=["POST"]),
        Route("/api/jobs/{job}", job_detail, methods=["GET"]),
        Route("/api/jobs/{job}", delete_job, methods=["DELETE"]),
        Route("/api/jobs/{job}/events", job_events),
        Route("/api/jobs/{job}/files", job_files),
        Route("/api/jobs/{job}/files/{name}", job_file),
        Route("/api/jobs/{job}/cancel", job_cancel, methods=["POST"]),
        Route("/api/shares", create_share, methods=["POST"]),
        Route("/api/shares/{share}", read_share, methods=["GET"]),
        Route("/api/shares/{share}", delete_share, methods=["DELETE"]),
        Route("/s/{share}", open_share),
        WebSocketRoute("/ws", websocket_endpoint),
        *mirror_routes(),  # $TORCHPAD_PYODIDE_MIRROR at /pyodide-packages/ (docs/pyodide.md)
    ]
    if settings.web_dir.is_dir():
        routes.append(Mount("/", StaticFiles(directory=settings.web_dir, html=True), name="web"))
    hosts = allowed_hosts(settings.host, settings.allow_origins, settings.allow_remote_hosts)
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=hosts, www_redirect=False), Middleware(IsolationHeaders)]
    if settings.allow_origins:
        middleware.insert(1, Middleware(CORSMiddleware, allow_origins=settings.allow_origins, allow_methods=["GET", "POST", "DELETE"],
                                        allow_headers=["Authorization", "Content-Type"]))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={p.ProtocolError: protocol_error})
    app.state.settings = settings
    app.state.hosts = frozenset(hosts) - {"*"}  # our own names, for the websocket Origin check
    app.state.unauthenticated = 0  # websockets that still owe their auth message (ws.py caps them)
    return app
