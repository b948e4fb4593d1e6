"""The Ray executor: each job runs on a Ray cluster, its events streamed back while it runs.

`torchpad serve --executor ray` starts a local Ray instance (one machine, no dashboard);
with `--ray-address auto|HOST:PORT|ray://HOST:PORT` (or TORCHPAD_RAY_ADDRESS) the server
joins that cluster as a driver instead. A job is one Ray streaming-generator task asking
for its GPUs (`num_gpus`) or one CPU, with `max_retries=0`; a `gpus: N > 1` job is one
actor that runs Ray Train's TorchTrainer (see ray_tasks.py, which holds the worker side).
Either way the job process is the local executor's runner, so output, `torchpad.log`,
automatic loss logging and traceback trimming are the same on both executors.

Jobs wait in Ray's scheduler (status `queued` with the reason once resources are short);
CPU jobs also take one of this server's `cpu_slots` first, as with the local executor.
Cancel and wall-time limits are `ray.cancel(force=True)` (`ray.kill` for the Train actor);
a worker that dies under a job (kill -9, out of memory, node lost) fails the job with why.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

from .executor import Emit, JobSpec, Started
from .jobfiles import OutputFile, OutputLimits
from .hostinfo import HostInfo
from .pool import Pool

log = logging.getLogger("torchpad.server")

WAIT_EXPLAIN_S = 1.0        # a job not started after this long gets a `queued` reason (when resources are short)
WATCH_INTERVAL_S = 1.0      # how often the cluster's nodes and free resources are read
STOP_WAIT_S = 5.0           # after a forced cancel, how long to wait for Ray to confirm the job is gone
LOCAL_OBJECT_STORE = 256 * 1024 * 1024  # a local instance only moves small event batches


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else type(e).__name__


def describe_failure(e: BaseException) -> str:
    """A Ray error under a job as the job's failure reason."""
    import ray.exceptions as rex

    if isinstance(e, (rex.WorkerCrashedError, rex.ActorDiedError, rex.NodeDiedError, rex.OutOfMemoryError)):
        return f"the Ray worker running the job died ({type(e).__name__}: killed from outside, out of memory, " \
               f"or its node was lost): {_first_line(e)}"[:500]
    return f"Ray: {type(e).__name__}: {_first_line(e)}"[:500]


class RayExecutor:
    name = "ray"

    def __init__(self, settings, host: HostInfo):
        self.settings = settings
        self.address = settings.ray_address or os.environ.get("TORCHPAD_RAY_ADDRESS") or None
        self.cpus = Pool(range(max(1, settings.cpu_slots)), "CPU slot")
        self.cluster = {"nodes": [], "total": {}, "free": {}}
        self._watcher: asyncio.Task | None = None
        self._single = self._distributed = self._polled = None
        self.client = bool(self.address and self.address.startswith("ray://"))
        self._started_instance = False

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        import ray

        from . import ray_tasks

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        kw = {"namespace": "torchpad", "log_to_driver": False, "logging_level": logging.WARNING}
        if self.address is None:
            # A private single-machine instance: no dashboard, nothing listening beyond this host's Ray ports.
            kw.update(include_dashboard=False, object_store_memory=LOCAL_OBJECT_STORE)
            self._started_instance = True
        uvicorn_sigterm = signal.getsignal(signal.SIGTERM)
        ray.init(address=self.address, **kw)
        if uvicorn_sigterm is not None:  # Ray's own SIGTERM handler would skip the server's graceful shutdown
            signal.signal(signal.SIGTERM, uvicorn_sigterm)
        self._single = ray.remote(num_returns="streaming", max_retries=0,
                                  _generator_backpressure_num_objects=64)(ray_tasks.single_job)
        self._distributed = ray.remote(num_cpus=0, max_restarts=0, max_task_retries=0, max_concurrency=64)(
            ray_tasks.DistributedJob)
        self._polled = ray.remote(max_restarts=0, max_task_retries=0, max_concurrency=64)(ray_tasks.PolledJob)
        self.cluster = await asyncio.to_thread(self._read_cluster)
        self._watcher = asyncio.create_task(self._watch())

    async def close(self) -> None:
        import ray

        if self._watcher:
            self._watcher.cancel()
        if ray.is_initialized():
            await asyncio.to_thread(ray.shutdown)  # a driver's tasks and actors end with it

    def _read_cluster(self) -> dict:
        import ray
        from ray._private import state

        nodes = [n for n in ray.nodes() if n.get("Alive")]
        try:
            free = state.available_resources_per_node()
        except ray.exceptions.RaySystemError:  # a Ray Client (ray://) driver sees cluster-wide figures only
            free = None
        total, free_all = ray.cluster_resources(), ray.available_resources()
        listed = []
        for n in nodes:
            res, avail = n.get("Resources", {}), (free or {}).get(n["NodeID"], {})
            listed.append({"id": n["NodeID"][:12], "address": n.get("NodeManagerAddress"), "head": "node:__internal_head__" in res,
                           "cpus": res.get("CPU", 0), "cpus_free": avail.get("CPU", 0) if free is not None else None,
                           "gpus": res.get("GPU", 0), "gpus_free": avail.get("GPU", 0) if free is not None else None})
        return {"nodes": listed, "total": {k: total.get(k, 0) for k in ("CPU", "GPU")},
                "free": {k: free_all.get(k, 0) for k in ("CPU", "GPU")}}

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            try:
                self.cluster = await asyncio.to_thread(self._read_cluster)
            except Exception as e:  # noqa: BLE001 - a cluster hiccup must not stop the server
                log.warning("ray executor: could not read the cluster state: %s", e)

    def info(self) -> dict:
        import ray

        c = self.cluster
        return {"name": self.name, "ray": ray.__version__, "address": self.address or "local instance",
                "nodes": c["nodes"], "gpus_total": c["total"].get("GPU", 0), "gpus_free": c["free"].get("GPU", 0),
                "cpus_total": c["total"].get("CPU", 0), "cpus_free": c["free"].get("CPU", 0),
                "cpu_slots": self.cpus.size, "cpu_slots_free": len(self.cpus.free), "waiting": self.cpus.waiting}

    # -- one job ------------------------------------------------------------------------
    async def run(self, job: JobSpec, emit: Emit, started: Started) -> tuple[str, str | None]:
        opts, total = job.options, self.cluster["total"]
        gpus_total, cpus_total = int(total.get("GPU", 0)), int(total.get("CPU", 0))
        cuda = opts.device == "cuda" or (opts.device == "auto" and gpus_total > 0)
        if cuda and not gpus_total:
            return "failed", "this Ray cluster has no CUDA GPU available to jobs (options.device is 'cuda')"
        if cuda and opts.gpus > gpus_total:
            return "failed", f"the job asks for {opts.gpus} GPUs; the Ray cluster has {gpus_total}"
        if not cuda and opts.gpus > cpus_total:
            return "failed", f"the job asks for {opts.gpus} CPU workers; the Ray cluster has {cpus_total} CPUs"
        taken = []
        if not cuda:
            n = min(opts.gpus, self.cpus.size)
            if reason := self.cpus.wait_reason(n):
                emit({"kind": "status", "state": "queued", "reason": reason})
            taken = await self.cpus.acquire(n)
        try:
            return await self._run_on_ray(job, cuda, emit, started)
        finally:
            self.cpus.release(taken)

    async def _run_on_ray(self, job: JobSpec, cuda: bool, emit: Emit, started: Started) -> tuple[str, str | None]:
        import ray
        from ray.exceptions import RayError, TaskCancelledError

        world, actor, gen = job.options.gpus, None, None
        limits = OutputLimits.from_settings(self.settings)  # the task collects the job's files (jobfiles.py)
        files = await job.input_files()  # they go with the task
        if self.client:  # Ray Client cannot stream: an actor holds the events until polled
            resources = {"num_cpus": 1, "num_gpus": 1 if cuda else 0} if world == 1 else {"num_cpus": 0}
            actor = self._polled.options(**resources).remote(job.id, job.code, world, cuda, files, limits)
            batches = self._poll(actor)
        elif world == 1:
            gen = self._single.options(num_cpus=1, num_gpus=1 if cuda else 0).remote(job.id, job.code, cuda, files, limits)
            batches = self._stream(gen)
        else:
            actor = self._distributed.remote(job.id, job.code, world, cuda, files, limits)
            gen = actor.run.options(num_returns="streaming").remote()
            batches = self._stream(gen)
        running = asyncio.Event()
        explainer = asyncio.create_task(self._explain_wait({"GPU" if cuda else "CPU": world}, running, emit))
        try:
            async for batch in batches:
                for event in batch:
                    kind = event.get("kind") if isinstance(event, dict) else None
                    if kind == "started":
                        running.set()
                        started(event["device"])
                    elif kind == "outputs":  # the files the job left, before its result
                        job.outputs = [OutputFile.from_json(f) for f in event["files"]]
                    elif kind == "result":
                        return event["state"], event.get("reason")
                    else:
                        emit(event)
            return "failed", "the Ray task ended without reporting the job's result"
        except TaskCancelledError:
            return "cancelled", "cancelled on the Ray cluster"
        except RayError as e:
            return "failed", describe_failure(e)
        except asyncio.CancelledError:
            await self._stop(gen, actor)
            raise
        finally:
            explainer.cancel()
            if actor is not None:
                ray.kill(actor, no_restart=True)  # takes Ray Train's controller and workers with it

    @staticmethod
    async def _stream(gen):
        async for ref in gen:
            yield await ref

    @staticmethod
    async def _poll(actor):
        import ray

        await asyncio.to_thread(ray.get, actor.start.remote())
        done = False
        while not done:
            batches, done = await asyncio.to_thread(ray.get, actor.poll.remote(0.5))
            for batch in batches:
                yield batch

    async def _stop(self, gen, actor) -> None:
        """Force-cancel (or kill) the job on Ray, then wait until Ray reports it gone."""
        import ray

        if actor is not None:
            ray.kill(actor, no_restart=True)
        else:
            ray.cancel(gen, force=True)
        if gen is None:
            return
        deadline = time.monotonic() + STOP_WAIT_S
        try:
            async with asyncio.timeout(STOP_WAIT_S):
                async for ref in gen:
                    try:
                        await ref
                    except Exception:  # noqa: BLE001 - the cancellation or death we asked for
                        break
        except Exception:  # noqa: BLE001 - the generator ends in the same error, or we stop waiting
            pass
        if time.monotonic() > deadline:
            log.warning("ray executor: Ray did not confirm a cancelled job within %s s", STOP_WAIT_S)

    async def _explain_wait(self, need: dict, running: asyncio.Event, emit: Emit) -> None:
        """While the job waits in Ray's queue, say what it waits for (when resources are short)."""
        said = None
        await asyncio.sleep(WAIT_EXPLAIN_S)
        while not running.is_set():
            (kind, n), = need.items()
            free, total = self.cluster["free"].get(kind, 0), self.cluster["total"].get(kind, 0)
            reason = None
            if free < n:
                what = f"{n} GPU{'s' if n > 1 else ''}" if kind == "GPU" else f"{n} CPU{'s' if n > 1 else ''}"
                reason = f"waiting for {what} on the Ray cluster ({free:g} of {total:g} free)"
            if reason and reason != said:
                emit({"kind": "status", "state": "queued", "reason": reason})
                said = reason
            await asyncio.sleep(WATCH_INTERVAL_S)
