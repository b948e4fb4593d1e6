"""repr(tensor) in PyTorch's format, and `torch.set_printoptions`.

Same rules as PyTorch's printer: one width for every element (from the non-zero finite
values), integer-valued floats print as `1.`, scientific notation when the range is wide,
rows wrapped at the line width and long tensors summarised with `...`.
"""

from __future__ import annotations

import math

import numpy as np

from .meta import is_meta

_OPTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if profile is not None:
        _OPTS.update(_PROFILES[profile])
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if value is not None:
            _OPTS[key] = value
    _OPTS["sci_mode"] = sci_mode


class _Formatter:
    """Chooses one notation and width for all elements of a tensor (or its summary)."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        p = _OPTS["precision"]
        flat = values.reshape(-1)
        if not self.floating:
            self.width = max((len(self._plain(v)) for v in flat.tolist()), default=1)
            return
        nz = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if nz.size == 0:
            return
        amin, amax = float(np.abs(nz).min()), float(np.abs(nz).max())
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        vals = nz.tolist()
        if self.int_mode:
            if amax / amin > 1000.0 or amax > 1.0e8:
                self.sci_mode = True
                self.width = max(len(f"{v:.{p}e}") for v in vals)
            else:
                self.width = max(len(f"{v:.0f}") for v in vals) + 1
        elif amax / amin > 1000.0 or amax > 1.0e8 or amin < 1.0e-4:
            self.sci_mode = True
            self.width = max(len(f"{v:.{p}e}") for v in vals)
        else:
            self.width = max(len(f"{v:.{p}f}") for v in vals)
        if _OPTS["sci_mode"] is not None:
            self.sci_mode = _OPTS["sci_mode"]

    @staticmethod
    def _plain(v) -> str:
        return str(v)

    def format(self, v) -> str:
        p = _OPTS["precision"]
        if not self.floating:
            s = str(v)
        elif self.sci_mode:
            s = f"{v:{self.width}.{p}e}"
        elif self.int_mode:
            s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
        else:
            s = f"{v:.{p}f}"
        return " " * (self.width - len(s)) + s


def _summary(a: np.ndarray) -> np.ndarray:
    """The elements that will be shown: the first and last `edgeitems` along every dim."""
    e = _OPTS["edgeitems"]
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * e:
        a = np.concatenate([a[:e], a[-e:]])
    if a.ndim == 1:
        return a
    return np.stack([_summary(x) for x in a]) if len(a) else a


def _vector(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, int(math.floor((_OPTS["linewidth"] - indent) / (fmt.width + 2))))
    e = _OPTS["edgeitems"]
    vals = a.tolist()
    if summarize and len(vals) > 2 * e:
        data = [fmt.format(v) for v in vals[:e]] + [" ..."] + [fmt.format(v) for v in vals[-e:]]
    else:
        data = [fmt.format(v) for v in vals]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    e = _OPTS["edgeitems"]
    if summarize and a.shape[0] > 2 * e:
        parts = [_nested(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
        parts += [_nested(a[i], indent + 1, summarize, fmt) for i in range(len(a) - e, len(a))]
    else:
        parts = [_nested(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _with_suffixes(text: str, suffixes: list, indent: int) -> str:
    out = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > _OPTS["linewidth"]:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


def tensor_repr(t) -> str:
    from .dtypes import get_default_dtype

    a = t.array
    prefix, indent, suffixes = "tensor(", 7, []
    default = get_default_dtype()
    if is_meta(a):  # no values: PyTorch prints the device and size instead
        suffixes += ["device='meta'", f"size={tuple(a.shape)}"] + ([f"dtype={t.dtype}"] if t.dtype is not default else [])
        body = "..."
    elif a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if t.dtype is not default:
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if t.dtype.name not in (default.name, "int64", "bool"):
            suffixes.append(f"dtype={t.dtype}")
        if a.dtype == np.float16:
            a = a.astype(np.float32)
        summarize = a.size > _OPTS["threshold"]
        body = _nested(a, indent, summarize, _Formatter(_summary(a) if summarize else a))
    if t._ctx is not None:
        suffixes.append(f"grad_fn=<{t._ctx.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
