"""`torch.cuda` in the browser: there is no GPU, so it answers as a CPU-only PyTorch does."""

from ..device import CUDA_UNAVAILABLE
from . import amp  # noqa: F401  (torch.cuda.amp: the old spelling of torch.amp)


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    pass


manual_seed_all = manual_seed


def synchronize(device=None) -> None:
    pass


def current_device() -> int:
    raise AssertionError(CUDA_UNAVAILABLE)


def get_device_name(device=None) -> str:
    raise AssertionError(CUDA_UNAVAILABLE)


def empty_cache() -> None:
    pass
