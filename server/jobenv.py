"""What a job process may see of the server: an allow-listed environment and a directory of its own.

The server's own environment can hold its token (a systemd unit's `TORCHPAD_TOKEN`), cloud
credentials and whatever its operator exported; a job gets none of it. It gets the
variables a PyTorch program needs (PATH, locale, CUDA/NCCL/torch settings, the torchrun
set) and a working directory that is also its HOME, outside the data directory. With
`--job-user NAME` (a server running as root) the job runs as that user, so it can neither
open the database nor read the server's /proc entries.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from pathlib import Path

ALLOWED = frozenset({
    "PATH", "LANG", "LANGUAGE", "TZ", "TERM", "PYTHONPATH", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "PYTHONHASHSEED",
    "MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK",
})
ALLOWED_PREFIXES = ("LC_", "CUDA_", "NCCL_", "NVIDIA_", "TORCH_", "OMP_", "MKL_", "OPENBLAS_")


def job_environ(environ, home: str) -> dict:
    """The allow-listed part of `environ`, with HOME set to the job's own directory and TMPDIR to a hidden
    folder in it (the runner makes it), so libraries' temporary files (torch's compile cache) are not
    listed among the files the program wrote."""
    env = {k: v for k, v in environ.items() if k in ALLOWED or k.startswith(ALLOWED_PREFIXES)}
    env.update(HOME=home, TMPDIR=os.path.join(home, ".tmp"), PYTHONUNBUFFERED="1")
    return env


class JobUser:
    """The account jobs run as: this process's own, or `name` (which needs a root server)."""

    def __init__(self, name: str | None):
        self.name = name
        if name is None:
            self.uid = self.gid = None
            return
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise ValueError(f"--job-user: no user named {name!r} on this machine") from None
        if os.geteuid() != 0:
            raise ValueError(f"--job-user {name} needs a server started as root (to switch to that user)")
        if entry.pw_uid == 0:
            raise ValueError("--job-user must name an account other than root")
        self.uid, self.gid = entry.pw_uid, entry.pw_gid

    def spawn_args(self) -> dict:
        """Keyword arguments for a subprocess that runs as this user (a preexec_fn: uvloop, the server's
        event loop, refuses Popen's user/group/extra_groups)."""
        return {} if self.uid is None else {"preexec_fn": self._become}

    def _become(self) -> None:
        os.setgroups([])
        os.setgid(self.gid)
        os.setuid(self.uid)


class JobDirs:
    """One private working directory (also HOME and TMPDIR) per runner, removed when it ends."""

    def __init__(self, user: JobUser):
        self.user = user
        self._remove_stale()
        self.root = Path(tempfile.mkdtemp(prefix=f"torchpad-jobs-{os.getpid()}-"))
        self.root.chmod(0o711)  # a job user may enter its own directory, not list the others

    @staticmethod
    def _remove_stale() -> None:
        """The job directories of this user's servers that died without removing them (kill -9)."""
        for path in Path(tempfile.gettempdir()).glob("torchpad-jobs-*-*"):
            pid = path.name.split("-")[2]
            try:
                if not pid.isdigit() or path.stat().st_uid != os.geteuid():
                    continue
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(path, ignore_errors=True)
            except OSError:
                continue

    def make(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(mode=0o700)
        if self.user.uid is not None:
            os.chown(path, self.user.uid, self.user.gid)
        return path

    def remove(self, name: str) -> None:
        shutil.rmtree(self.root / name, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
