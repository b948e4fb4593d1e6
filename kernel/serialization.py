"""torch.save / torch.load: pickle of tensors, state dicts, modules and nested containers.

Files are plain pickles (Tensor and Parameter pickle as their NumPy array), so they load
back into the kernel; they are not PyTorch's zip format.
"""

from __future__ import annotations

import os
import pickle

DEFAULT_PROTOCOL = 2


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False) -> None:
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            pickle_module.dump(obj, fh, protocol=pickle_protocol)
    else:
        pickle_module.dump(obj, f, protocol=pickle_protocol)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """`map_location` and `weights_only` are accepted: everything lives on the CPU already."""
    pickle_module = pickle_module or pickle
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return pickle_module.load(fh, **pickle_load_args)
    return pickle_module.load(f, **pickle_load_args)
