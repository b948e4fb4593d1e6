"""Keeping every process a job starts inside the job, so none outlives it.

A program can escape its process group: fork, `setsid()`, fork again, close its fds, and
the grandchild is re-parented to PID 1 (on a GPU host it would keep GPU memory while the
GPU goes to the next job). So each runner gets a cage when it is spawned:

- `cgroup`: a cgroup v2 directory of its own under the server's cgroup, where the cgroup
  file system is writable (a root server, a systemd unit with `Delegate=yes`). Every
  descendant stays in it whatever it does; ending the job writes `cgroup.kill`.
- `pidns` (no cgroup, but the job user may create namespaces): the runner makes a PID
  namespace whose init waits for it (jobns.py); when the runner ends, or the server dies,
  the kernel kills everything in the namespace.
- `pgroup` (otherwise): the runner's process group, plus a sweep of the runner's
  descendants (the runner is a child subreaper, so orphans of the job stay its
  descendants while it lives, and it sweeps them itself when the program ends).

Every cage is recorded as a file in `<data dir>/cages/` until it is emptied, so a server
that was killed (kill -9, power loss) ends the leftovers of its jobs on its next start.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from pathlib import Path

log = logging.getLogger("torchpad.server")

CGROUP2_MOUNTS = "/proc/self/mountinfo"


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (index 0 is the state), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot: with the pid, a name no reuse can fake."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def descendants(pid: int) -> list[int]:
    """Every living descendant of `pid`, found through the parent links in /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(int(entry))) and fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            out.append(child)
            todo.append(child)
    return out


def _kill(pids, sig=signal.SIGKILL) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _killpg(pgid: int, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def cgroup2_root() -> Path | None:
    """This process's own cgroup v2 directory when this process may create cgroups under it."""
    try:
        mounts = Path(CGROUP2_MOUNTS).read_text().splitlines()
        own = next(line[3:] for line in Path("/proc/self/cgroup").read_text().splitlines() if line.startswith("0::"))
    except (OSError, StopIteration):
        return None
    for line in mounts:
        left, _, right = line.partition(" - ")
        if right.split()[:1] == ["cgroup2"]:
            mount_root, mount_point = left.split()[3], left.split()[4]
            rel = os.path.relpath(own, mount_root) if own.startswith(mount_root) else None
            if rel is None:
                continue
            path = Path(mount_point) / rel if rel != "." else Path(mount_point)
            if os.access(path, os.W_OK) and os.access(path / "cgroup.procs", os.W_OK):
                return path
    return None


def kill_cgroup(path: Path) -> bool:
    """SIGKILL everything in the cgroup `path` and remove it; False when it could not be emptied."""
    if not path.is_dir():
        return True
    for _ in range(100):
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            pids = []
        if not pids:
            break
        try:
            (path / "cgroup.kill").write_text("1")  # Linux >= 5.14: the kernel kills them all at once
        except OSError:
            _kill(pids)  # older kernels: one by one until the cgroup stays empty
        time.sleep(0.01)
    for _ in range(100):
        try:
            path.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:  # EBUSY while the last ones exit
            time.sleep(0.01)
    return False


class Cage:
    """One runner and everything it starts."""

    def __init__(self, pid: int, record: Path, cgroup: Path | None):
        self.pid, self.record, self.cgroup = pid, record, cgroup
        self._known: set[int] = set()

    def note_descendants(self) -> None:
        """Remember the runner's descendants now (before it is stopped and its orphans move to PID 1)."""
        if self.cgroup is None:
            self._known.update(descendants(self.pid))

    def kill_all(self) -> bool:
        """SIGKILL the runner's group and every process of the job; True when none is left."""
        _killpg(self.pid)
        if self.cgroup is not None:
            emptied = kill_cgroup(self.cgroup)
        else:
            self._known.update(descendants(self.pid))
            _kill(self._known)
            emptied = True
        if emptied:
            self.record.unlink(missing_ok=True)
        return emptied


class Containment:
    """Makes the cages, and ends the ones a previous server run left behind."""

    def __init__(self, data_dir: Path, mode: str = "auto", pid_namespaces=None):
        """`pid_namespaces()` says why a runner cannot have a PID namespace of its own (None: it can)."""
        if mode not in ("auto", "cgroup", "pidns", "pgroup"):
            raise ValueError(f"job containment must be auto, cgroup, pidns or pgroup, not {mode!r}")
        self.records = data_dir / "cages"
        self.records.mkdir(parents=True, exist_ok=True, mode=0o700)
        root = cgroup2_root() if mode in ("auto", "cgroup") else None
        if mode == "cgroup" and root is None:
            raise RuntimeError("TORCHPAD_JOB_CONTAINMENT=cgroup, but no writable cgroup v2 directory was found")
        self.base = None
        if root is not None:
            self.base = root / f"torchpad-{os.getpid()}"
            try:
                self.base.mkdir(exist_ok=True)
            except OSError as e:
                log.warning("job containment: cannot create %s (%s); trying PID namespaces, else process groups", self.base, e)
                self.base = None
        self.mode, self.why_not = ("cgroup", None) if self.base else self._without_cgroup(mode, pid_namespaces)

    @staticmethod
    def _without_cgroup(mode: str, pid_namespaces) -> tuple[str, str | None]:
        """pidns where a runner can make one, else pgroup; with why the stronger kinds are not used."""
        if mode == "pgroup":
            return "pgroup", "TORCHPAD_JOB_CONTAINMENT=pgroup"
        why = pid_namespaces() if pid_namespaces else "this executor does not make PID namespaces"
        if why is None:
            return "pidns", "no writable cgroup v2 directory" if mode == "auto" else None
        if mode == "pidns":
            raise RuntimeError(f"TORCHPAD_JOB_CONTAINMENT=pidns, but a job cannot have a PID namespace here: {why}")
        return "pgroup", f"no writable cgroup v2 directory; no PID namespace ({why})"

    def sweep_leftovers(self) -> int:
        """End what jobs of an earlier server run left (by their records); the number of cages ended."""
        ended = 0
        for record in sorted(self.records.glob("*.json")):
            try:
                cage = json.loads(record.read_text())
            except (OSError, ValueError):
                record.unlink(missing_ok=True)
                continue
            if cage.get("cgroup"):
                path = Path(cage["cgroup"])
                kill_cgroup(path)
                if path.parent.name.startswith("torchpad-") and path.parent != self.base:
                    try:
                        path.parent.rmdir()
                    except OSError:
                        pass
            elif start_time(cage["pid"]) == cage.get("start"):
                _killpg(cage["pid"])
                _kill([cage["pid"]])
            record.unlink(missing_ok=True)
            ended += 1
        if ended:
            log.warning("job containment: ended the processes of %d job runner(s) left by an earlier server run", ended)
        return ended

    def cage(self, pid: int) -> Cage:
        """Put the just-spawned runner `pid` (it has started no process yet) into a cage of its own."""
        cgroup = None
        if self.base is not None:
            cgroup = self.base / f"runner-{pid}"
            try:
                cgroup.mkdir()
                (cgroup / "cgroup.procs").write_text(str(pid))
            except OSError as e:
                log.warning("job containment: cannot use cgroup %s (%s); this runner relies on its process group", cgroup, e)
                kill_cgroup(cgroup)
                cgroup = None
        record = self.records / f"{pid}.json"
        record.write_text(json.dumps({"pid": pid, "start": start_time(pid), "cgroup": str(cgroup) if cgroup else None}))
        return Cage(pid, record, cgroup)

    def close(self) -> None:
        if self.base is not None:
            try:
                self.base.rmdir()
            except OSError:
                pass
