"""The compute seam: the matrix products the kernel's heavy ops are made of, behind one switch.

Ops (matmul, linear, convolution, recurrent gates) call `gemm`/`matmul` here, never a library.
The default is NumPy, everywhere. A host with a faster library (the browser worker, whose
Pyodide NumPy has no BLAS) installs it with `use_host_gemm`: a callable that takes raw float32
buffer addresses and sizes, so arrays cross without a copy on our side. Products the host
cannot take (other dtypes, odd strides, tiny sizes where a call costs more than it saves)
stay on NumPy, so the results never depend on which path ran beyond float32 rounding.
A host may add a second library for short, wide products (`use_wide_gemm`; the page's
onnxruntime-web): which library runs a product depends only on its shape (`wide_route`).
`counts()` says how many products each library ran.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np

__all__ = ["gemm", "matmul", "constant", "transposed", "use_host_gemm", "use_wide_gemm", "wide_route", "active", "counts",
           "HOST_MIN_WORK"]

# A host call costs tens of microseconds; below this many multiply-adds NumPy is faster.
HOST_MIN_WORK = 1 << 15

_host: Callable | None = None
_host_name = "numpy"
_hold: Callable | None = None
_release: Callable | None = None
_host_transposes = False  # the host takes transposed operands as they are (see use_host_gemm)
_held: dict[int, int] = {}  # address -> size of the arrays the host keeps (see `constant`)
_wide: Callable | None = None
_wide_hold: Callable | None = None
_wide_release: Callable | None = None
_counts: dict[str, int] = {}  # library name -> products it ran since the last counts(reset=True)

# Short, wide products (few output rows, long rows of both operands) and deep ones (a weight gradient summed
# over thousands of rows) ran faster through the seam in onnxruntime-web's MLAS than in XNNPACK; tall ones
# with a short inner size (the convolutions' pixel-major columns, the LSTM's input gates over all steps)
# slower: measured in Chromium with bench/compute_routing.js, figures in docs/pyodide.md ("Fast compute").
WIDE_MAX_ROWS = 256
WIDE_MIN_INNER = 128
DEEP_MIN_INNER = 4096


def use_host_gemm(fn: Callable | None, name: str = "host", hold: Callable | None = None, release: Callable | None = None,
                  transposes: bool = False) -> None:
    """Route float32 products to `fn(pa, pb, pc, batch_a, batch_b, m, k, n, trans_a, trans_b)`, or back to NumPy (None).

    `fn` reads A (batch_a, m, k) [or (batch_a, k, m) when trans_a], B (batch_b, k, n) [or (batch_b, n, k)]
    from C-contiguous float32 buffers at the given addresses (a batch of 1 broadcasts) and writes
    C (max(batch_a, batch_b), m, n) at `pc`.
    `hold(p, count)` / `release(p)`, when given, let the host keep its own copy of an operand that
    `constant` promises will not change (it is then not copied in again on every product).
    `transposes`: the host reads a transposed operand as fast as a plain one (the page's LiteRT.js), so it gets
    op(A), op(B) as they are, and may answer False for a product it could not run (NumPy then runs it); otherwise NumPy makes transposed copies first and may flip the product's
    orientation (`_host_product`: what TensorFlow.js's backend runs fastest).
    """
    global _host, _host_name, _hold, _release, _host_transposes
    _host, _host_name = fn, (name if fn is not None else "numpy")
    _host_transposes = bool(transposes) and fn is not None
    if fn is None:
        use_wide_gemm(None)
    _hold, _release = (hold, release) if fn is not None else (None, None)


def use_wide_gemm(fn: Callable | None, hold: Callable | None = None, release: Callable | None = None) -> None:
    """Route the short, wide float32 products (`wide_route`) to `fn`, or back to the host's library (None).

    `fn` takes the same arguments as the host's and may take transposed operands as they are; it returns
    the name of the library that ran the product (a host whose wide library failed to load answers with
    its main library's name, and is then switched off here). `hold`/`release` are told of the `constant`
    arrays as the host's are (a held second operand can then be packed once for all its products)."""
    global _wide, _wide_hold, _wide_release
    _wide = fn
    _wide_hold, _wide_release = (hold, release) if fn is not None else (None, None)


def wide_route(batch: int, m: int, k: int, n: int) -> bool:
    """Whether op(A) (m x k) @ op(B) (k x n), `batch` of them, goes to the wide library: unbatched, and short and
    wide, or deep."""
    return batch == 1 and ((m <= WIDE_MAX_ROWS and k >= WIDE_MIN_INNER and n >= WIDE_MIN_INNER) or k >= DEEP_MIN_INNER)


def counts(reset: bool = False) -> dict[str, int]:
    """Products each library ran ("numpy" counts only those the seam sent there while a host is installed)."""
    out = dict(_counts)
    if reset:
        _counts.clear()
    return out


def _count(name: str) -> None:
    _counts[name] = _counts.get(name, 0) + 1


@contextmanager
def constant(*arrays: np.ndarray) -> Iterator[None]:
    """Promise that these arrays do not change inside the block (the recurrent weights over the
    time steps), so a host may keep them instead of copying them in on every product."""
    if _hold is None:
        yield
        return
    held = [(_addr(a), a.size) for a in arrays if a.dtype == np.float32 and a.flags.c_contiguous and a.size and _addr(a) % 4 == 0]
    wide_release = _wide_release  # the wide library may be switched off inside the block (_run_wide)
    for p, size in held:
        _hold(p, size)
        if _wide_hold is not None:
            _wide_hold(p, size)
        _held[p] = size
    try:
        yield
    finally:
        for p, _ in held:
            _release(p)
            if wide_release is not None:
                wide_release(p)
            _held.pop(p, None)


def active() -> str:
    """Which implementation float32 products use now: "numpy" or the host's name."""
    return _host_name


def _addr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _as_rows(a: np.ndarray, trans: bool) -> tuple[np.ndarray, bool]:
    """`a` as a C-contiguous array and the transpose flag that keeps its meaning (a transposed view flips the flag)."""
    if a.flags.c_contiguous:
        return a, trans
    swapped = np.swapaxes(a, -1, -2)
    if swapped.flags.c_contiguous:
        return swapped, not trans
    return np.ascontiguousarray(a), trans


# Measured in Chromium (Pyodide's NumPy, TensorFlow.js's wasm backend): NumPy transposes a matrix at
# about 9 ns a float, 5x faster than the library's own transpose; the library's product costs about
# 0.3 ns a multiply-add when its output has more rows than columns, and 3x that otherwise. So the
# host gets untransposed operands (NumPy transposes them, except held ones, whose transpose the host
# keeps), and a wide product is computed as C^T = op(B)^T op(A)^T when that costs less.
_MAC_COST = 0.034  # one multiply-add of a tall product, in floats transposed by NumPy


def _t(x: np.ndarray) -> np.ndarray:
    return transposed(x)


_STRIP = (64, 1024)  # rows x columns of a tile: its reads and writes stay in cache


def transposed(x: np.ndarray) -> np.ndarray:
    """x with its last two axes swapped, as a new C-contiguous array.

    Copying a tall matrix's transpose in one go reads it column by column, each element far from the
    last: Pyodide's NumPy took 0.9-1.8 s for (6400, 1024) float32 in the page, and 90 ms tile by tile
    (a (16384, 288) one: 480 vs 94 ms). A wide matrix copies faster in one go (44 ms for (288, 16384))."""
    m, n = x.shape[-2:]
    if m <= n or x.size < 1 << 16:
        return np.ascontiguousarray(np.swapaxes(x, -1, -2))
    out = np.empty(x.shape[:-2] + (n, m), x.dtype)
    r, c = _STRIP
    for i in range(0, m, r):
        for j in range(0, n, c):
            np.copyto(out[..., j : j + c, i : i + r], np.swapaxes(x[..., i : i + r, j : j + c], -1, -2))
    return out


def _given(x: np.ndarray, px: int, trans: bool, held: bool) -> tuple[np.ndarray, int, bool]:
    """What the host gets for op(x): x itself, x flagged transposed when the host holds it (it keeps
    the transpose), or NumPy's transposed copy (the caller keeps it alive through the call)."""
    if not trans:
        return x, px, False
    if held:
        return x, px, True
    t = _t(x)
    return t, _addr(t), False


def _host_product(a, b, pa: int, pb: int, out, pc: int, ba, bb, m, k, n, ta: bool, tb: bool) -> None:
    """out = op(a) @ op(b) on the host, in the cheaper orientation; a, b C-contiguous at pa, pb, out at pc.
    (Addresses are passed along, not read again: each read builds NumPy's interface dict, and the
    recurrent loops make hundreds of products a step.)"""
    held_a = bool(_held) and _held.get(pa) == a.size
    held_b = bool(_held) and _held.get(pb) == b.size
    work = max(ba, bb) * m * k * n * _MAC_COST
    # The library packs its second operand for each new one; a held second operand is packed once
    # and reused (the recurrent weights: 1.5-2x faster per step), so a wide product costs no extra then.
    direct = (ta and not held_a) * a.size + (tb and not held_b) * b.size + work * (3 if m < n and not held_b else 1)
    flipped = (not ta and not held_a) * a.size + (not tb and not held_b) * b.size + out.size + work * (3 if n < m and not held_a else 1)
    if flipped < direct:
        # first operand op(b)^T (n, k): b itself when tb; second op(a)^T (k, m): a itself when ta
        first, p1, t1 = _given(b, pb, not tb, held_b)
        second, p2, t2 = _given(a, pa, not ta, held_a)
        res = np.empty(out.shape[:-2] + (n, m), np.float32)
        _host(p1, p2, _addr(res), bb, ba, n, k, m, t1, t2)
        np.copyto(out, np.swapaxes(res, -1, -2))
        return
    first, p1, t1 = _given(a, pa, ta, held_a)
    second, p2, t2 = _given(b, pb, tb, held_b)
    _host(p1, p2, pc, ba, bb, m, k, n, t1, t2)


def _run_wide(pa, pb, pc, ba, bb, m, k, n, ta, tb) -> str:
    """One product on the wide library; its name, or the host's when the wide library could not run (then switched off)."""
    name = _wide(pa, pb, pc, ba, bb, m, k, n, ta, tb)
    if name == _host_name:
        use_wide_gemm(None)
    return name


def _numpy_gemm(a, b, trans_a, trans_b, out):
    a = np.swapaxes(a, -1, -2) if trans_a else a
    b = np.swapaxes(b, -1, -2) if trans_b else b
    if out is None:
        return np.matmul(a, b)
    return np.matmul(a, b, out=out)


def gemm(a: np.ndarray, b: np.ndarray, trans_a: bool = False, trans_b: bool = False, out: np.ndarray | None = None) -> np.ndarray:
    """op(a) @ op(b) for 2-D or 3-D arrays (op transposes the last two axes when asked).

    A 3-D operand's batch broadcasts against a 2-D one or a batch of 1, as in np.matmul.
    """
    if _host is None or a.dtype != np.float32 or b.dtype != np.float32 or not (2 <= a.ndim <= 3 and 2 <= b.ndim <= 3):
        return _numpy_gemm(a, b, trans_a, trans_b, out)
    m, k = (a.shape[-1], a.shape[-2]) if trans_a else a.shape[-2:]
    k2, n = (b.shape[-1], b.shape[-2]) if trans_b else b.shape[-2:]
    ba = a.shape[0] if a.ndim == 3 else 1
    bb = b.shape[0] if b.ndim == 3 else 1
    batch = max(ba, bb)
    if k != k2 or (ba != bb and 1 not in (ba, bb)) or batch * m * n * k < HOST_MIN_WORK:
        _count("numpy")
        return _numpy_gemm(a, b, trans_a, trans_b, out)
    pa, pb = _addr(a), _addr(b)
    if (pa | pb) % 4:
        _count("numpy")
        return _numpy_gemm(a, b, trans_a, trans_b, out)
    shape = (batch, m, n) if max(a.ndim, b.ndim) == 3 else (m, n)
    if out is not None and out.shape != shape:
        return _numpy_gemm(a, b, trans_a, trans_b, out)  # NumPy's error or broadcasting rules
    pc = _addr(out) if out is not None and out.flags.c_contiguous and out.dtype == np.float32 else -1
    direct = pc >= 0 and pc % 4 == 0
    target = out if direct else np.empty(shape, np.float32)
    if target.size == 0:
        return target
    if k == 0:
        target.fill(0)
    else:
        a2, trans_a = _as_rows(a, trans_a)
        b2, trans_b = _as_rows(b, trans_b)
        pa = pa if a2 is a else _addr(a2)
        pb = pb if b2 is b else _addr(b2)
        pt = pc if direct else _addr(target)
        # a held first operand stays with the host (it keeps it across the time steps); a held second one the
        # wide library packs once (it was told by `constant`)
        if _wide is not None and wide_route(batch, m, k, n) and not (_held and pa in _held):
            _count(_run_wide(pa, pb, pt, ba, bb, m, k, n, trans_a, trans_b))
        elif _host_transposes:
            if _host(pa, pb, pt, ba, bb, m, k, n, trans_a, trans_b) is False:  # the library could not run it (it said why)
                _count("numpy")
                _numpy_gemm(a2, b2, trans_a, trans_b, target)
            else:
                _count(_host_name)
        else:
            _count(_host_name)
            _host_product(a2, b2, pa, pb, target, pt, ba, bb, m, k, n, trans_a, trans_b)
    if out is not None and target is not out:
        np.copyto(out, target)
        return out
    return target


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """np.matmul's semantics, with the 2-D and stacked cases routed through `gemm`."""
    if _host is None or a.ndim < 2 or b.ndim < 2 or a.dtype != np.float32 or b.dtype != np.float32:
        return np.matmul(a, b) if out is None else np.matmul(a, b, out=out)
    if a.ndim == b.ndim <= 3 or (a.ndim == 2 and b.ndim == 3):
        return gemm(a, b, out=out)
    if b.ndim == 2:  # (..., m, k) @ (k, n): one 2-D product over the stacked rows
        if not a.flags.c_contiguous:
            a = np.ascontiguousarray(a)
        res = gemm(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[-1],))
    else:
        lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a3 = np.broadcast_to(a, lead + a.shape[-2:]).reshape(-1, *a.shape[-2:])
        b3 = np.broadcast_to(b, lead + b.shape[-2:]).reshape(-1, *b.shape[-2:])
        res = gemm(a3, b3).reshape(lead + (a.shape[-2], b.shape[-1]))
    if out is not None:
        np.copyto(out, res)
        return out
    return res
