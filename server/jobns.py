"""Linux namespaces for a job process: its own view of the files, and optionally its own PID namespace.

A job runs as the server's user (unless `--job-user`), so file modes alone cannot keep it
out of the data directory: it could open the database and rewrite other jobs. Where the
kernel lets this user create a user namespace (root; or unprivileged user namespaces, on by
default on most distributions), the runner enters a private mount namespace first thing, in
which the data directory is an empty read-only tmpfs and the token file reads as /dev/null,
then enters a second user + mount namespace: the kernel locks mounts that are copied into a
less privileged namespace, so the job cannot unmount the cover (not even as root).
The user namespaces map only the job's own uid and gid to themselves: files keep their owners.

`--pid-namespace` (the `pidns` containment, used where no cgroup can be made) puts the job in
a new PID namespace as well. Its init is a small process that only reaps and waits for the
runner (PID 2): when the runner ends, or init is killed, the kernel kills everything else
in the namespace, double-forked daemons included. init and the process outside it
(the server's child) die with their parent (PR_SET_PDEATHSIG), so a server kill -9 ends it
all at once. The namespace gets its own /proc, so the job sees only its own processes.

The server tries the same steps once at start in a throwaway process (`probe`) and asks
runners for what worked; the runner fails rather than run a job without what it was asked for.
"""

from __future__ import annotations

import ctypes
import os
import resource
import select
import signal
import struct
import subprocess
import sys
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int, what: str) -> None:
    _check(_libc.unshare(flags), what)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _die_with_parent() -> None:
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")


def _own_namespaces(flags: int, what: str) -> None:
    """A new user namespace (plus `flags`) in which this process keeps its uid and gid."""
    uid, gid = os.geteuid(), os.getegid()
    _unshare(CLONE_NEWUSER | flags, what)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _cover(paths: list[str]) -> None:
    """Mounts in this (private) mount namespace that hide `paths`: files read as /dev/null, folders are empty."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here reaches the server's mount namespace
    for path in sorted(paths, key=os.path.isdir):  # files first: a folder's cover would hide a file in it
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555")
        elif os.path.exists(path):
            _mount("/dev/null", path, None, MS_BIND)


def _lock() -> None:
    """Copy the mounts into a less privileged namespace: the kernel then refuses to unmount them."""
    _own_namespaces(CLONE_NEWNS, "unshare(CLONE_NEWUSER|CLONE_NEWNS) to lock the covers")


def _outside(init: int, status_r: int, alive_w: int) -> None:
    """The server's child, outside the namespace: wait for init, then end as the runner ended."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # the runner (same process group) gets these itself
    _, init_status = os.waitpid(init, 0)
    raw = os.read(status_r, 4)
    status = struct.unpack("i", raw)[0] if len(raw) == 4 else init_status
    if os.WIFSIGNALED(status):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the runner's crash already wrote its stack
        if os.WTERMSIG(status) not in (signal.SIGKILL, signal.SIGSTOP):  # those two have no handler to reset
            signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def _init(status_w: int, alive_r: int, hide: list[str]) -> None:
    """PID 1 of the job's namespace: returns in the runner (PID 2); reaps until the runner ends, then exits."""
    _die_with_parent()
    if select.select([alive_r], [], [], 0)[0]:  # the process outside died before the line above
        os._exit(1)
    os.close(alive_r)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _cover(hide)
    runner = os.fork()
    if runner == 0:
        os.close(status_w)
        _lock()
        return
    try:  # init must never go on to run the job itself
        while True:
            pid, status = os.waitpid(-1, 0)
            if pid == runner:
                os.write(status_w, struct.pack("i", status))
                os._exit(0)  # the kernel now kills whatever else is in the namespace
    finally:
        os._exit(1)


def enter(args: list[str], server_pid: int) -> int:
    """Set up what `args` (from `runner_args`) ask for, first thing in the runner, before any thread.

    Returns the pid the runner's parent must have: the server's, or 1 (init) in a PID namespace.
    """
    hide = [args[i + 1] for i, a in enumerate(args) if a == "--hide"]
    if "--pid-namespace" in args:
        _die_with_parent()
        if os.getppid() != server_pid:
            os._exit(1)
        status_r, status_w = os.pipe()
        alive_r, alive_w = os.pipe()
        _own_namespaces(CLONE_NEWNS | CLONE_NEWPID, "unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID)")
        init = os.fork()
        if init:
            try:  # this process must never go on to run the job itself
                os.close(status_w)
                os.close(alive_r)
                _outside(init, status_r, alive_w)
            finally:
                os._exit(1)
        os.close(status_r)
        os.close(alive_w)
        _init(status_w, alive_r, hide)
        return 1
    if hide:
        _own_namespaces(CLONE_NEWNS, "unshare(CLONE_NEWUSER|CLONE_NEWNS)")
        _cover(hide)
        _lock()
    return server_pid


# -- the server's side ----------------------------------------------------------------------

def runner_args(hide: list[Path], pid_namespace: bool) -> list[str]:
    out = ["--pid-namespace"] if pid_namespace else []
    for path in hide:
        out += ["--hide", str(path)]
    return out


class JobView:
    """What runners are asked to set up, decided at server start by trying it as the job user."""

    def __init__(self, hide: list[Path], spawn_args: dict, job_root: Path):
        self.spawn_args = spawn_args
        paths = [Path(p).resolve() for p in hide if p]
        # A cover over the folder that holds the jobs' own directories would hide those too.
        self.hide = [p for p in paths if not job_root.resolve().is_relative_to(p)]
        self.mount_error = probe(runner_args(self.hide, False), spawn_args) if self.hide else "nothing to hide"
        if self.mount_error is not None:
            self.hide = []
        self.pid_namespace = False  # set by the executor when its containment is `pidns`

    def pid_namespace_error(self) -> str | None:
        return probe(runner_args(self.hide, True), self.spawn_args)

    def args(self) -> list[str]:
        return runner_args(self.hide, self.pid_namespace)

    def files(self) -> str:
        """How the data directory is kept from jobs, for /api/info and the start log line."""
        return "mount namespace" if self.hide else f"none ({self.mount_error})"


def probe(args: list[str], spawn_args: dict | None = None) -> str | None:
    """Try `args` in a throwaway process (as the job user): None when it worked, else why not."""
    cmd = [sys.executable, "-m", "torchpad.server.jobns", str(os.getpid()), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/", **(spawn_args or {}))
    except (OSError, subprocess.SubprocessError) as e:
        return str(e)
    if proc.returncode == 0 and proc.stdout.strip() == "ok":
        return None
    return (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]


def _self_check(args: list[str]) -> str | None:
    """In the probe, after `enter`: what is wrong with the view a job would get, or None."""
    if "--pid-namespace" in args and os.getpid() != 2:
        return f"the runner is pid {os.getpid()} in its namespace, not 2"
    hide = [args[i + 1] for i, a in enumerate(args) if a == "--hide"]
    for path in hide:
        if os.path.isdir(path) and os.listdir(path):
            return f"{path} is still visible"
        if os.path.isfile(path) and os.path.getsize(path):
            return f"{path} is still readable"
    return None


def main(argv: list[str]) -> int:
    server_pid, args = int(argv[0]), argv[1:]
    try:
        enter(args, server_pid)
    except OSError as e:
        print(e, file=sys.stderr)
        return 1
    if problem := _self_check(args):
        print(problem, file=sys.stderr)
        return 1
    print("ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
