"""SQLite (WAL) persistence for jobs, their events and share links.

Every event gets its `seq` here, inside the transaction that writes it, so an event that
anyone has seen is always on disk and numbering is gap-free per job. The store is used
from the server's event loop thread only; each call is one short transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from .events import encode

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, code TEXT NOT NULL, options TEXT NOT NULL,
  state TEXT NOT NULL, reason TEXT, device TEXT,
  created REAL NOT NULL, started REAL, finished REAL);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, created);
CREATE TABLE IF NOT EXISTS events (
  job TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (job, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shares (id TEXT PRIMARY KEY, payload TEXT NOT NULL, created REAL NOT NULL);
"""

JOB_COLUMNS = ("id", "name", "state", "reason", "device", "created", "started", "finished")


class Store:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
        self.db.executescript(SCHEMA)
        self._last_seq: dict[str, int] = {}

    def close(self) -> None:
        self.db.close()

    # -- jobs ---------------------------------------------------------------------------
    def create_job(self, job_id: str, name: str, code: str, options: dict) -> None:
        self.db.execute("INSERT INTO jobs (id, name, code, options, state, created) VALUES (?, ?, ?, ?, 'new', ?)",
                        (job_id, name, code, json.dumps(options), time.time()))
        self._last_seq[job_id] = 0

    def get_job(self, job_id: str, with_code: bool = False) -> dict | None:
        cols = JOB_COLUMNS + (("options", "code") if with_code else ("options",))
        row = self.db.execute(f"SELECT {', '.join(cols)} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job = dict(zip(cols, row))
        job["options"] = json.loads(job["options"])
        job["last_seq"] = self.last_seq(job_id)
        return job

    def list_jobs(self, limit: int = 100) -> list[dict]:
        rows = self.db.execute(f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs ORDER BY created DESC LIMIT ?", (limit,))
        return [dict(zip(JOB_COLUMNS, r)) for r in rows]

    def job_ids(self, state: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM jobs WHERE state = ? ORDER BY created", (state,))]

    def count(self, state: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM jobs WHERE state = ?", (state,)).fetchone()[0]

    # -- events -------------------------------------------------------------------------
    def last_seq(self, job_id: str) -> int:
        if job_id not in self._last_seq:
            row = self.db.execute("SELECT MAX(seq) FROM events WHERE job = ?", (job_id,)).fetchone()
            self._last_seq[job_id] = row[0] or 0
        return self._last_seq[job_id]

    def append(self, job_id: str, event: dict, state_change: dict | None = None) -> tuple[dict, str]:
        """Give `event` the next seq and write it (with an optional jobs-row update) in one transaction."""
        seq = self.last_seq(job_id) + 1
        event = {"seq": seq, **event}
        data = encode(event)
        with self.db:  # BEGIN ... COMMIT, or ROLLBACK on error
            self.db.execute("BEGIN")
            self.db.execute("INSERT INTO events (job, seq, data) VALUES (?, ?, ?)", (job_id, seq, data))
            if state_change:
                sets = ", ".join(f"{k} = ?" for k in state_change)
                self.db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*state_change.values(), job_id))
        self._last_seq[job_id] = seq
        return event, data

    def append_many(self, job_id: str, events: list[dict]) -> list[tuple[dict, str]]:
        """Number and write a batch of events in one transaction (cheaper than one commit each)."""
        seq = self.last_seq(job_id)
        out = []
        for event in events:
            seq += 1
            event = {"seq": seq, **event}
            out.append((event, encode(event)))
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT INTO events (job, seq, data) VALUES (?, ?, ?)",
                                [(job_id, e["seq"], data) for e, data in out])
        self._last_seq[job_id] = seq
        return out

    def events_after(self, job_id: str, after: int, limit: int = 500) -> list[tuple[int, str]]:
        """(seq, event as stored JSON text) with seq > after, in order."""
        rows = self.db.execute("SELECT seq, data FROM events WHERE job = ? AND seq > ? ORDER BY seq LIMIT ?", (job_id, after, limit))
        return rows.fetchall()

    # -- shares -------------------------------------------------------------------------
    def create_share(self, share_id: str, payload: str) -> None:
        self.db.execute("INSERT INTO shares (id, payload, created) VALUES (?, ?, ?)", (share_id, payload, time.time()))

    def get_share(self, share_id: str) -> str | None:
        row = self.db.execute("SELECT payload FROM shares WHERE id = ?", (share_id,)).fetchone()
        return row[0] if row else None
