"""What the host offers (torch version, CUDA GPUs), probed once in a short-lived process.

Probing in a child keeps CUDA uninitialised in the server process, so the server never
holds GPU memory and job processes remain free to pick GPUs via CUDA_VISIBLE_DEVICES.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict, dataclass, field

PROBE = """
import json, torch
cuda = torch.cuda.is_available()
print(json.dumps({"torch": torch.__version__, "cuda": cuda, "cuda_version": torch.version.cuda,
                  "devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []}))
"""


@dataclass
class HostInfo:
    torch: str | None = None
    cuda: bool = False
    cuda_version: str | None = None
    devices: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


async def probe() -> HostInfo:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", PROBE, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    if proc.returncode != 0:
        return HostInfo(error=f"could not import torch: {err.decode(errors='replace').strip().splitlines()[-1:]}")
    return HostInfo(**json.loads(out.decode().strip().splitlines()[-1]))


def select_gpus(spec: str, available: int) -> list[int]:
    """`--gpus all` or `--gpus 0,2` -> the GPU indices jobs may use."""
    if spec.strip().lower() in ("all", ""):
        return list(range(available))
    if spec.strip().lower() == "none":
        return []
    ids = [int(x) for x in spec.split(",") if x.strip()]
    bad = [i for i in ids if not 0 <= i < available]
    if bad:
        raise ValueError(f"--gpus {spec}: this host has {available} CUDA device(s); no GPU {bad[0]}")
    return sorted(set(ids))
