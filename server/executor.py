"""The executor interface: how the job manager gets a job run, whatever runs it.

An executor is an object with:

    name: str                      # "local", "ray", ...
    async start() -> None          # before the first job (spawn warm workers, connect a cluster)
    async close() -> None          # on shutdown; must leave no job process behind
    info() -> dict                 # shown in GET /api/info under "executor" (JSON-able)
    async run(job: JobSpec, emit, started) -> (state, reason)

`run` owns the job from "queued" until it ends. It waits for resources, calls
`started(device)` once the user's code is about to run (device: "cpu", "cuda:0", ...),
calls `emit(event)` for each stdout/stderr/metric/error event (the shared event model,
no seq; the manager checks, limits, numbers and stores them), and returns the final
state "succeeded" | "failed" | "cancelled" with a reason (None on success). The files of
`await job.input_files()` go into the job's working directory before the program starts
(read them once resources are granted, not while the job waits); once the job's processes have
ended (any outcome, cancellation included) the executor sets `job.outputs` to what
jobfiles.collect_outputs found there (rank 0's directory for a multi-process job). Before
`started`, `emit({"kind": "status", "state": "queued", "reason": "..."})` tells the
clients why the job still waits (e.g. no free GPU on a Ray cluster).
Cancellation and wall-time limits arrive as asyncio cancellation of the `run` task:
the executor stops the job's processes (SIGTERM, SIGKILL after a grace period) before
letting the CancelledError propagate. A job process that dies on its own must become
("failed", "<why>") and never take the server down.

Executors register in `EXECUTORS` as "module:Class"; the class is built as
`Class(settings, host)` where `host` is the probed `hostinfo.HostInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Awaitable, Callable

from .protocol import Options

EXECUTORS = {
    "local": "torchpad.server.local_executor:LocalExecutor",
    "ray": "torchpad.server.ray_executor:RayExecutor",
}

Emit = Callable[[dict], None]
Started = Callable[[str], None]


@dataclass
class JobSpec:
    id: str
    code: str
    options: Options
    # The files for its directory, read from the store once it starts: a queued job holds none in memory.
    load_files: Callable[[], Awaitable[dict[str, bytes]]] | None = None
    outputs: list = field(default_factory=list)  # jobfiles.OutputFile: set by the executor once the job's processes end

    async def input_files(self) -> dict[str, bytes]:
        return await self.load_files() if self.load_files else {}


def create_executor(name: str, settings, host):
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    module, cls = EXECUTORS[name].split(":")
    return getattr(import_module(module), cls)(settings, host)
