"""Keeping the server's token where only the server can read it.

The token should come from `TORCHPAD_TOKEN` or a 0600 `--token-file`. `--token VALUE` still
works, but a command line is readable by every local user (`/proc/PID/cmdline`, `ps`), so
the server blanks the value in its own command line at start and warns. The server also
makes itself non-dumpable, so a process of the same user (a job without `--job-user`)
cannot read `/proc/<server>/environ` or its memory.
"""

from __future__ import annotations

import ctypes
import os
import stat
from pathlib import Path

PR_SET_DUMPABLE = 4


def read_token_file(path: Path) -> str:
    """The token in `path` (first line), refusing a file that others may read or write."""
    try:
        info = path.stat()
        text = path.read_text()
    except OSError as e:
        raise ValueError(f"--token-file {path}: {e.strerror}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(f"--token-file {path} is readable by others (mode {stat.S_IMODE(info.st_mode):o}); "
                         f"run: chmod 600 {path}")
    token = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not token:
        raise ValueError(f"--token-file {path} is empty")
    return token


def scrub_argv(secret: str) -> bool:
    """Overwrite `secret` with 'x's in this process's command line as /proc shows it; True if found."""
    if not secret:
        return False
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start, end = int(fields[45]), int(fields[46])  # arg_start, arg_end (fields 48, 49 of stat)
        with open("/proc/self/mem", "r+b", buffering=0) as mem:
            mem.seek(start)
            args = mem.read(end - start)
            needle = secret.encode()
            if needle not in args:
                return False
            mem.seek(start)
            mem.write(args.replace(needle, b"x" * len(needle)))
        return True
    except (OSError, ValueError, IndexError):
        return False


def make_undumpable() -> None:
    """PR_SET_DUMPABLE 0: /proc/<pid>/environ, mem and ptrace become root-only for this process."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def token_in_argv(argv: list[str]) -> bool:
    return any(a == "--token" or a.startswith("--token=") for a in argv)


def owner_only(path: Path) -> None:
    """chmod `path` to 0700 (a folder) or 0600 (a file), so other local users cannot read it."""
    path.chmod(0o700 if path.is_dir() else 0o600)
