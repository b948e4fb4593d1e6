"""What SQLite refused to write yet (locked by another process, disk full), kept until it takes it.

When a write fails, the store hands its rows (numbered events and job-row changes) to the
spill: they are kept in memory in order, so followers and REST keep seeing them, and are
appended to `<data dir>/spill/<job>.jsonl` (fsynced), so a server that dies meanwhile
replays them on its next start. A background thread (never the event loop) retries with
backoff and, once SQLite takes the rows, deletes the file. Later rows of a job that has
rows waiting go to the spill too, so nothing overtakes them. A job whose spill file cannot
be written either (the disk is full) is named in `unsafe`, so its job can be failed with
the reason instead of running on while its output cannot be kept.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("torchpad.server")

RETRY_FIRST_S, RETRY_MAX_S = 0.1, 5.0
Row = tuple  # (seq, event JSON text, job-row change dict or None)


class Spill:
    def __init__(self, directory: Path, db_path: Path):
        self.dir, self.db_path = directory, db_path
        self.dir.mkdir(mode=0o700, exist_ok=True)
        self.rows: dict[str, list[Row]] = {}
        self.unsafe: dict[str, str] = {}  # job -> why its rows are in memory only
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- the event loop's side ------------------------------------------------------------
    def waiting(self, job_id: str) -> bool:
        return job_id in self.rows

    def add(self, job_id: str, rows: list[Row], error: str | None = None) -> None:
        """Keep `rows` (SQLite refused them with `error`, or earlier rows of the job still wait)."""
        with self._lock:
            first = job_id not in self.rows
            self.rows.setdefault(job_id, []).extend(rows)
        if first:
            log.warning("store: could not write job %s (%s); its events wait in %s until SQLite takes them",
                        job_id, error or "earlier events wait", self._file(job_id))
        try:
            with open(self._file(job_id), "a", encoding="utf-8") as f:
                f.writelines(json.dumps([seq, data, change]) + "\n" for seq, data, change in rows)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            if job_id not in self.unsafe:
                self.unsafe[job_id] = f"the server cannot store this job's output ({error or 'database unavailable'}; " \
                                      f"spill file: {e.strerror or e})"
                log.error("store: job %s: %s; its events are kept in memory only", job_id, self.unsafe[job_id])
        self._start()

    def after(self, job_id: str, after: int) -> list[tuple[int, str]]:
        with self._lock:
            return [(seq, data) for seq, data, _ in self.rows.get(job_id, ()) if seq > after]

    def last_seq(self, job_id: str) -> int | None:
        with self._lock:
            rows = self.rows.get(job_id)
            return rows[-1][0] if rows else None

    def change(self, job_id: str) -> dict:
        """The job-row changes still waiting, merged in order."""
        out: dict = {}
        with self._lock:
            for _, _, change in self.rows.get(job_id, ()):
                out.update(change or {})
        return out

    def jobs(self) -> list[str]:
        with self._lock:
            return list(self.rows)

    def load(self) -> int:
        """Read the spill files a previous run left (its rows were never written); the number of jobs."""
        for path in sorted(self.dir.glob("*.jsonl")):
            rows = []
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    seq, data, change = json.loads(line)
                except ValueError:  # a line cut short by the crash: the rows before it are whole
                    break
                rows.append((seq, data, change))
            if rows:
                self.rows[path.stem] = rows
            else:
                path.unlink(missing_ok=True)
        if self.rows:
            log.warning("store: replaying the waiting events of %d job(s) from %s", len(self.rows), self.dir)
            self._start()
        return len(self.rows)

    def close(self, timeout: float = 5.0) -> None:
        """Give the writer a last chance; what it cannot write stays in the spill files for the next start."""
        self._closed = True
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    # -- the writer thread ----------------------------------------------------------------
    def _file(self, job_id: str) -> Path:
        return self.dir / f"{job_id}.jsonl"

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="torchpad-spill", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        delay, failures = RETRY_FIRST_S, 0
        while True:
            with self._lock:
                if not self.rows:
                    self._thread = None
                    return
            try:
                self._write_all()
                delay = RETRY_FIRST_S
                if failures:
                    log.warning("store: SQLite takes writes again after %d failed attempt(s); waiting events written",
                                failures)
                failures = 0
            except (sqlite3.Error, OSError) as e:
                failures += 1
                log.warning("store: retry %d of writing waiting events failed (%s); next in %.1f s", failures, e, delay)
                if self._closed:
                    with self._lock:
                        self._thread = None
                    return
                self._wake.wait(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    def _write_all(self) -> None:
        db = sqlite3.connect(self.db_path, timeout=1.0, isolation_level=None)
        try:
            for job_id in self.jobs():
                with self._lock:
                    rows = list(self.rows.get(job_id, ()))
                if not rows:
                    continue
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    # A job deleted meanwhile (DELETE /api/jobs, retention) gets no orphan events.
                    db.executemany("INSERT OR IGNORE INTO events (job, seq, data) "
                                   "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?)",
                                   [(job_id, seq, data, job_id) for seq, data, _ in rows])
                    for _, _, change in rows:
                        if change:
                            sets = ", ".join(f"{k} = ?" for k in change)
                            db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*change.values(), job_id))
                with self._lock:
                    left = self.rows[job_id][len(rows):]
                    if left:
                        self.rows[job_id] = left
                        self._rewrite(job_id, left)
                    else:
                        del self.rows[job_id]
                        self._file(job_id).unlink(missing_ok=True)
                        self.unsafe.pop(job_id, None)
        finally:
            db.close()

    def _rewrite(self, job_id: str, rows: list[Row]) -> None:
        tmp = self._file(job_id).with_suffix(".tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.writelines(json.dumps([seq, data, change]) + "\n" for seq, data, change in rows)
            os.replace(tmp, self._file(job_id))
        except OSError:
            pass  # the old file still holds these rows (and some already written: INSERT OR IGNORE skips them)
