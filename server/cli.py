"""`torchpad serve`: flags (each also from a TORCHPAD_* environment variable) -> Settings -> uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .auth import generate_token, is_loopback
from .config import DEFAULT_PYODIDE_INDEX, DEFAULT_WEB_DIR, ENV_ONLY, Settings, env_overrides
from .jobenv import JobUser
from .tokenguard import make_undumpable, read_token_file, scrub_argv, token_in_argv

EPILOG = """\
Every flag can also be set with its environment variable (shown in brackets); flags win.
Limits without a flag are environment-only: """ + ", ".join(f"TORCHPAD_{n.upper()}" for n in ENV_ONLY) + """.
The token guards everything but /api/health, /api/config, share links and the static files.
Clients send it as 'Authorization: Bearer TOKEN' or in the websocket auth message, never in a URL.
"""


def _env(name: str, default):
    return os.environ.get(f"TORCHPAD_{name}", default)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="torchpad serve", description="Serve the TorchPad playground and its GPU job API.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default=_env("HOST", "127.0.0.1"),
                   help="address to bind; a non-loopback address requires --token (TORCHPAD_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, default=int(_env("PORT", 8000)), help="port (TORCHPAD_PORT, default 8000)")
    p.add_argument("--data-dir", type=Path, default=Path(_env("DATA_DIR", ".torchpad")),
                   help="folder for the SQLite database of jobs, events and share links (TORCHPAD_DATA_DIR, default .torchpad)")
    p.add_argument("--token", default=_env("TOKEN", None),
                   help="access token; when absent one is generated and printed (TORCHPAD_TOKEN). Prefer the "
                        "variable or --token-file: a command line is visible to every local user")
    p.add_argument("--token-file", type=Path, default=_env("TOKEN_FILE", None), metavar="PATH",
                   help="read the access token from this file, which must be mode 0600 (TORCHPAD_TOKEN_FILE)")
    p.add_argument("--job-user", default=_env("JOB_USER", None), metavar="NAME",
                   help="run jobs as this user (the server must run as root), so they cannot read the server's "
                        "data or token (TORCHPAD_JOB_USER)")
    p.add_argument("--allow-origin", action="append", metavar="URL",
                   default=[o for o in _env("ALLOW_ORIGIN", "").replace(",", " ").split() if o],
                   help="another origin allowed to use the API and websocket, e.g. https://pad.example.com; "
                        "repeatable (TORCHPAD_ALLOW_ORIGIN, space- or comma-separated)")
    p.add_argument("--allow-remote-host", action="append", metavar="NAME",
                   default=[h for h in _env("ALLOW_REMOTE_HOST", "").replace(",", " ").split() if h],
                   help="a Host header name the server answers besides loopback, its --host address and the "
                        "--allow-origin hosts, e.g. gpu-box.lan; '*' answers any (TORCHPAD_ALLOW_REMOTE_HOST)")
    p.add_argument("--executor", choices=["local", "ray"], default=_env("EXECUTOR", "local"),
                   help="where jobs run: local subprocesses or a Ray cluster (TORCHPAD_EXECUTOR, default local)")
    p.add_argument("--ray-address", default=_env("RAY_ADDRESS", None), metavar="auto|HOST:PORT|ray://HOST:PORT",
                   help="with --executor ray: the Ray cluster to join as a driver; without it a local Ray instance "
                        "is started (TORCHPAD_RAY_ADDRESS; docs/ray.md)")
    p.add_argument("--gpus", default=_env("GPUS", "all"),
                   help="GPUs jobs may use: all, none, or indices like 0,1 (TORCHPAD_GPUS, default all)")
    p.add_argument("--max-queued", type=int, default=int(_env("MAX_QUEUED", 100)),
                   help="jobs allowed to wait for a GPU or CPU slot before submits are refused (TORCHPAD_MAX_QUEUED, default 100)")
    p.add_argument("--job-timeout", type=float, default=float(_env("JOB_TIMEOUT", 3600)),
                   help="longest wall time of a job in seconds; a job's own timeout_s can only be shorter "
                        "(TORCHPAD_JOB_TIMEOUT, default 3600)")
    p.add_argument("--keep-jobs-days", type=float, default=float(_env("KEEP_JOBS_DAYS", 30)), metavar="DAYS",
                   help="delete finished jobs (code, output, metrics) older than this; 0 keeps them "
                        "(TORCHPAD_KEEP_JOBS_DAYS, default 30)")
    p.add_argument("--keep-shares-days", type=float, default=float(_env("KEEP_SHARES_DAYS", 365)), metavar="DAYS",
                   help="delete share links older than this; 0 keeps them (TORCHPAD_KEEP_SHARES_DAYS, default 365)")
    p.add_argument("--max-data-gb", type=float, default=float(_env("MAX_DATA_GB", 10)), metavar="GB",
                   help="most data the database may hold; past it the oldest finished jobs and share links "
                        "are deleted; 0: no cap (TORCHPAD_MAX_DATA_GB, default 10)")
    p.add_argument("--pyodide-index", default=_env("PYODIDE_INDEX", DEFAULT_PYODIDE_INDEX),
                   help="Pyodide package index the browser loads NumPy from (TORCHPAD_PYODIDE_INDEX, default the official CDN)")
    p.add_argument("--web-dir", type=Path, default=Path(_env("WEB_DIR", DEFAULT_WEB_DIR)),
                   help="built web app folder (TORCHPAD_WEB_DIR)")
    return p


def settings_from_args(args) -> Settings:
    return Settings(host=args.host, port=args.port, data_dir=args.data_dir, token=args.token, allow_origins=args.allow_origin,
                    allow_remote_hosts=args.allow_remote_host,
                    executor=args.executor, ray_address=args.ray_address, gpus=args.gpus, max_queued=args.max_queued,
                    job_timeout=args.job_timeout, keep_jobs_days=args.keep_jobs_days,
                    keep_shares_days=args.keep_shares_days, max_data_gb=args.max_data_gb, job_user=args.job_user,
                    token_file=args.token_file,
                    pyodide_index=args.pyodide_index, web_dir=args.web_dir, **env_overrides())


def serve_main(argv: list[str]) -> int:
    import uvicorn

    from .app import create_app
    from .connections import connection_caps, guarded_protocol, raise_open_file_limit

    args = build_parser().parse_args(argv)
    if token_in_argv(argv):
        scrub_argv(args.token)
        print("torchpad serve: --token is visible to other local users while the server starts; "
              "prefer TORCHPAD_TOKEN or --token-file", file=sys.stderr)
    make_undumpable()  # jobs of the same user cannot read /proc/<server>/environ
    os.umask(0o077)  # the data directory and database: the server's user only
    if args.token_file and not args.token:
        try:
            args.token = read_token_file(args.token_file)
        except ValueError as e:
            print(f"torchpad serve: {e}", file=sys.stderr)
            return 2
    settings = settings_from_args(args)
    os.environ.pop("TORCHPAD_TOKEN", None)  # nothing the server starts (a local Ray, its workers) inherits it
    try:
        JobUser(settings.job_user)
    except ValueError as e:
        print(f"torchpad serve: {e}", file=sys.stderr)
        return 2
    if not settings.token:
        if not is_loopback(settings.host):
            print(f"torchpad serve: refusing to bind {settings.host} (not loopback) without a token; "
                  "pass --token or set TORCHPAD_TOKEN", file=sys.stderr)
            return 2
        settings.token = generate_token()
        print(f"TorchPad on http://{settings.host}:{settings.port}/  token: {settings.token}", flush=True)
    else:
        print(f"TorchPad on http://{settings.host}:{settings.port}/  (token from --token/TORCHPAD_TOKEN)", flush=True)
    max_connections, settings.max_unauthenticated = connection_caps(settings, raise_open_file_limit())
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning", access_log=False,
                ws_max_size=4 * settings.max_message_bytes, timeout_keep_alive=settings.keep_alive_s,
                http=guarded_protocol(settings.request_timeout_s, max_connections))
    return 0
