"""SQLite (WAL) persistence for jobs, their events and share links.

Every event gets its `seq` here, so numbering is gap-free per job, and is written before
anyone sees it: into SQLite, or, when SQLite refuses (another process holds it locked,
the disk is full), into the job's spill file (spill.py), from which a background thread
writes it into SQLite later; reads merge both. The store is used from the server's event
loop thread; each call is one short transaction that waits at most WRITE_WAIT_S for a
lock, so a locked database never freezes the server. Submits and share links that
cannot be written get a 503 with the reason (StoreUnavailable).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import time
from pathlib import Path

from .events import encode
from .protocol import ProtocolError
from .spill import Spill

log = logging.getLogger("torchpad.server")
WRITE_WAIT_S = 0.1  # how long a write on the event loop waits for another process's lock

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, code TEXT NOT NULL, options TEXT NOT NULL,
  state TEXT NOT NULL, reason TEXT, device TEXT,
  created REAL NOT NULL, started REAL, finished REAL);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, created);
CREATE TABLE IF NOT EXISTS events (
  job TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (job, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shares (id TEXT PRIMARY KEY, payload TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS job_files (
  job TEXT NOT NULL, io TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, note TEXT, data BLOB,
  UNIQUE (job, io, name));
"""

JOB_COLUMNS = ("id", "name", "state", "reason", "device", "created", "started", "finished")


class StoreUnavailable(ProtocolError):
    """SQLite cannot take or give this now (locked, disk full, I/O error): HTTP 503, with why."""

    def __init__(self, error: Exception):
        super().__init__("store_unavailable", f"the job store is unavailable ({error}); try again shortly")


def _unavailable_on_error(method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as e:
            log.warning("store: %s failed: %s", method.__name__, e)
            raise StoreUnavailable(e) from None
    return wrapper


class Store:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.parent.chmod(0o700)  # jobs and other local users: no way in (docs/self-hosting.md)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))  # SQLite gives its -wal/-shm files these permissions
        path.chmod(0o600)
        self.path = path
        self.db = sqlite3.connect(path, timeout=WRITE_WAIT_S, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
        self.db.executescript(SCHEMA)
        self._last_seq: dict[str, int] = {}
        self.spill = Spill(path.parent / "spill", path)
        self.spill.load()

    def close(self) -> None:
        self.spill.close()
        self.db.close()

    # -- jobs ---------------------------------------------------------------------------
    @_unavailable_on_error
    def create_job(self, job_id: str, name: str, code: str, options: dict, files: dict[str, bytes] | None = None) -> None:
        """The job's row and the files sent with it (jobfiles.py), in one transaction."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT INTO jobs (id, name, code, options, state, created) VALUES (?, ?, ?, ?, 'new', ?)",
                            (job_id, name, code, json.dumps(options), time.time()))
            self.db.executemany("INSERT INTO job_files (job, io, name, size, data) VALUES (?, 'in', ?, ?, ?)",
                                [(job_id, n, len(d), d) for n, d in (files or {}).items()])
        self._last_seq[job_id] = 0

    # -- files (jobfiles.py) --------------------------------------------------------------
    @_unavailable_on_error
    def input_files(self, job_id: str) -> dict[str, bytes]:
        """The files sent with the job (run on a thread, when the job starts)."""
        db = self._aside()
        try:
            rows = db.execute("SELECT name, data FROM job_files WHERE job = ? AND io = 'in' ORDER BY rowid", (job_id,))
            return {name: bytes(data) for name, data in rows}
        finally:
            db.close()

    @_unavailable_on_error
    def output_files(self, job_id: str) -> list[dict]:
        """What the job left in its directory: name, size and, for what was not kept, why."""
        rows = self.db.execute("SELECT name, size, note FROM job_files WHERE job = ? AND io = 'out' ORDER BY name", (job_id,))
        return [{"name": n, "size": size, **({"note": note} if note else {})} for n, size, note in rows]

    def _aside(self) -> sqlite3.Connection:
        """A connection for a worker thread: big files are written and read off the event loop."""
        db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 5000")
        return db

    @_unavailable_on_error
    def save_outputs(self, job_id: str, files: list) -> None:
        """Store the collected files (jobfiles.OutputFile), one short transaction each (run on a thread)."""
        db = self._aside()
        try:
            for f in files:
                db.execute("INSERT OR REPLACE INTO job_files (job, io, name, size, note, data) VALUES (?, 'out', ?, ?, ?, ?)",
                           (job_id, f.name, f.size, f.note, f.data))
        finally:
            db.close()

    @_unavailable_on_error
    def output_data(self, job_id: str, name: str) -> bytes | None:
        """One kept file's bytes (run on a thread); None when there is no such kept file."""
        db = self._aside()
        try:
            row = db.execute("SELECT data FROM job_files WHERE job = ? AND io = 'out' AND name = ? AND data IS NOT NULL",
                             (job_id, name)).fetchone()
        finally:
            db.close()
        return bytes(row[0]) if row else None

    @_unavailable_on_error
    def get_job(self, job_id: str, with_code: bool = False) -> dict | None:
        cols = JOB_COLUMNS + (("options", "code") if with_code else ("options",))
        row = self.db.execute(f"SELECT {', '.join(cols)} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = {**dict(zip(cols, row)), **self.spill.change(job_id)}
        job["options"] = json.loads(job["options"])
        job["last_seq"] = self.last_seq(job_id)
        return job

    @_unavailable_on_error
    def list_jobs(self, limit: int = 100) -> list[dict]:
        rows = self.db.execute(f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs ORDER BY created DESC LIMIT ?", (limit,))
        return [{**dict(zip(JOB_COLUMNS, r)), **self.spill.change(r[0])} for r in rows]

    def job_ids(self, state: str) -> list[str]:
        ids = [r[0] for r in self.db.execute("SELECT id FROM jobs WHERE state = ? ORDER BY created", (state,))]
        waiting = {job: self.spill.change(job).get("state") for job in self.spill.jobs()}
        return [j for j in ids if waiting.get(j) in (None, state)] + \
            [j for j, s in waiting.items() if s == state and j not in ids]

    def count(self, state: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM jobs WHERE state = ?", (state,)).fetchone()[0]

    # -- events -------------------------------------------------------------------------
    def last_seq(self, job_id: str) -> int:
        if job_id not in self._last_seq:
            row = self.db.execute("SELECT MAX(seq) FROM events WHERE job = ?", (job_id,)).fetchone()
            self._last_seq[job_id] = max(row[0] or 0, self.spill.last_seq(job_id) or 0)
        return self._last_seq[job_id]

    def append(self, job_id: str, event: dict, state_change: dict | None = None) -> tuple[dict, str]:
        """Give `event` the next seq and write it (with an optional jobs-row update) in one transaction."""
        seq = self.last_seq(job_id) + 1
        event = {"seq": seq, **event}
        data = encode(event)
        self._write(job_id, [(seq, data, state_change)])
        self._last_seq[job_id] = seq
        return event, data

    def _write(self, job_id: str, rows: list[tuple[int, str, dict | None]]) -> None:
        """Rows into SQLite in one transaction, or into the spill when SQLite refuses (or rows already wait there)."""
        if self.spill.waiting(job_id):
            self.spill.add(job_id, rows)
            return
        try:
            with self.db:  # BEGIN ... COMMIT, or ROLLBACK on error
                self.db.execute("BEGIN")
                self.db.executemany("INSERT INTO events (job, seq, data) VALUES (?, ?, ?)",
                                    [(job_id, seq, data) for seq, data, _ in rows])
                for _, _, change in rows:
                    if change:
                        sets = ", ".join(f"{k} = ?" for k in change)
                        self.db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*change.values(), job_id))
        except sqlite3.Error as e:
            self.spill.add(job_id, rows, str(e))

    def append_many(self, job_id: str, events: list[dict]) -> list[tuple[dict, str]]:
        """Number and write a batch of events in one transaction (cheaper than one commit each)."""
        seq = self.last_seq(job_id)
        out = []
        for event in events:
            seq += 1
            event = {"seq": seq, **event}
            out.append((event, encode(event)))
        self._write(job_id, [(e["seq"], data, None) for e, data in out])
        self._last_seq[job_id] = seq
        return out

    @_unavailable_on_error
    def events_after(self, job_id: str, after: int, limit: int = 500) -> list[tuple[int, str]]:
        """(seq, event as stored JSON text) with seq > after, in order (SQLite's, then the spill's)."""
        rows = self.db.execute("SELECT seq, data FROM events WHERE job = ? AND seq > ? ORDER BY seq LIMIT ?", (job_id, after, limit))
        rows = rows.fetchall()
        if len(rows) < limit and self.spill.waiting(job_id):
            rows += self.spill.after(job_id, rows[-1][0] if rows else after)[:limit - len(rows)]
        return rows

    # -- shares -------------------------------------------------------------------------
    @_unavailable_on_error
    def create_share(self, share_id: str, payload: str) -> None:
        self.db.execute("INSERT INTO shares (id, payload, created) VALUES (?, ?, ?)", (share_id, payload, time.time()))

    def get_share(self, share_id: str) -> str | None:
        row = self.db.execute("SELECT payload FROM shares WHERE id = ?", (share_id,)).fetchone()
        return row[0] if row else None
