"""`torchpad serve`: flags (each also from a TORCHPAD_* environment variable) -> Settings -> uvicorn."""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path

from .config import DEFAULT_PYODIDE_INDEX, DEFAULT_WEB_DIR, Settings


def _env(name: str, default):
    return os.environ.get(f"TORCHPAD_{name}", default)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="torchpad serve", description="Serve the TorchPad playground and job API.")
    p.add_argument("--host", default=_env("HOST", "127.0.0.1"), help="address to bind (TORCHPAD_HOST)")
    p.add_argument("--port", type=int, default=int(_env("PORT", 8000)), help="port (TORCHPAD_PORT)")
    p.add_argument("--data-dir", type=Path, default=Path(_env("DATA_DIR", ".torchpad")), help="SQLite and job files (TORCHPAD_DATA_DIR)")
    p.add_argument("--token", default=_env("TOKEN", None), help="access token; generated when absent (TORCHPAD_TOKEN)")
    p.add_argument("--pyodide-index", default=_env("PYODIDE_INDEX", DEFAULT_PYODIDE_INDEX), help="Pyodide package index URL for NumPy (TORCHPAD_PYODIDE_INDEX)")
    p.add_argument("--web-dir", type=Path, default=Path(_env("WEB_DIR", DEFAULT_WEB_DIR)), help="built web app folder (TORCHPAD_WEB_DIR)")
    return p


def serve_main(argv: list[str]) -> int:
    import uvicorn

    from .app import create_app

    args = build_parser().parse_args(argv)
    settings = Settings(host=args.host, port=args.port, data_dir=args.data_dir, token=args.token or secrets.token_urlsafe(24),
                        pyodide_index=args.pyodide_index, web_dir=args.web_dir)
    print(f"TorchPad on http://{settings.host}:{settings.port}/  token: {settings.token}", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
    return 0
