"""torch.device, the default device (CPU or meta), and the error a CPU-only PyTorch raises when asked for CUDA."""

from __future__ import annotations

CUDA_UNAVAILABLE = "Torch not compiled with CUDA enabled"


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        type = str(type)
        if ":" in type:
            type, idx = type.split(":", 1)
            index = int(idx)
        if type not in ("cpu", "cuda", "mps", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, "
                f"vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {type}"
            )
        self.type, self.index = type, index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self) -> "device":
        """`with torch.device(...)`: the default device inside the block, as in PyTorch."""
        global _default
        _stack.append(_default)
        set_default_device(self)
        return self

    def __exit__(self, *exc) -> None:
        global _default
        _default = _stack.pop()


_default = None  # None: CPU
_stack: list = []


def set_default_device(d) -> None:
    """The kernel computes on the CPU or makes shape-only meta tensors; CUDA raises as a CPU-only PyTorch does."""
    global _default
    if d is not None:
        d = device(d) if not isinstance(d, int) else device("cuda", d)
        check_device(d)
    _default = d


def get_default_device() -> device:
    return device("meta") if is_meta(None) else device("cpu")


def check_device(d) -> None:
    """CPU and meta are the kernel's devices; CUDA raises like a CPU-only PyTorch build."""
    d = device(d) if not isinstance(d, int) else device("cuda", d)
    if d.type == "cuda":
        raise AssertionError(CUDA_UNAVAILABLE)
    if d.type == "mps":
        raise RuntimeError("MPS backend is not available")


def is_meta(d) -> bool:
    """Whether a factory given `device=d` makes meta tensors: d itself, or the default device when d is None."""
    if d is None:
        return _default is not None and _default.type == "meta"
    if isinstance(d, int):
        check_device(d)
    d = d if isinstance(d, device) else device(d)
    check_device(d)
    return d.type == "meta"
