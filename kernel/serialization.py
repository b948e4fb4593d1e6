"""torch.save / torch.load in PyTorch's own zip format, so files move between the runtimes.

A file is a zip archive (stored, no compression) with one top folder: `data.pkl` (pickle
protocol 2), `byteorder`, `version`, and one record `data/<key>` of raw little-endian bytes
per tensor. In the pickle a tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size,
stride, requires_grad, hooks)` and a Parameter `torch._utils._rebuild_parameter(...)`, the
storage a persistent id `("storage", torch.FloatStorage, key, "cpu", numel)`: exactly what
PyTorch writes and reads. The kernel writes these names without importing torch.

`load` defaults to `weights_only=True` as PyTorch 2.6+ does: only tensors, containers and
plain values; anything else fails unless `weights_only=False`. Files the kernel wrote before
(plain pickles of NumPy arrays) still load.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile

import numpy as np

from .tensor import Tensor

DEFAULT_PROTOCOL = 2
_ALIGN = 64  # PyTorch aligns each storage record's data to 64 bytes (for mmap)

_STORAGES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16, "LongStorage": np.int64,
    "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
_STORAGE_OF = {np.dtype(d): name for name, d in _STORAGES.items()}


class _TorchGlobal:
    """A name in PyTorch (`torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`) that the pickle refers to."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle wants a reduce's function to be callable; only its name is written
        raise TypeError(f"{self.module}.{self.name} exists in PyTorch only")


_REBUILD_TENSOR = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _TorchGlobal("torch._utils", "_rebuild_parameter")
_STORAGE_GLOBALS = {name: _TorchGlobal("torch", name) for name in _STORAGES}


class _Storage:
    """One tensor's data, written as its own record; pickled as a persistent id."""

    def __init__(self, key: str, array: np.ndarray) -> None:
        self.key, self.array = key, array


class _Pickler(pickle._Pickler):
    """The pure-Python pickler (it lets us write PyTorch's globals by name); it pickles only the
    structure, the tensor data goes to the zip records."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file) -> None:
        super().__init__(file, protocol=DEFAULT_PROTOCOL)
        self.storages: list[_Storage] = []

    def _save_torch_global(self, obj: _TorchGlobal) -> None:
        self.write(pickle.GLOBAL + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
        self.memoize(obj)

    dispatch[_TorchGlobal] = _save_torch_global

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            dtype = obj.array.dtype
            return ("storage", _STORAGE_GLOBALS[_STORAGE_OF[dtype]], obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        if not isinstance(obj, Tensor):
            return NotImplemented
        from .nn.parameter import Parameter

        if type(obj) is Parameter:
            return _REBUILD_PARAMETER, (Tensor._make(obj.array), obj.requires_grad, collections.OrderedDict())
        a = obj.array
        if a.dtype not in _STORAGE_OF:
            raise RuntimeError(f"torch.save: tensors of dtype {a.dtype} are not supported by TorchPad's kernel")
        data = (a if a.flags.c_contiguous else a.copy(order="C")).astype(a.dtype.newbyteorder("<"), copy=False)
        storage = _Storage(str(len(self.storages)), data)
        self.storages.append(storage)
        stride = tuple(int(np.prod(a.shape[i + 1:])) for i in range(a.ndim))  # C order, in elements
        return _REBUILD_TENSOR, (storage, 0, tuple(a.shape), stride, bool(obj.requires_grad), collections.OrderedDict())


def _write_record(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    """A stored record whose data starts on a 64-byte boundary (padding in an extra field, as PyTorch does)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    header = 30 + len(name.encode())
    start = zf.fp.tell() + header + 4  # the extra field's own 4-byte header
    pad = (-start) % _ALIGN
    info.extra = b"FB" + pad.to_bytes(2, "little") + b"Z" * pad
    zf.writestr(info, data)


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False) -> None:
    if pickle_module is not pickle:
        raise RuntimeError("torch.save: TorchPad's kernel pickles with the standard pickle module only (pickle_module)")
    if pickle_protocol != DEFAULT_PROTOCOL:
        raise RuntimeError(f"torch.save: TorchPad's kernel writes pickle protocol 2 only, as PyTorch does (got pickle_protocol={pickle_protocol})")
    if not _use_new_zipfile_serialization:
        raise RuntimeError("torch.save: TorchPad's kernel writes only PyTorch's zip format (_use_new_zipfile_serialization=False)")
    buf = io.BytesIO()
    pickler = _Pickler(buf)
    pickler.dump(obj)
    folder = "archive"
    if isinstance(f, (str, os.PathLike)):
        folder = os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    target = open(f, "wb") if isinstance(f, (str, os.PathLike)) else f
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
            _write_record(zf, f"{folder}/data.pkl", buf.getvalue())
            if not _disable_byteorder_record:
                _write_record(zf, f"{folder}/byteorder", b"little")
            for s in pickler.storages:
                _write_record(zf, f"{folder}/data/{s.key}", s.array.tobytes())
            _write_record(zf, f"{folder}/version", b"3\n")
    finally:
        if target is not f:
            target.close()


# ---- load --------------------------------------------------------------------------------
_SAFE = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
         ("builtins", "bytearray"), ("_codecs", "encode"), ("torch", "Size")}


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    view = np.lib.stride_tricks.as_strided(storage[storage_offset:], shape=tuple(size),
                                           strides=tuple(s * storage.itemsize for s in stride))
    t = Tensor._make(np.array(view))
    t.requires_grad = bool(requires_grad)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks, *state):
    from .nn.parameter import Parameter

    return Parameter(data, requires_grad)


def _weights_only_error(what: str) -> pickle.UnpicklingError:
    return pickle.UnpicklingError(
        "Weights only load failed. In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
        f"`torch.load` from `False` to `True`. Unsupported global: GLOBAL {what}. Re-running `torch.load` with "
        "`weights_only` set to `False` will likely succeed, but it can result in arbitrary code execution. "
        "Do it only if you got the file from a trusted source.")


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf: zipfile.ZipFile, folder: str, weights_only: bool, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self.zf, self.folder, self.weights_only = zf, folder, weights_only
        self.loaded: dict[str, np.ndarray] = {}

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGES:
            return _STORAGES[name]
        if module == "torch" and name == "Size":
            from .tensor import Size

            return Size
        if (module, name) in _SAFE:
            return super().find_class(module, name)
        if self.weights_only:
            raise _weights_only_error(f"{module}.{name}")
        if module == "torch" or module.startswith("torch."):
            raise pickle.UnpicklingError(f"torch.load: {module}.{name} is a PyTorch object TorchPad's kernel cannot "
                                         "rebuild (save the state_dict instead, or run on the GPU server)")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"torch.load: unknown persistent id {kind!r}")
        if key not in self.loaded:
            raw = self.zf.read(f"{self.folder}/data/{key}")
            self.loaded[key] = np.frombuffer(raw, dtype=np.dtype(storage_type).newbyteorder("<")).astype(storage_type)
        return self.loaded[key]


def _load_zip(zf: zipfile.ZipFile, weights_only: bool, pickle_load_args: dict):
    names = zf.namelist()
    pkl = next((n for n in names if n.endswith("/data.pkl") and n.count("/") == 1), None)
    if pkl is None:
        raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
    folder = pkl.split("/", 1)[0]
    if f"{folder}/byteorder" in names and zf.read(f"{folder}/byteorder") != b"little":
        raise RuntimeError("torch.load: big-endian files are not supported by TorchPad's kernel")
    with zf.open(pkl) as fh:
        return _Unpickler(io.BytesIO(fh.read()), zf, folder, weights_only, **pickle_load_args).load()


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """map_location and mmap change where PyTorch puts the data, not its values: everything is on the CPU here."""
    if pickle_module is not None and pickle_module is not pickle:
        raise RuntimeError("torch.load: TorchPad's kernel unpickles with the standard pickle module only (pickle_module)")
    weights_only = True if weights_only is None else bool(weights_only)
    fh = open(f, "rb") if isinstance(f, (str, os.PathLike)) else f
    try:
        start = fh.tell()
        magic = fh.read(4)
        fh.seek(start)
        if magic == b"PK\x03\x04":
            with zipfile.ZipFile(fh) as zf:
                return _load_zip(zf, weights_only, pickle_load_args)
        return pickle.load(fh, **pickle_load_args)  # the kernel's earlier format: a plain pickle
    finally:
        if fh is not f:
            fh.close()
