"""A real single-node Ray head for the "ray" executor tests: `ray start --head --block` in its own
process group, on free ports, with its own short temp dir (Ray's socket paths must stay short).

CPU only and small: 4 logical CPUs (two jobs at once plus a 2-worker TorchTrainer job), a 100 MB
object store (jobs move only small event batches), no dashboard. Servers join it as drivers through
TORCHPAD_RAY_ADDRESS, which keeps one Ray instance for the whole test session.

Token authentication stays on (Ray's default), with a token this cluster writes into its own temp dir
and hands to the head and every server that joins through RAY_AUTH_TOKEN_PATH: nothing reads or
writes ~/.ray, so the tests behave the same on a fresh machine and on one that ran Ray before.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAY_ENV = {"RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}


def write_auth_token(directory: str | Path) -> Path:
    """A fresh Ray auth token (Ray's own format: 256 random bits as hex) in a file only the owner can read."""
    path = Path(directory) / "auth_token"
    path.touch(mode=0o600)
    path.write_text(secrets.token_hex(32))
    return path


def ray_missing() -> str | None:
    """Why the Ray tests cannot run here, or None."""
    for module in ("ray", "ray.train", "pandas", "pyarrow"):
        try:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed (pip install -e '.[ray]')"
        except ImportError:
            return f"{module} is not installed (pip install -e '.[ray]')"
    return None


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class RayCluster:
    def __init__(self, log_dir: Path, num_cpus: int = 4):
        self.log_path, self.num_cpus = log_dir / "ray-head.log", num_cpus
        self.temp_dir = tempfile.mkdtemp(prefix="rtp", dir="/tmp")
        self.port, *self.other_ports = _free_ports(7)
        self.address = f"127.0.0.1:{self.port}"
        self.env = {**RAY_ENV, "RAY_AUTH_TOKEN_PATH": str(write_auth_token(self.temp_dir))}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 240) -> "RayCluster":
        client, agent_http, agent_grpc, env_agent, metrics, _ = self.other_ports
        self.client_port = client  # Ray Client's server (ray://), on the node's address
        cmd = [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
               "--port", str(self.port), "--num-cpus", str(self.num_cpus), "--num-gpus", "0",
               "--object-store-memory", str(100 * 1000 * 1000), "--include-dashboard", "false", "--disable-usage-stats",
               "--temp-dir", self.temp_dir, "--ray-client-server-port", str(client),
               "--dashboard-agent-listen-port", str(agent_http), "--dashboard-agent-grpc-port", str(agent_grpc),
               "--runtime-env-agent-port", str(env_agent), "--metrics-export-port", str(metrics)]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
                                     env={**os.environ, **self.env, "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ray start exited with {self.proc.returncode}: {self.log_path.read_text()[-3000:]}")
            if "block forever" in self.log_path.read_text():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the Ray head did not start within {timeout:g} s: {self.log_path.read_text()[-3000:]}")

    def server_env(self) -> dict:
        """What a server needs to join this head: its address and its token file (the token itself stays in the file)."""
        return {**self.env, "TORCHPAD_RAY_ADDRESS": self.address}

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # `ray start --block` stops the node's processes (no draining)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # anything of this head left in its group
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.temp_dir, ignore_errors=True)
