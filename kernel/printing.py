"""repr(tensor) in PyTorch's format: `tensor([...], requires_grad=True)`, 4 decimals."""

from __future__ import annotations

import numpy as np


def _format_array(a: np.ndarray) -> str:
    if a.dtype.kind == "f":
        finite = a[np.isfinite(a)]
        amax = np.abs(finite).max() if finite.size else 0
        amin = np.abs(finite[finite != 0]).min() if np.any(finite != 0) else 0
        integral = finite.size == 0 or np.all(finite == np.round(finite))
        if finite.size and (amax >= 1e8 or (amin and amin < 1e-4) or (amax / max(amin, 1e-300) > 1000 and amax >= 1e3)) and not integral:
            fmt = {"float_kind": lambda x: f"{x:.4e}"}
        elif integral and (amax < 1e8):
            fmt = {"float_kind": lambda x: f"{x:.0f}." if np.isfinite(x) else repr(float(x)).replace("inf", "inf")}
        else:
            fmt = {"float_kind": lambda x: f"{x:.4f}"}
        return np.array2string(a, separator=", ", formatter=fmt, prefix="tensor(", threshold=1000, edgeitems=3, max_line_width=80)
    if a.dtype == np.bool_:
        return np.array2string(a, separator=", ", prefix="tensor(", threshold=1000, formatter={"bool": lambda x: "True" if x else "False"})
    return np.array2string(a, separator=", ", prefix="tensor(", threshold=1000, max_line_width=80)


def tensor_repr(t) -> str:
    a = t.array
    body = _format_array(a)
    extras = []
    if a.size == 0 and a.ndim > 1:
        body = "[]"
        extras.append(f"size=({', '.join(map(str, a.shape))},)" if a.ndim == 1 else f"size=({', '.join(map(str, a.shape))})")
    if a.dtype.kind == "f" and a.dtype != np.float32:
        extras.append(f"dtype={t.dtype}")
    elif a.dtype.kind in "iu" and a.dtype != np.int64:
        extras.append(f"dtype={t.dtype}")
    if t._ctx is not None:
        extras.append(f"grad_fn=<{t._ctx.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return f"tensor({body}{''.join(', ' + e for e in extras)})"
