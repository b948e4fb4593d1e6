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
import json
import os
import signal
import socket
import sys

from .containment import Cage, Containment
from .executor import Emit, JobSpec, Started
from .hostinfo import HostInfo, select_gpus
from .outcome import job_outcome
from .pool import Pool
from .runner import decode_line

STREAM_LIMIT = 1 << 20  # longest line read from a job process


PIPE_DRAIN_S = 1.0  # after the runner exits, how long its output may take to drain


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


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
        self._warm: asyncio.Task | None = None
        self._procs: set[asyncio.subprocess.Process] = set()
        self._cages: dict[int, Cage] = {}  # runner pid -> its cage (containment.py)
        self.containment = Containment(settings.data_dir, os.environ.get("TORCHPAD_JOB_CONTAINMENT", "auto"))
        self._closing = False

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        await asyncio.to_thread(self.containment.sweep_leftovers)
        self._warm = asyncio.create_task(self._spawn())

    async def close(self) -> None:
        self._closing = True
        if self._warm:
            self._warm.cancel()
            if self._warm.done() and not self._warm.cancelled() and self._warm.exception() is None:
                self._procs.add(self._warm.result())
        for proc in list(self._procs):
            _killpg(proc.pid, signal.SIGKILL)
        for proc in list(self._procs):
            await proc.wait()
            await self._uncage(proc)
        self.containment.close()

    def info(self) -> dict:
        warm_ready = bool(self._warm and self._warm.done() and not self._warm.cancelled() and self._warm.exception() is None)
        return {"name": self.name, "warm_ready": warm_ready, "containment": self.containment.mode,
                "gpus": self.gpu_ids, "gpus_free": len(self.gpus.free),
                "cpu_slots": self.cpus.size, "cpu_slots_free": len(self.cpus.free), "waiting": self.gpus.waiting + self.cpus.waiting}

    async def _spawn(self, env: dict | None = None) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "torchpad.server.runner",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True, limit=STREAM_LIMIT,
            env={**os.environ, **(env or {}), "TORCHPAD_PARENT_PID": str(os.getpid()), "PYTHONUNBUFFERED": "1"})
        self._procs.add(proc)
        try:
            self._cages[proc.pid] = self.containment.cage(proc.pid)
        except OSError:
            _killpg(proc.pid, signal.SIGKILL)
            raise
        await proc.stdout.readline()  # {"kind": "warm"}: torch is imported (b"" if it died trying)
        return proc

    async def _take_warm(self) -> asyncio.subprocess.Process:
        task, self._warm = self._warm, None
        proc = await task if task else await self._spawn()
        if proc.returncode is not None:  # it died while waiting (killed from outside)
            self._procs.discard(proc)
            await self._uncage(proc)
            proc = await self._spawn()
        return proc

    def _replace_warm(self) -> None:
        """Start the next spare runner once a job is over, so its torch import (seconds of CPU)
        never competes with a running job; a job submitted meanwhile waits for it or starts cold."""
        if self._warm is None and not self._closing:
            self._warm = asyncio.create_task(self._spawn())

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
            env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), WORLD_SIZE=str(world),
                       LOCAL_WORLD_SIZE=str(world))
        procs: list[asyncio.subprocess.Process] = []
        results: dict[int, dict] = {}
        try:
            if world == 1:
                procs.append(await self._take_warm())
            else:
                procs += await asyncio.gather(*(self._spawn() for _ in range(world)))
            for rank, proc in enumerate(procs):
                rank_env = {**env, "RANK": str(rank), "LOCAL_RANK": str(rank)} if world > 1 else env
                spec = {"code": job.code, "env": rank_env, "rank": rank, "world_size": world}
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
            if world == 1:
                self._replace_warm()

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
