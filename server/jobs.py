"""The job manager: the one owner of every job's state machine and event stream.

    queued -> running -> succeeded | failed | cancelled
    queued -> failed | cancelled                (no resources fit, cancelled while waiting)

Every state change and every event goes through the store (which numbers it) before it
is announced to the subscribers, who read it back from the store at their own pace.
Output events are batched: those that arrive within one event-loop turn are written in
one transaction. Subscribers are plain callbacks `(job_id, seq)`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Callable

from . import events as job_events
from .executor import JobSpec
from .limits import OutputLimiter
from .protocol import Options, ProtocolError, Submit
from .store import Store

log = logging.getLogger("torchpad.server")

FINAL = ("succeeded", "failed", "cancelled")
TRANSITIONS = {"new": ("queued",), "queued": ("running", "failed", "cancelled"), "running": FINAL}

Subscriber = Callable[[str, int], None]


class JobManager:
    def __init__(self, store: Store, executor, settings):
        self.store, self.executor, self.settings = store, executor, settings
        self._state: dict[str, str] = {}
        self._tasks: dict[str, asyncio.Task] = {}
        self._cancel_reason: dict[str, str] = {}
        self._fail_reason: dict[str, str] = {}  # jobs stopped because their output cannot be stored
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._pending: dict[str, list[dict]] = {}

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """After a restart: running jobs lost their processes; queued ones still deserve to run."""
        for job_id in self.store.job_ids("running"):
            self._transition(job_id, "failed", "server restarted")
        for job_id in self.store.job_ids("new"):  # crashed between insert and the queued event
            self._transition(job_id, "queued")
        for job_id in self.store.job_ids("queued"):
            self._launch(job_id)

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._flush()

    # -- queries ------------------------------------------------------------------------
    def state(self, job_id: str) -> str | None:
        if job_id not in self._state:
            job = self.store.get_job(job_id)
            if job is None:
                return None
            self._state[job_id] = job["state"]
        return self._state[job_id]

    def require(self, job_id: str, id: str | None = None) -> str:
        state = self.state(job_id)
        if state is None:
            raise ProtocolError("unknown_job", f"no job with id {job_id[:40]!r}", id)
        return state

    def queue_info(self) -> dict:
        return {"queued": sum(s == "queued" for s in self._state.values()),
                "running": sum(s == "running" for s in self._state.values()), "max_queued": self.settings.max_queued}

    # -- commands -----------------------------------------------------------------------
    def submit(self, req: Submit) -> str:
        if self.queue_info()["queued"] >= self.settings.max_queued:
            raise ProtocolError("queue_full", f"the queue is full ({self.settings.max_queued} jobs waiting); try again later", req.id)
        job_id = secrets.token_hex(8)
        try:
            self.store.create_job(job_id, req.name, req.code, req.options.to_json(), req.files)
        except ProtocolError as e:  # StoreUnavailable: the reply names the request
            e.id = req.id
            raise
        self._state[job_id] = "new"
        self._transition(job_id, "queued")
        self._launch(job_id)
        return job_id

    def cancel(self, job_id: str, reason: str = "cancelled by user", id: str | None = None) -> None:
        state = self.require(job_id, id)
        if state in FINAL:
            raise ProtocolError("job_finished", f"job {job_id} already finished ({state})", id)
        if job_id not in self._cancel_reason and job_id in self._tasks:
            self._cancel_reason[job_id] = reason
            self._tasks[job_id].cancel()

    def subscribe(self, job_id: str, callback: Subscriber) -> None:
        self._subscribers.setdefault(job_id, set()).add(callback)

    def forget(self, job_id: str) -> None:
        """The job was deleted (retention.py): drop what is cached and wake its followers, who then stop."""
        self._state.pop(job_id, None)
        self.store._last_seq.pop(job_id, None)
        self._broadcast(job_id, 0, "")

    def unsubscribe(self, job_id: str, callback: Subscriber) -> None:
        subs = self._subscribers.get(job_id)
        if subs:
            subs.discard(callback)
            if not subs:
                del self._subscribers[job_id]

    # -- internals ----------------------------------------------------------------------
    def _broadcast(self, job_id: str, seq: int, data: str) -> None:
        for callback in list(self._subscribers.get(job_id, ())):
            callback(job_id, seq)

    def _append(self, job_id: str, event: dict, change: dict | None = None) -> None:
        self._flush()
        event, data = self.store.append(job_id, event, change)
        self._broadcast(job_id, event["seq"], data)
        self._check_kept(job_id)

    def _queue(self, job_id: str, event: dict) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.setdefault(job_id, []).append(event)

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        for job_id, events in pending.items():
            for event, data in self.store.append_many(job_id, events):
                self._broadcast(job_id, event["seq"], data)
            self._check_kept(job_id)

    def _check_kept(self, job_id: str) -> None:
        """Fail a job whose output neither SQLite nor its spill file can keep (a full disk), with why."""
        why = self.store.spill.unsafe.get(job_id)
        if why and job_id in self._tasks and job_id not in self._fail_reason and job_id not in self._cancel_reason:
            self._fail_reason[job_id] = why
            self._tasks[job_id].cancel()

    def _transition(self, job_id: str, state: str, reason: str | None = None, device: str | None = None) -> None:
        current = self.state(job_id)
        if state not in TRANSITIONS.get(current, ()):
            log.error("job %s: refused transition %s -> %s", job_id, current, state)
            return
        import time

        event = {"kind": "status", "state": state}
        change = {"state": state, "reason": reason}
        if reason:
            event["reason"] = reason
        if device:
            event["device"] = change["device"] = device
        if state == "running":
            change["started"] = time.time()
        if state in FINAL:
            change["finished"] = time.time()
        self._state[job_id] = state
        self._append(job_id, event, change)

    def _launch(self, job_id: str) -> None:
        self._tasks[job_id] = asyncio.create_task(self._run(job_id))

    async def _run(self, job_id: str) -> None:
        row = self.store.get_job(job_id, with_code=True)
        spec = JobSpec(job_id, row["code"], Options(**row["options"]),
                       load_files=lambda: asyncio.to_thread(self.store.input_files, job_id))
        s = self.settings
        limiter = OutputLimiter(s.output_lines_per_s, s.output_burst_lines, s.output_max_bytes, s.metrics_per_s, s.metrics_burst)
        timeout = min(spec.options.timeout_s or s.job_timeout, s.job_timeout)

        def emit(raw) -> None:
            if self._state.get(job_id) == "queued" and raw.get("kind") == "status":  # the executor: why it still waits
                reason = str(raw.get("reason") or "")[:500] or None
                self._append(job_id, {"kind": "status", "state": "queued", **({"reason": reason} if reason else {})},
                             {"reason": reason})
                return
            if self._state.get(job_id) != "running":
                return
            event = job_events.clean(raw)
            if event is None:
                event = {"kind": "stderr", "text": f"[torchpad] dropped a malformed event from the job process: {str(raw)[:200]}"}
            for admitted in limiter.admit(event):
                self._queue(job_id, admitted)

        try:
            async with asyncio.timeout(None) as deadline:
                def started(device: str) -> None:
                    self._transition(job_id, "running", device=device)
                    deadline.reschedule(asyncio.get_running_loop().time() + timeout)

                state, reason = await self.executor.run(spec, emit, started)
        except TimeoutError:
            state, reason = "failed", f"timed out after {timeout:g} s (the job's wall-time limit)"
        except asyncio.CancelledError:
            if job_id in self._fail_reason:  # its output cannot be stored (_check_kept)
                self._cancel_reason.pop(job_id, None)
                state, reason = "failed", self._fail_reason.pop(job_id)
            elif job_id not in self._cancel_reason:  # server shutdown: the next start marks it failed
                self._tasks.pop(job_id, None)
                raise
            else:
                state, reason = "cancelled", self._cancel_reason.pop(job_id)
        except Exception as e:  # noqa: BLE001 - an executor bug fails one job, not the server
            log.exception("job %s: executor error", job_id)
            state, reason = "failed", f"executor error: {type(e).__name__}: {e}"
        self._tasks.pop(job_id, None)
        for notice in limiter.finish():  # a dropped stretch still open: its one notice, before the final status
            self._queue(job_id, notice)
        if spec.outputs:
            await asyncio.shield(self._keep_outputs(job_id, spec.outputs))
        self._transition(job_id, state, reason)

    async def _keep_outputs(self, job_id: str, outputs: list) -> None:
        """Store the files the job left (jobfiles.py), then say so in its stream: a `files` event,
        stored before the final status, tells a follower they can be listed and downloaded."""
        try:
            await asyncio.to_thread(self.store.save_outputs, job_id, outputs)
            listing = [f.listing() for f in outputs]
        except ProtocolError as e:  # StoreUnavailable: the list still says what was there, and why it is not kept
            listing = [{"name": f.name, "size": f.size, "note": f"not kept: {e.message}"} for f in outputs]
        self._append(job_id, {"kind": "files", "files": listing})
