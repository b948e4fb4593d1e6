"""torch.nn.parallel: DataParallel and DistributedDataParallel as transparent wrappers exposing
`.module` (state_dict keys start `module.`, as in PyTorch).

Without GPUs PyTorch's DataParallel simply calls the module, and so does this one. DDP needs a
process group, as in PyTorch: see torch.distributed (one process is all the browser has).
"""

from __future__ import annotations

from .wrapped import _Forwarding

__all__ = ["DataParallel", "DistributedDataParallel"]


class DataParallel(_Forwarding):
    def __init__(self, module, device_ids=None, output_device=None, dim=0) -> None:
        super().__init__()
        self.module = module
        self.device_ids, self.output_device, self.dim = [], None, dim  # no GPUs: PyTorch keeps none either


class DistributedDataParallel(_Forwarding):
    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False) -> None:
        from .. import distributed

        try:
            group = process_group if process_group is not None else distributed._default_group()
        except ValueError as e:
            raise ValueError(f"{e} (TorchPad's browser kernel is one process: init_process_group(backend='gloo', "
                             "world_size=1, rank=0) works here; for more processes run on the GPU server runtime)") from None
        if device_ids is not None and any(str(d).startswith("cuda") or isinstance(d, int) for d in device_ids):
            raise RuntimeError("DistributedDataParallel(device_ids=...) places replicas on GPUs; TorchPad's browser "
                               "kernel has none: run this program on the GPU server runtime")
        super().__init__()
        self.module = module
        self.process_group, self.device_ids, self.dim = group, None, dim
        # one process: gradients are already the all-reduced ones (the mean over a world of one)

    def no_sync(self):
        import contextlib

        return contextlib.nullcontext()
