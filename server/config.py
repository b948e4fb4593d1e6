"""Server settings: one dataclass, filled from CLI flags or TORCHPAD_* environment variables.

The limits below the `serve` flags have no flag of their own (the issue fixes the flag list);
each is still settable from the environment, e.g. TORCHPAD_CPU_SLOTS=2.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path

PYODIDE_VERSION = "314.0.3"
DEFAULT_PYODIDE_INDEX = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"


def packaged_web_dir() -> Path:
    """The built page: torchpad.web's package data (web/dist in a checkout, torchpad/web/dist in a wheel)."""
    return Path(str(resources.files("torchpad.web") / "dist"))


DEFAULT_WEB_DIR = packaged_web_dir()

KiB, MiB = 1024, 1024 * 1024


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".torchpad")
    token: str | None = None
    allow_origins: list[str] = field(default_factory=list)
    allow_remote_hosts: list[str] = field(default_factory=list)  # extra Host header names ('*': any)
    executor: str = "local"
    ray_address: str | None = None        # --executor ray: join this cluster; None starts a local Ray instance
    gpus: str = "all"
    max_queued: int = 100
    job_timeout: float = 3600.0
    keep_jobs_days: float = 30.0          # finished jobs older than this are deleted (0: kept)
    keep_shares_days: float = 365.0       # share links older than this are deleted (0: kept)
    max_data_gb: float = 10.0             # the database's size: the oldest finished jobs and shares go first (0: no cap)
    pyodide_index: str = DEFAULT_PYODIDE_INDEX
    web_dir: Path = DEFAULT_WEB_DIR
    job_user: str | None = None           # --job-user: run jobs as this account (root servers)
    token_file: Path | None = None        # --token-file: hidden from jobs like the data directory
    # Limits without a flag (environment only).
    max_code_bytes: int = 256 * KiB
    max_message_bytes: int = 1 * MiB
    max_share_bytes: int = 512 * KiB
    max_input_files: int = 50             # files sent with a job (jobfiles.py) ...
    max_input_bytes: int = 32 * MiB       # ... and their total size (the page's own limits)
    max_output_files: int = 50            # files kept from a job's working directory ...
    max_output_file_bytes: int = 64 * MiB  # ... each at most this big ...
    max_output_bytes: int = 128 * MiB     # ... and at most this much in all
    cpu_slots: int = 4                    # concurrent CPU jobs on a host without (or not using) GPUs
    warm_runners: int = 2                 # spare job processes with torch imported (one ready + one starting)
    job_containment: str = "auto"         # auto | cgroup | pidns | pgroup: how a job's processes are kept together
    output_lines_per_s: float = 2000.0    # stdout+stderr lines, token bucket ...
    output_burst_lines: int = 20000       # ... of this size
    output_max_bytes: int = 64 * MiB      # total stdout+stderr bytes per job
    metrics_per_s: float = 2000.0
    metrics_burst: int = 20000
    ws_queue: int = 1000                  # messages buffered per websocket
    ws_stall_s: float = 10.0              # queue full this long (client not reading) -> close 4008
    kill_grace_s: float = 2.0             # SIGTERM -> SIGKILL
    auth_timeout_s: float = 10.0
    retention_sweep_s: float = 300.0      # how often the retention limits are applied (also at start)
    request_timeout_s: float = 10.0       # an HTTP request's headers and body must arrive within this
    keep_alive_s: float = 5.0             # an idle keep-alive connection is closed after this
    max_connections: int = 0              # open HTTP connections (0: half the open-file limit)
    max_unauthenticated: int = 0          # websockets still owing their auth message (0: an eighth of it)


ENV_ONLY = ("max_code_bytes", "max_message_bytes", "max_share_bytes", "max_input_files", "max_input_bytes",
            "max_output_files", "max_output_file_bytes", "max_output_bytes", "cpu_slots", "output_lines_per_s", "output_burst_lines",
            "output_max_bytes", "metrics_per_s", "metrics_burst", "ws_queue", "ws_stall_s", "kill_grace_s", "auth_timeout_s", "retention_sweep_s",
            "warm_runners", "job_containment",
            "request_timeout_s", "keep_alive_s", "max_connections", "max_unauthenticated")


def env_overrides(environ=os.environ) -> dict:
    """Values for the flag-less limits from TORCHPAD_<NAME> variables, converted to each field's type."""
    types = {f.name: f.type for f in fields(Settings)}
    out = {}
    for name in ENV_ONLY:
        raw = environ.get(f"TORCHPAD_{name.upper()}")
        if raw is not None:
            out[name] = float(raw) if types[name] == "float" else raw if types[name] == "str" else int(raw)
    return out
