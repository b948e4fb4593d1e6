"""Server settings: one dataclass, filled from CLI flags or TORCHPAD_* environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PYODIDE_VERSION = "314.0.7"
DEFAULT_PYODIDE_INDEX = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WEB_DIR = REPO_ROOT / "web" / "dist"


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".torchpad")
    token: str | None = None
    allow_origins: list[str] = field(default_factory=list)
    executor: str = "local"
    gpus: str = "all"
    max_queued: int = 100
    job_timeout: float = 3600.0
    pyodide_index: str = DEFAULT_PYODIDE_INDEX
    web_dir: Path = DEFAULT_WEB_DIR
