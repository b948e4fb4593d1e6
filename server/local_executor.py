"""The local executor: each job in its own process group on this machine, real PyTorch.

GPUs are handed out from a pool through CUDA_VISIBLE_DEVICES (jobs queue while all are
busy); CPU jobs take a slot from a small pool. One pre-spawned runner process (see
runner.py) waits with torch already imported, so a single-process job starts at once;
the next spare is started when a job ends, so its import never slows a running job.
`gpus: N > 1` starts N runner processes with the torchrun environment variables
(RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT): NCCL on GPUs, gloo on CPU.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
import sys

from .containment import Cage, Containment
from .jobns import JobView
from .executor import Emit, JobSpec, Started
from .jobenv import JobDirs, JobUser, job_environ
from .jobfiles import OutputLimits, collect_outputs, digests, encode_inputs
from .hostinfo import HostInfo, select_gpus
from .outcome import job_outcome
from .pool import Pool
from .wire import decode_line
from .wire import STREAM_LIMIT, free_port

log = logging.getLogger("torchpad.server")

PIPE_DRAIN_S = 1.0  # after the runner exits, how long its output may take to drain


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _ready(task: asyncio.Task) -> bool:
    """Whether a spare's spawn task has a live runner waiting for its job."""
    return task.done() and not task.cancelled() and task.exception() is None and task.result().returncode is None


async def _lines(stream: asyncio.StreamReader):
    """Decoded lines without their newline; an over-long line arrives in pieces."""
    while True:
        try:
            raw = await stream.readuntil(b"\n")
        except asyncio.IncompleteReadError as e:
            if e.partial:
                yield e.partial.decode("utf-8", "replace")
            return
        except asyncio.LimitOverrunError as e:
            raw = await stream.readexactly(e.consumed)
        yield raw.decode("utf-8", "replace").rstrip("\n")


class LocalExecutor:
    name = "local"

    def __init__(self, settings, host: HostInfo):
        self.settings = settings
        self.gpu_ids = select_gpus(settings.gpus, len(host.devices)) if host.cuda else []
        self.gpus = Pool(self.gpu_ids, "GPU")
        self.cpus = Pool(range(max(1, settings.cpu_slots)), "CPU slot")
        self._spares: list[asyncio.Task] = []  # spare runners importing torch or ready, oldest first
        self._procs: set[asyncio.subprocess.Process] = set()
        self._cages: dict[int, Cage] = {}  # runner pid -> its cage (containment.py)
        self._dirs: dict[int, str] = {}  # runner pid -> its working directory's name
        self._retiring: set[asyncio.Task] = set()
        self._serial = itertools.count(1)
        self.job_user = JobUser(settings.job_user)
        self.job_dirs = JobDirs(self.job_user)
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # it must exist to be hidden from jobs
        self.view = JobView([settings.data_dir, settings.token_file], self.job_user.spawn_args(), self.job_dirs.root)
        self.containment = Containment(settings.data_dir, settings.job_containment, self.view.pid_namespace_error)
        self.view.pid_namespace = self.containment.mode == "pidns"
        self._closing = False

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.to_thread(self.containment.sweep_leftovers)
        log.warning("job isolation: processes kept together by %s%s; data directory hidden from jobs by %s%s",
                    self.containment.mode, f" ({self.containment.why_not})" if self.containment.why_not else "",
                    self.view.files(), f"; jobs run as {self.job_user.name}" if self.job_user.name else "")
        self._fill_spares()

    async def close(self) -> None:
        self._closing = True
        for task in self._spares:
            task.cancel()
        await asyncio.gather(*self._spares, return_exceptions=True)
        for proc in list(self._procs):
            _killpg(proc.pid, signal.SIGKILL)
        for proc in list(self._procs):
            await proc.wait()
            await self._uncage(proc)
        self.containment.close()
        self.job_dirs.close()

    def info(self) -> dict:
        ready = sum(1 for t in self._spares if _ready(t))
        return {"name": self.name, "warm_ready": ready > 0, "spares": {"ready": ready, "starting": len(self._spares) - ready}, "containment": self.containment.mode,
                "data_dir_hidden_by": self.view.files(), "job_user": self.job_user.name,
                "gpus": self.gpu_ids, "gpus_free": len(self.gpus.free),
                "cpu_slots": self.cpus.size, "cpu_slots_free": len(self.cpus.free), "waiting": self.gpus.waiting + self.cpus.waiting}

    async def _spawn(self) -> asyncio.subprocess.Process:
        """A runner in its own cage and directory, with the job environment (jobenv.py), once torch is imported."""
        name = f"runner-{next(self._serial)}"
        home = await asyncio.to_thread(self.job_dirs.make, name)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "torchpad.server.runner", str(os.getpid()), *self.view.args(),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True, limit=STREAM_LIMIT, cwd=home, env=job_environ(os.environ, str(home)),
            **self.job_user.spawn_args())
        self._procs.add(proc)
        self._dirs[proc.pid] = name
        try:
            self._cages[proc.pid] = self.containment.cage(proc.pid)
        except OSError:
            _killpg(proc.pid, signal.SIGKILL)
            raise
        try:
            await proc.stdout.readline()  # {"kind": "warm"}: torch is imported (b"" if it died trying)
        except asyncio.CancelledError:  # a spare no longer wanted, or shutdown: it must not linger
            await asyncio.shield(self._retire(proc))
            raise
        return proc

    async def _retire(self, proc) -> None:
        """End a runner that will get no job, with its cage and directory."""
        _killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        await self._uncage(proc)
        self._procs.discard(proc)

    def _drop_spare(self, task: asyncio.Task) -> None:
        if not task.done():
            task.cancel()  # _spawn retires its runner
        elif _ready(task):
            retiring = asyncio.create_task(self._retire(task.result()))
            self._retiring.add(retiring)  # held until done (the loop keeps only weak references)
            retiring.add_done_callback(self._retiring.discard)

    async def _take_warm(self) -> asyncio.subprocess.Process:
        """A ready spare (else the one closest to ready), claimed for this job alone; a job cancelled
        while it waits for the spare to import torch gives it back, so no runner is leaked."""
        for attempt in range(3):
            task = next((t for t in self._spares if _ready(t)), self._spares[0] if self._spares else None)
            if task is None:
                task = asyncio.create_task(self._spawn())
            else:
                self._spares.remove(task)
            self._fill_spares()  # its replacement starts now: the next re-run finds one ready
            try:
                proc = await asyncio.shield(task)  # a cancelled job must not cancel (and leak) the spawn
            except asyncio.CancelledError:
                if not task.cancelled():  # give it back; past `warm_runners`, the newest spare goes
                    self._spares.insert(0, task)
                    while len(self._spares) > self.settings.warm_runners:
                        self._drop_spare(self._spares.pop())
                raise
            except Exception:  # noqa: BLE001 - this runner could not start: try another, then fail the job
                if attempt == 2:
                    raise
                continue
            if proc.returncode is None:
                return proc
            self._procs.discard(proc)  # it died while waiting (killed from outside)
            await self._uncage(proc)
        raise RuntimeError("no job process could be started (each died before its job arrived)")

    def _fill_spares(self) -> None:
        """Start spare runners up to `warm_runners` (default 2: one ready, one importing torch) as soon
        as a job takes one, so a re-run finds one ready; the import (a few CPU-seconds on one core)
        overlaps the job that took the spare."""
        while len(self._spares) < self.settings.warm_runners and not self._closing:
            self._spares.append(asyncio.create_task(self._spawn()))

    # -- one job ------------------------------------------------------------------------
    async def run(self, job: JobSpec, emit: Emit, started: Started) -> tuple[str, str | None]:
        opts = job.options
        cuda = opts.device == "cuda" or (opts.device == "auto" and bool(self.gpu_ids))
        if cuda and not self.gpu_ids:
            return "failed", "this server has no CUDA GPU available to jobs (options.device is 'cuda')"
        if cuda and opts.gpus > len(self.gpu_ids):
            return "failed", f"the job asks for {opts.gpus} GPUs; this server has {len(self.gpu_ids)}"
        pool = self.gpus if cuda else self.cpus
        n = min(opts.gpus, pool.size)
        if reason := pool.wait_reason(n):
            emit({"kind": "status", "state": "queued", "reason": reason})
        taken = await pool.acquire(n)
        try:
            return await self._run_processes(job, taken if cuda else None, emit, started)
        finally:
            pool.release(taken)

    async def _run_processes(self, job: JobSpec, gpu_ids, emit: Emit, started: Started):
        world = job.options.gpus
        env = {"TORCHPAD_JOB_ID": job.id, "TORCHPAD_DEVICE": "cuda" if gpu_ids is not None else "cpu",
               "CUDA_VISIBLE_DEVICES": ",".join(map(str, gpu_ids or []))}
        if world > 1:
            env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), WORLD_SIZE=str(world),
                       LOCAL_WORLD_SIZE=str(world))
        procs: list[asyncio.subprocess.Process] = []
        results: dict[int, dict] = {}
        kept_dir, given = None, {}
        try:
            if world == 1:
                procs.append(await self._take_warm())
            else:
                procs += await asyncio.gather(*(self._spawn() for _ in range(world)))
            kept_dir = self._dirs.pop(procs[0].pid, None)  # rank 0's: its files are collected before it goes
            inputs = await job.input_files()
            given, files = digests(inputs), encode_inputs(inputs)
            del inputs
            for rank, proc in enumerate(procs):
                rank_env = {**env, "RANK": str(rank), "LOCAL_RANK": str(rank)} if world > 1 else env
                spec = {"code": job.code, "env": rank_env, "rank": rank, "world_size": world, "files": files}
                proc.stdin.write(json.dumps(spec).encode() + b"\n")
                await proc.stdin.drain()
                proc.stdin.close()
            if gpu_ids is not None:
                started(f"cuda:{','.join(map(str, gpu_ids))}")
            else:
                started("cpu" if world == 1 else f"cpu x{world} (gloo)")
            pumps = {asyncio.create_task(self._pump(p, rank, emit, results)): rank for rank, p in enumerate(procs)}
            pending = set(pumps)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if pending and any(results.get(pumps[t], {}).get("state") != "succeeded" for t in done):
                    await self._stop(procs)  # one rank failed: the others would wait for it forever
            return job_outcome([p.returncode for p in procs], results)
        finally:
            await self._stop(procs)
            if kept_dir:
                await asyncio.shield(self._collect(job, kept_dir, given))
            if world == 1:
                self._fill_spares()

    async def _collect(self, job: JobSpec, name: str, given: dict[str, str]) -> None:
        """The files the job left in its directory (jobfiles.py) into `job.outputs`, then the directory goes."""
        try:
            limits = OutputLimits.from_settings(self.settings)
            job.outputs = await asyncio.to_thread(collect_outputs, self.job_dirs.root / name, given, limits)
        finally:
            await asyncio.to_thread(self.job_dirs.remove, name)

    async def _pump(self, proc, rank: int, emit: Emit, results: dict) -> None:
        async def events():
            async for line in _lines(proc.stdout):
                for event in decode_line(line):
                    if isinstance(event, dict) and event.get("kind") == "result":
                        results[rank] = event
                    else:
                        emit(event)

        async def raw():
            async for line in _lines(proc.stderr):
                emit({"kind": "stderr", "text": line})

        readers = asyncio.gather(events(), raw())
        await proc.wait()
        try:  # the runner is gone; its output drains at once unless a leftover child holds the pipes
            await asyncio.wait_for(asyncio.shield(readers), PIPE_DRAIN_S)
        except asyncio.TimeoutError:
            await self._uncage(proc)  # the user's background children end with the job
            await readers

    async def _stop(self, procs) -> None:
        """SIGTERM each process group, SIGKILL after the grace period; reap; end the rest of each cage."""
        alive = [p for p in procs if p.returncode is None]
        for p in alive:
            if cage := self._cages.get(p.pid):
                cage.note_descendants()
        for p in alive:
            _killpg(p.pid, signal.SIGTERM)
        if alive:
            try:
                await asyncio.wait_for(asyncio.gather(*(p.wait() for p in alive)), self.settings.kill_grace_s)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass
        for p in procs:
            _killpg(p.pid, signal.SIGKILL)  # the user's own children, if any outlived the runner
        for p in procs:
            await asyncio.shield(p.wait())
            await asyncio.shield(self._uncage(p))
            self._procs.discard(p)

    async def _uncage(self, proc) -> None:
        """SIGKILL whatever is left of the runner's cage (daemons the program started) and drop it."""
        cage = self._cages.get(proc.pid)
        if cage is not None:
            if await asyncio.to_thread(cage.kill_all):
                self._cages.pop(proc.pid, None)
        if name := self._dirs.pop(proc.pid, None):
            await asyncio.to_thread(self.job_dirs.remove, name)
