"""What runs on the Ray cluster's workers: the job runner, relayed back as event batches.

Every job process is the local executor's runner (`python -m torchpad.server.runner`),
started by a Ray worker in the worker's own process group, so when Ray kills the worker
(cancel with force, a dead node, the server gone) its per-worker process-group cleanup
takes the runner and whatever the user's code started with it; the runner also dies with
its parent through PR_SET_PDEATHSIG. After a job ends normally the worker sweeps its group
(the user's leftover processes) and starts a spare runner that imports torch while the
worker is idle, so the next job on this worker starts warm, as on the local executor.

A single-process job is one streaming-generator task (`single_job`): it yields lists of
events, first a `started` marker, last a `result`. A `gpus: N > 1` job is one
`DistributedJob` actor: its `run` generator drives Ray Train's `TorchTrainer` (one worker
per GPU, or per CPU with gloo) whose workers push their runner's events to the actor.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Iterator

import ray

from .jobenv import job_environ
from .jobfiles import OutputLimits, collect_outputs, digests, encode_inputs
from .outcome import job_outcome
from .wire import decode_line
from .wire import STREAM_LIMIT, free_port

BATCH_EVENTS = 500          # events per yielded batch, at most ...
BATCH_BYTES = 1 << 20       # ... and about this many bytes of text ...
BATCH_WAIT_S = 0.02         # ... collected for at most this long after the first one
STDERR_DRAIN_S = 0.2        # after the runner exits, how long its stderr is still read


def _reader(stream, kind: str, out: queue.Queue) -> None:
    for raw in iter(lambda: stream.readline(STREAM_LIMIT), b""):
        out.put((kind, raw.decode("utf-8", "replace").rstrip("\n")))
    out.put((kind, None))


def _events(kind: str, line: str) -> list:
    """A runner line as events: its JSON channel carries event lists, its stderr raw text."""
    if kind == "stderr":
        return [{"kind": "stderr", "text": line}]
    return [e for e in decode_line(line) if not (isinstance(e, dict) and e.get("kind") == "warm")]


def spawn_runner() -> subprocess.Popen:
    """A runner process (it imports torch, then waits for its job on stdin) in this worker's group."""
    home = tempfile.mkdtemp(prefix="torchpad-job-")  # the job's own HOME and working directory
    proc = subprocess.Popen([sys.executable, "-m", "torchpad.server.runner", str(os.getpid())], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=home, env=job_environ(os.environ, home))
    proc.home = home  # removed when its job is over (runner_batches)
    return proc


_spare: subprocess.Popen | None = None  # this worker's warm runner for its next job


def take_runner() -> subprocess.Popen:
    global _spare
    proc, _spare = _spare, None
    return proc if proc is not None and proc.poll() is None else spawn_runner()


def own_group() -> bool:
    """Whether this Ray worker leads its own process group (Ray's per-worker process groups)."""
    return os.getpgid(0) == os.getpid()


def sweep_group() -> None:
    """SIGKILL whatever else is in this worker's process group: what the last job left running."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                group = int(f.read().rsplit(")", 1)[1].split()[2])
            if group == me:
                os.kill(int(entry), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


def runner_batches(code: str, env: dict, rank: int = 0, world_size: int = 1,
                   proc: subprocess.Popen | None = None, files: dict[str, bytes] | None = None,
                   limits: OutputLimits | None = None) -> Iterator[list[dict]]:
    """Run the job in a runner process and yield its events in batches; the last event is the result,
    after an `outputs` event with the files it left in its directory when `limits` asks for them."""
    proc = proc or spawn_runner()
    lines: queue.Queue = queue.Queue()
    spec = json.dumps({"code": code, "env": env, "rank": rank, "world_size": world_size,
                       "files": encode_inputs(files or {})}).encode() + b"\n"

    def feed() -> None:
        try:
            proc.stdin.write(spec)
            proc.stdin.close()
        except OSError:  # the runner died before reading its job; its exit code tells why
            pass

    for target, args in ((feed, ()), (_reader, (proc.stdout, "stdout", lines)), (_reader, (proc.stderr, "stderr", lines))):
        threading.Thread(target=target, args=args, daemon=True).start()
    result, open_streams, drain_until = None, {"stdout", "stderr"}, None
    while open_streams and (drain_until is None or time.monotonic() < drain_until):
        batch, size, deadline = [], 0, drain_until
        while open_streams and len(batch) < BATCH_EVENTS and size < BATCH_BYTES:
            try:
                kind, line = lines.get(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                open_streams.discard(kind)
                if kind == "stdout":  # the runner is done; its stderr may stay open in a child it left behind
                    proc.wait()
                    drain_until = deadline = time.monotonic() + STDERR_DRAIN_S
                continue
            for event in _events(kind, line):
                if isinstance(event, dict) and event.get("kind") == "result":
                    result = event
                else:
                    batch.append(event)
            size += len(line)
            deadline = min(deadline or float("inf"), time.monotonic() + BATCH_WAIT_S)
        if batch:
            yield batch
    proc.wait()
    if limits is not None and getattr(proc, "home", None):  # the files go back with the task (jobfiles.py)
        outputs = collect_outputs(proc.home, digests(files or {}), limits)
        if outputs:
            yield [{"kind": "outputs", "files": [f.to_json() for f in outputs]}]
    if getattr(proc, "home", None):
        shutil.rmtree(proc.home, ignore_errors=True)
    state, reason = job_outcome([proc.returncode], {0: result} if result else {})
    yield [{"kind": "result", "state": state, "reason": reason}]


def job_env(job_id: str, cuda: bool) -> dict:
    """What the runner needs in its environment; Ray already set CUDA_VISIBLE_DEVICES for GPU jobs."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "") if cuda else ""
    return {"TORCHPAD_JOB_ID": job_id, "TORCHPAD_DEVICE": "cuda" if cuda else "cpu", "CUDA_VISIBLE_DEVICES": visible}


def single_job(job_id: str, code: str, cuda: bool, files: dict[str, bytes] | None = None,
               limits: OutputLimits | None = None) -> Iterator[list[dict]]:
    """A one-process job (a Ray streaming generator task): started marker, events, result."""
    global _spare
    proc = take_runner()
    device = "cuda:" + ",".join(str(i) for i in ray.get_gpu_ids()) if cuda else "cpu"
    yield [{"kind": "started", "device": device, "node": ray.util.get_node_ip_address()}]
    yield from runner_batches(code, job_env(job_id, cuda), proc=proc, files=files, limits=limits)
    if own_group():  # without Ray's per-worker process groups a sweep could hit Ray's own processes
        sweep_group()
        _spare = spawn_runner()


def train_loop(config: dict) -> None:
    """One Ray Train worker: agree on a rendezvous address, run the runner, push its events."""
    import torch.distributed as dist
    from ray import train

    ctx = train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    # Ray Train's own (gloo) group only carries rank 0's rendezvous address; the user's code
    # starts its own group from the environment, as under torchrun or the local executor.
    address = [f"{ray.util.get_node_ip_address()}:{free_port('')}" if rank == 0 else None]
    dist.broadcast_object_list(address, src=0)
    host, port = address[0].rsplit(":", 1)
    env = {**job_env(config["job_id"], config["cuda"]), "MASTER_ADDR": host, "MASTER_PORT": port, "RANK": str(rank),
           "WORLD_SIZE": str(world), "LOCAL_RANK": str(ctx.get_local_rank()),
           "LOCAL_WORLD_SIZE": str(ctx.get_local_world_size())}
    hub = config["hub"]
    ray.get(hub.push.remote(rank, [{"kind": "started"}]))
    limits = config["limits"] if rank == 0 else None  # rank 0's directory comes back, as on the local executor
    for batch in runner_batches(config["code"], env, rank, world, files=config["files"], limits=limits):
        ray.get(hub.push.remote(rank, batch))  # waiting for each push is the backpressure


class DistributedJob:
    """One `gpus: N > 1` job: drives TorchTrainer and relays its workers' events (a Ray actor)."""

    def __init__(self, job_id: str, code: str, world: int, cuda: bool, files: dict[str, bytes] | None = None,
                 limits: OutputLimits | None = None):
        self.job_id, self.code, self.world, self.cuda = job_id, code, world, cuda
        self.files, self.limits = files or {}, limits
        self.inbox: queue.Queue = queue.Queue()

    def push(self, rank: int, batch: list[dict]) -> None:
        self.inbox.put((rank, batch))

    def _fit(self, failures: list) -> None:
        from ray.train import FailureConfig, RunConfig, ScalingConfig
        from ray.train.torch import TorchConfig, TorchTrainer

        resources = {"CPU": 1, "GPU": 1} if self.cuda else {"CPU": 1}
        trainer = TorchTrainer(
            train_loop, torch_config=TorchConfig(backend="gloo"),
            train_loop_config={"hub": ray.get_runtime_context().current_actor, "job_id": self.job_id, "code": self.code,
                               "cuda": self.cuda, "files": self.files, "limits": self.limits},
            scaling_config=ScalingConfig(num_workers=self.world, use_gpu=self.cuda, resources_per_worker=resources),
            run_config=RunConfig(name=f"torchpad-{self.job_id}", storage_path=os.path.join(tempfile.gettempdir(), "torchpad-ray"),
                                 failure_config=FailureConfig(max_failures=0, controller_failure_limit=0)))
        try:
            trainer.fit()
        except Exception as e:  # noqa: BLE001 - reported as the job's failure
            failures.append(f"Ray Train: {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"[:500])
        finally:
            self.inbox.put((None, None))

    def run(self) -> Iterator[list[dict]]:
        failures: list[str] = []
        threading.Thread(target=self._fit, args=(failures,), daemon=True).start()
        results: dict[int, dict] = {}
        started = False
        while len(results) < self.world:
            rank, batch = self.inbox.get()
            if rank is None:  # fit() returned or failed before every rank reported
                break
            out = []
            for event in batch:
                kind = event.get("kind") if isinstance(event, dict) else None
                if kind == "result":
                    results[rank] = event
                elif kind == "started":
                    if rank == 0 and not started:
                        started = True
                        kind = "cuda" if self.cuda else "cpu"
                        out.append({"kind": "started", "device": f"{kind} x{self.world} ({'Ray Train' if self.cuda else 'gloo'})"})
                else:
                    out.append(event)
            if out:
                yield out
            if any(r.get("state") != "succeeded" for r in results.values()):
                break  # one rank failed: the others would wait for it forever (the server kills this actor)
        for rank in range(self.world):
            r = results.get(rank)
            if r and r.get("state") != "succeeded":
                yield [{"kind": "result", "state": r["state"], "reason": r.get("reason")}]
                return
        if len(results) == self.world:
            yield [{"kind": "result", "state": "succeeded", "reason": None}]
        else:
            reason = failures[0] if failures else "a Ray Train worker ended before its program finished"
            yield [{"kind": "result", "state": "failed", "reason": reason}]


class PolledJob(DistributedJob):
    """Any job as an actor the server polls: for Ray Client (ray://) drivers, which cannot stream.

    The same batches as `single_job` / `DistributedJob.run` are made by a thread of the actor
    and handed out by `poll`; killing the actor ends the job and its process group.
    """

    def __init__(self, job_id: str, code: str, world: int, cuda: bool, files: dict[str, bytes] | None = None,
                 limits: OutputLimits | None = None):
        super().__init__(job_id, code, world, cuda, files, limits)
        self.ready: list[list[dict]] = []
        self.done = False
        self.changed = threading.Condition()

    def start(self) -> None:
        source = single_job(self.job_id, self.code, self.cuda, self.files, self.limits) if self.world == 1 else self.run()
        threading.Thread(target=self._drain, args=(source,), daemon=True).start()

    def _drain(self, source) -> None:
        try:
            for batch in source:
                with self.changed:
                    self.ready.append(batch)
                    self.changed.notify_all()
        finally:
            with self.changed:
                self.done = True
                self.changed.notify_all()

    def poll(self, wait_s: float) -> tuple[list[list[dict]], bool]:
        """The batches made since the last poll (waiting up to wait_s for one), and whether that is all."""
        with self.changed:
            self.changed.wait_for(lambda: self.ready or self.done, timeout=wait_s)
            batches, self.ready = self.ready, []
            return batches, self.done
