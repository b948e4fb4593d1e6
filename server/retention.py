"""Retention: finished jobs and share links do not pile up for ever.

Three limits, each off when 0: finished jobs older than `keep_jobs_days` are deleted, share
links older than `keep_shares_days` too, and while the database holds more than
`max_data_gb` the oldest of them (finished jobs and share links alike) go first. A sweep runs
at start and every `retention_sweep_s`; `DELETE /api/jobs/{id}` and `DELETE /api/shares/{id}`
delete one at once.

Deleting a job with a million events takes SQLite a while, so rows are deleted on a thread
through a connection of its own, in short transactions: the event loop's writes (which wait
for a lock only briefly) are never held up for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from pathlib import Path

from .jobs import FINAL
from .protocol import ProtocolError
from .store import StoreUnavailable

log = logging.getLogger("torchpad.server")
DAY = 86400.0
CHUNK = 5000  # events deleted per transaction
GB = 1e9


class Retention:
    def __init__(self, db_path: Path, jobs, settings):
        self.db_path, self.jobs, self.settings = db_path, jobs, settings
        self._task: asyncio.Task | None = None
        self._lock = asyncio.Lock()  # one sweep or deletion at a time

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        await self.sweep()
        if self.settings.retention_sweep_s > 0:
            self._task = asyncio.create_task(self._every())

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(self.settings.retention_sweep_s)
            try:
                await self.sweep()
            except sqlite3.Error as e:  # a locked or full database: try again next time
                log.warning("retention: sweep failed: %s", e)

    # -- one item -----------------------------------------------------------------------
    async def delete_job(self, job_id: str) -> None:
        state = self.jobs.require(job_id)
        if state not in FINAL:
            raise ProtocolError("job_running", f"job {job_id} is {state}; cancel it and delete it once it has finished")
        async with self._lock:
            try:
                await asyncio.to_thread(self._delete_jobs, [job_id])
            except sqlite3.Error as e:  # locked or full: 503; what is left goes on a retry or the next sweep
                raise StoreUnavailable(e) from None
        self.jobs.forget(job_id)

    async def delete_share(self, share_id: str) -> None:
        async with self._lock:
            try:
                deleted = await asyncio.to_thread(self._run, "DELETE FROM shares WHERE id = ?", (share_id,))
            except sqlite3.Error as e:
                raise StoreUnavailable(e) from None
        if not deleted:
            raise ProtocolError("unknown_share", "no such share link")

    # -- the sweep ----------------------------------------------------------------------
    async def sweep(self) -> dict:
        """Apply the three limits now; how many jobs and share links went."""
        s = self.settings
        async with self._lock:
            result = await asyncio.to_thread(self._sweep, time.time(), s.keep_jobs_days, s.keep_shares_days,
                                             s.max_data_gb * GB)
        for job_id in result["job_ids"]:
            self.jobs.forget(job_id)
        if result["job_ids"] or result["shares"]:
            log.warning("retention: deleted %d finished jobs and %d share links", len(result["job_ids"]), result["shares"])
        return result

    def _sweep(self, now: float, keep_jobs_days: float, keep_shares_days: float, max_bytes: float) -> dict:
        with contextlib.closing(self._connect()) as db:
            self._delete_orphans(db)
            old_jobs = [r[0] for r in db.execute(
                "SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') AND finished < ?",
                (now - keep_jobs_days * DAY,))] if keep_jobs_days > 0 else []
            self._delete_jobs(old_jobs, db)
            shares = db.execute("DELETE FROM shares WHERE created < ?", (now - keep_shares_days * DAY,)).rowcount \
                if keep_shares_days > 0 else 0
            deleted = list(old_jobs)
            while max_bytes > 0 and _bytes_in_use(db) > max_bytes:  # the oldest finished job or share link goes
                job = db.execute("SELECT id, finished FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled') "
                                 "ORDER BY finished LIMIT 1").fetchone()
                share = db.execute("SELECT id, created FROM shares ORDER BY created LIMIT 1").fetchone()
                if job and not (share and share[1] < job[1]):
                    self._delete_jobs([job[0]], db)
                    deleted.append(job[0])
                elif share:
                    shares += db.execute("DELETE FROM shares WHERE id = ?", (share[0],)).rowcount
                else:
                    log.warning("retention: the database holds %.3f GB, over --max-data-gb, and only running "
                                "or queued jobs are left", _bytes_in_use(db) / GB)
                    break
        return {"job_ids": deleted, "shares": shares}

    # -- SQL ------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=5, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 5000")
        return db

    def _run(self, sql: str, args: tuple) -> int:
        with contextlib.closing(self._connect()) as db:
            return db.execute(sql, args).rowcount

    def _delete_jobs(self, job_ids: list[str], db: sqlite3.Connection | None = None) -> None:
        """The job rows first (readers see 404 at once), then their files, then their events in short transactions."""
        own = db is None
        db = db or self._connect()
        try:
            for job_id in job_ids:
                db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
                db.execute("DELETE FROM job_files WHERE job = ?", (job_id,))  # its files in and out (jobfiles.py)
                while self._delete_chunk(db, job_id):
                    pass
        finally:
            if own:
                db.close()

    def _delete_orphans(self, db: sqlite3.Connection) -> None:
        """Events of jobs whose row is gone (a deletion cut short by a locked or full database)."""
        orphans, job = [], ""
        while row := db.execute("SELECT job FROM events WHERE job > ? ORDER BY job LIMIT 1", (job,)).fetchone():
            job = row[0]  # one index lookup per job that has events, not a scan of every event
            if db.execute("SELECT 1 FROM jobs WHERE id = ?", (job,)).fetchone() is None:
                orphans.append(job)
        if orphans:
            self._delete_jobs(orphans, db)
            log.warning("retention: deleted the events of %d job(s) whose deletion had been cut short", len(orphans))

    @staticmethod
    def _delete_chunk(db: sqlite3.Connection, job_id: str) -> bool:
        """Delete up to CHUNK of the job's events (one transaction); whether any may be left."""
        row = db.execute("SELECT seq FROM events WHERE job = ? ORDER BY seq LIMIT 1 OFFSET ?", (job_id, CHUNK - 1)).fetchone()
        if row is None:  # the last chunk
            db.execute("DELETE FROM events WHERE job = ?", (job_id,))
            return False
        db.execute("DELETE FROM events WHERE job = ? AND seq <= ?", (job_id, row[0]))
        return True


def _bytes_in_use(db: sqlite3.Connection) -> int:
    """Bytes of the database's pages that hold data (deleted rows' pages go to the free list)."""
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0]
    return pages * page_size
