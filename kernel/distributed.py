"""torch.distributed for the one process the browser has: a process group of world size 1
(init_process_group with world_size=1) in which collectives leave tensors as they are, which
is what they compute there. Larger worlds need real processes: a clear error names the GPU server.
"""

from __future__ import annotations

__all__ = ["is_available", "is_initialized", "init_process_group", "destroy_process_group", "get_rank",
           "get_world_size", "barrier", "all_reduce", "broadcast", "all_gather", "reduce", "ReduceOp", "Backend"]

_SERVER = "run this program on the GPU server runtime"
_group = None


class ProcessGroup:
    def __init__(self, backend: str) -> None:
        self.backend = backend

    def rank(self) -> int:
        return 0

    def size(self) -> int:
        return 1


class ReduceOp:
    SUM, PRODUCT, MIN, MAX, AVG = "sum", "product", "min", "max", "avg"


class Backend:
    GLOO, NCCL, MPI = "gloo", "nccl", "mpi"


class _Work:
    """The handle async_op=True returns: the work is already done."""

    def wait(self, timeout=None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True


def _done(async_op: bool):
    return _Work() if async_op else None


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return _group is not None


def _default_group() -> ProcessGroup:
    if _group is None:
        raise ValueError("Default process group has not been initialized, please make sure to call init_process_group.")
    return _group


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None) -> None:
    global _group
    import os

    if _group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if world_size == -1:
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if rank == -1:
        rank = int(os.environ.get("RANK", "0"))
    if world_size != 1 or rank != 0:
        raise RuntimeError(f"init_process_group(world_size={world_size}, rank={rank}): TorchPad's browser kernel is "
                           f"one process (world_size=1, rank=0); {_SERVER}")
    if backend is not None and str(backend).lower().split(":")[0] == "nccl":
        raise RuntimeError(f"init_process_group(backend='nccl') needs CUDA GPUs; {_SERVER}")
    _group = ProcessGroup(str(backend or "gloo"))


def destroy_process_group(group=None) -> None:
    global _group
    _default_group()
    _group = None


def get_rank(group=None) -> int:
    _default_group()
    return 0


def get_world_size(group=None) -> int:
    _default_group()
    return 1


def barrier(group=None, async_op=False, device_ids=None):
    _default_group()
    return _done(async_op)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    _default_group()  # one rank: the sum, product, min, max and mean of one tensor is itself
    return _done(async_op)


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    _default_group()
    return _done(async_op)


def broadcast(tensor, src=0, group=None, async_op=False):
    _default_group()
    return _done(async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    _default_group()
    if len(tensor_list) != 1:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} entries for a world of size 1")
    tensor_list[0].array[...] = tensor.array
    return _done(async_op)
