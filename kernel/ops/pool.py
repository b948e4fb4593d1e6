"""Pooling and resampling: max/avg pooling, adaptive pooling, interpolate.

Window ops run over the kh*kw kernel offsets, each a strided slice of the (padded) input as
large as the output: a running maximum or a running sum. Max pooling notes, while it runs,
which offset holds each window's first maximum (one uint8 per output), so backward is one
select (np.where) per offset. Windows that tile the input exactly (stride = kernel, no padding:
the common 2x2) take the maximum in two stages instead, along each row, then down the rows,
and their gradient is written slice by slice instead of accumulated. Adaptive average
pooling and interpolation are separable linear maps: two small matrix multiplies.
"""

from __future__ import annotations

import numpy as np

from ..function import Function, named
from ..tensor import Tensor
from .bilinear_grad import LinearBackward
from .conv import n_ints

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "interpolate", "upsample", "max_pool1d_with_indices",
    "max_pool2d_with_indices",
]


# ---- geometry -----------------------------------------------------------------------------
def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _slabs(xp: np.ndarray, k: tuple, s: tuple, d: tuple, out_hw: tuple):
    """(offset number, strided (N, C, Ho, Wo) view of `xp`) for each kernel offset."""
    (ho, wo), n = out_hw, 0
    for i in range(k[0]):
        rows = slice(i * d[0], i * d[0] + s[0] * (ho - 1) + 1, s[0])
        for j in range(k[1]):
            yield n, (rows, slice(j * d[1], j * d[1] + s[1] * (wo - 1) + 1, s[1]))
            n += 1


def _padded(x: np.ndarray, p: tuple, need_hw: tuple, fill) -> np.ndarray:
    """`x` padded by p on the top/left and enough on the bottom/right to hold every window."""
    n, c, h, w = x.shape
    bh, bw = max(need_hw[0] - h - p[0], 0), max(need_hw[1] - w - p[1], 0)
    if not (p[0] or p[1] or bh or bw):
        return x
    xp = np.full((n, c, h + p[0] + bh, w + p[1] + bw), fill, dtype=x.dtype)
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    return xp


class _Geometry:
    """Kernel, stride, padding, dilation and output size of one pooling call (2-D form)."""

    def __init__(self, shape, k, s, p, d, ceil):
        self.k, self.s, self.p, self.d = k, s, p, d
        self.out = tuple(_pool_out(shape[2 + i], k[i], s[i], p[i], d[i], ceil) for i in range(2))
        self.need = tuple((self.out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(2))
        self.disjoint = all(s[i] >= d[i] * (k[i] - 1) + 1 for i in range(2))

    def tiles(self, shape) -> bool:
        """Whether the windows tile the (N, C, H, W) input exactly: each input read once, none left out."""
        return self.k == self.s and self.d == (1, 1) and self.p == (0, 0) and self.need == tuple(shape[2:])


class _Pool(Function):
    """Pooling Functions compute on (N, C, H, W); 1-D and unbatched inputs are reshaped in and out."""
    reads_parents = False

    def forward(self, x, *, x4, out_shape, **kwargs):
        self.in_shape = x.shape
        out = self.forward4(x.reshape(x4), **kwargs)
        self.out4 = out.shape
        return out.reshape(out_shape)

    def backward(self, g):
        return self.backward4(g.reshape(self.out4)).reshape(self.in_shape)

    def backward_graph(self, g):
        return self.backward4_graph(g.reshape(self.out4)).reshape(self.in_shape)


class MaxPool2d(_Pool):
    """Each offset's slice of the input is copied out contiguous first (Pyodide's NumPy is 5-10x
    slower on strided operands), then a running np.where keeps the maximum and the offset that
    holds each window's first maximum (uint8), so backward and `return_indices` need no
    comparisons with the input again. PyTorch's rule (a later value wins if greater, or if NaN)
    is followed step by step only when the input has a NaN."""

    def forward4(self, x, *, geom, indices=None):
        self.x_shape, self.geom = x.shape, geom
        with np.errstate(invalid="ignore"):
            nan = x.dtype.kind == "f" and bool(np.isnan(x.sum()))
        if not nan and geom.tiles(x.shape) and 1 < geom.k[0] * geom.k[1] < 256:
            best, win = _tiled_max(x, geom.k)
            self.win = win
            if indices is not None:
                indices.append(self.indices())
            return best
        xp = _padded(x, geom.p, geom.need, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
        slabs = [xp[(slice(None), slice(None)) + sl].copy() for _, sl in _slabs(xp, geom.k, geom.s, geom.d, geom.out)]
        if nan:
            best, win = self._exact_winners(slabs)
        else:
            best, win = slabs[0], np.zeros(slabs[0].shape, dtype=np.uint8 if len(slabs) < 256 else np.int64)
            for num, slab in enumerate(slabs[1:], 1):
                up = np.greater(slab, best)
                best, win = np.where(up, slab, best), np.where(up, win.dtype.type(num), win)
        self.win = win
        if indices is not None:
            indices.append(self.indices())
        return best

    @staticmethod
    def _exact_winners(slabs):
        """The maximum and each window's winning offset by PyTorch's rule (greater, or NaN)."""
        best = slabs[0].copy()
        win = np.zeros(best.shape, dtype=np.int64)
        for num, slab in enumerate(slabs[1:], 1):
            take = np.greater(slab, best) | np.isnan(slab)
            np.copyto(win, num, where=take)
            np.copyto(best, slab, where=take)
        return best, win

    def backward4(self, g):
        """Each offset's slice of the input takes the gradient of the windows it won."""
        geom = self.geom
        n, c, h, w = self.x_shape
        p = geom.p
        padded_shape = (n, c, h + p[0] + max(geom.need[0] - h - p[0], 0), w + p[1] + max(geom.need[1] - w - p[1], 0))
        tiled = geom.tiles(self.x_shape)  # every input read exactly once
        dxp = (np.empty if tiled else np.zeros)(padded_shape, dtype=g.dtype)
        for num, sl in _slabs(dxp, geom.k, geom.s, geom.d, geom.out):
            view = dxp[(slice(None), slice(None)) + sl]
            won = np.where(self.win == num, g, g.dtype.type(0))  # a select: a uint8 mask multiply is 3x slower in Pyodide
            if tiled:
                np.copyto(view, won)
            else:
                view += won
        return dxp if tiled else dxp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]

    def indices(self) -> np.ndarray:
        """PyTorch's indices: the flat position h * W + w of each maximum in the unpadded input."""
        geom = self.geom
        idx = self.win.astype(np.int64)
        ho, wo = geom.out
        w = self.x_shape[3]
        rows = np.arange(ho).reshape(ho, 1) * geom.s[0] - geom.p[0] + (idx // geom.k[1]) * geom.d[0]
        cols = np.arange(wo) * geom.s[1] - geom.p[1] + (idx % geom.k[1]) * geom.d[1]
        return rows * w + cols

    def backward4_graph(self, g):
        return _scatter_windows(g, self.indices(), self.x_shape)


class AvgPool2d(_Pool):
    saves_tensors = False

    def forward4(self, x, *, geom, count_include_pad, divisor_override):
        n, c, h, w = self.x_shape = x.shape
        self.divisor_args = (count_include_pad, divisor_override)  # for the double backward
        self.geom = geom
        self.divisor = div = _avg_divisor(geom, h, w, count_include_pad, divisor_override).astype(x.dtype)
        if geom.disjoint and geom.k == geom.s and geom.p == (0, 0) and geom.d == (1, 1) and geom.need == (h, w):
            (ho, wo), (kh, kw) = geom.out, geom.k
            return x.reshape(n, c, ho, kh, wo, kw).sum(axis=(3, 5)) / div
        xp = _padded(x, geom.p, geom.need, 0)
        total = None
        for _, sl in _slabs(xp, geom.k, geom.s, geom.d, geom.out):
            slab = xp[(slice(None), slice(None)) + sl]
            total = slab.copy() if total is None else np.add(total, slab, out=total)
        self.padded_shape = xp.shape
        return total / div

    def backward4(self, g):
        geom = self.geom
        n, c, h, w = self.x_shape
        gd = g / self.divisor
        if geom.disjoint and geom.k == geom.s and geom.p == (0, 0) and geom.d == (1, 1) and geom.need == (h, w):
            (ho, wo), (kh, kw) = geom.out, geom.k
            return np.broadcast_to(gd[:, :, :, None, :, None], (n, c, ho, kh, wo, kw)).reshape(n, c, h, w)
        dxp = np.zeros(self.padded_shape, dtype=g.dtype)
        for _, sl in _slabs(dxp, geom.k, geom.s, geom.d, geom.out):
            view = dxp[(slice(None), slice(None)) + sl]
            if geom.disjoint:
                view[...] = gd
            else:
                view += gd
        p = geom.p
        return dxp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]

    def backward4_graph(self, g):
        def pool_again(u):
            return AvgPool2d().forward4(u, geom=self.geom, count_include_pad=self.divisor_args[0],
                                        divisor_override=self.divisor_args[1])

        return LinearBackward.apply(g, backward=self.backward4, forward=pool_again)


def _first_max(parts: list) -> tuple:
    """The elementwise maximum of equally shaped arrays and which one holds it (uint8; the first on ties)."""
    best, idx = parts[0], None
    for num, part in enumerate(parts[1:], 1):
        up = np.greater(part, best)
        best = np.where(up, part, best)
        idx = up.view(np.uint8) if idx is None else np.where(up, np.uint8(num), idx)
    return best, idx


def _tiled_max(x: np.ndarray, k: tuple) -> tuple:
    """Max pooling of (N, C, H, W) `x` by windows that tile it exactly (stride = kernel, no padding),
    and each window's winning offset (uint8, i * kw + j). In two stages, each far fewer passes over
    less data than the offset-by-offset loop (Pyodide's NumPy: 3.5 vs 6.6 ms for the seed CNN's first
    pool): the kw neighbours along each row first, as 1-D strided views of the flat input, then the kh
    row winners of each window. A later offset wins only when greater in both stages, so the first
    maximum in raster order wins, as in PyTorch."""
    n, c, h, w = x.shape
    kh, kw = k
    ho, wo = h // kh, w // kw
    flat = x.reshape(-1)
    best, col = _first_max([flat[j::kw] for j in range(kw)]) if kw > 1 else (flat, None)
    rows = best.reshape(n * c * ho, kh, wo)
    if kh == 1:
        best, win = rows[:, 0], col.reshape(n * c * ho, wo)
    else:
        best, row = _first_max([rows[:, i] for i in range(kh)])
        if col is None:
            win = row
        else:
            cols = col.reshape(n * c * ho, kh, wo)
            win = cols[:, 0]
            for i in range(1, kh):
                chosen = row.view(np.bool_) if kh == 2 else row == i
                win = np.where(chosen, cols[:, i] + np.uint8(i * kw), win)
    return best.reshape(n, c, ho, wo), win.reshape(n, c, ho, wo)


def _scatter_windows(g, flat_idx: np.ndarray, x_shape: tuple):
    """Max pooling's backward with Tensor ops: each window's gradient to its maximum's flat position."""
    from .index import IndexPutZeros

    n, c, h, w = x_shape
    idx = (np.arange(n).reshape(n, 1, 1, 1), np.arange(c).reshape(1, c, 1, 1), flat_idx)
    return IndexPutZeros.apply(g, shape=(n, c, h * w), idx=idx).reshape(x_shape)


def _avg_divisor(geom, h: int, w: int, count_include_pad: bool, divisor_override) -> np.ndarray:
    """(Ho, Wo) divisors as PyTorch computes them (windows clipped to the padded input)."""
    if divisor_override:
        return np.full(geom.out, divisor_override, dtype=np.float64)
    sizes = []
    for i, size in enumerate((h, w)):
        start = np.arange(geom.out[i]) * geom.s[i] - geom.p[i]
        end = np.minimum(start + geom.k[i], size + geom.p[i])
        pool = end - start
        valid = np.minimum(end, size) - np.maximum(start, 0)
        sizes.append(pool if count_include_pad else valid)
    return np.outer(sizes[0], sizes[1]).astype(np.float64)


class SeparableLinear(Function):
    """out = Ah @ x @ Aw^T over the last two axes (Ah None for 1-D): adaptive avg pool, interpolate."""

    saves_tensors = False
    reads_parents = False

    def forward(self, x, *, ah, aw):
        self.ah, self.aw = ah, aw
        out = np.matmul(x, aw.T)
        return np.matmul(ah, out) if ah is not None else out

    def backward(self, g):
        if self.ah is not None:
            g = np.matmul(self.ah.T, g)
        return np.matmul(g, self.aw)

    def backward_graph(self, g):
        return SeparableLinear.apply(g, ah=None if self.ah is None else self.ah.T, aw=self.aw.T)


class AdaptiveMaxPool2d(_Pool):
    """Max over each adaptive window: first along W per output column, then along H per output row
    (ties resolve to the first position in raster order, as in PyTorch)."""

    def forward4(self, x, *, out_hw, indices=None):
        n, c, h, w = self.x_shape = x.shape
        oh, ow = out_hw
        colv = np.empty((n, c, h, ow), dtype=x.dtype)
        colidx = np.empty((n, c, h, ow), dtype=np.int64)
        for j, (a, b) in enumerate(_adaptive_ranges(w, ow)):
            seg = x[:, :, :, a:b]
            arg = seg.argmax(axis=3)
            colv[:, :, :, j] = np.take_along_axis(seg, arg[..., None], axis=3)[..., 0]
            colidx[:, :, :, j] = arg + a
        out = np.empty((n, c, oh, ow), dtype=x.dtype)
        idx = np.empty((n, c, oh, ow), dtype=np.int64)
        for i, (a, b) in enumerate(_adaptive_ranges(h, oh)):
            seg = colv[:, :, a:b, :]
            arg = seg.argmax(axis=2)[:, :, None, :]
            out[:, :, i, :] = np.take_along_axis(seg, arg, axis=2)[:, :, 0, :]
            col = np.take_along_axis(colidx[:, :, a:b, :], arg, axis=2)[:, :, 0, :]
            idx[:, :, i, :] = (arg[:, :, 0, :] + a) * w + col
        self.idx = idx
        if indices is not None:
            indices.append(idx)
        return out

    def backward4(self, g):
        n, c, h, w = self.x_shape
        base = (np.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, 1, 1)
        flat = np.bincount((self.idx + base).ravel(), weights=g.ravel(), minlength=n * c * h * w)
        return flat.astype(g.dtype, copy=False).reshape(self.x_shape)

    def backward4_graph(self, g):
        return _scatter_windows(g, self.idx, self.x_shape)


def _adaptive_ranges(size: int, out: int):
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    m = np.zeros((out, size), dtype=np.float64)
    for i, (a, b) in enumerate(_adaptive_ranges(size, out)):
        m[i, a:b] = 1.0 / (b - a)
    return m.astype(dtype)


# ---- argument handling with PyTorch's messages --------------------------------------------
_WHAT = {"kernel_size": "kernel_size must either be a single int, or a tuple of two ints",
         "stride": "stride must either be omitted, a single int, or a tuple of two ints",
         "padding": "padding must either be a single int, or a tuple of two ints",
         "dilation": "dilation must be either a single int, or a tuple of two ints"}


def _ints(value, n: int, name: str, fn: str) -> tuple:
    return n_ints(value, n, lambda v: RuntimeError(f"{fn}: {_WHAT[name]}"))


def _as4d(x: Tensor, nd: int) -> tuple:
    """The (N, C, H, W) shape that the 2-D engine sees for an nd-D pooling input."""
    s = x.array.shape
    if nd == 1:
        return (s[0], s[1], 1, s[2]) if len(s) == 3 else (1, s[0], 1, s[1])
    return s if len(s) == 4 else (1,) + s


def _check_pool(x4, k, s, p, d, out, nd: int, name: str) -> None:
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    for i in range(2 - nd, 2):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    if any(o < 1 for o in out):
        if nd == 1:
            raise RuntimeError(f"{name}() Invalid computed output size: {out[1]}")
        c, h, w = x4[1:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). Output size is too small")


def _pool_args(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode, nd: int, name: str):
    ndim = input.array.ndim
    if nd == 2 and (ndim not in (3, 4) or 0 in input.array.shape[-3:]):
        if name == "avg_pool2d" and ndim < 3:
            from ..tensor import _wrap_dim

            _wrap_dim(-3, ndim)
        if ndim in (3, 4):
            raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[{', '.join(map(str, input.array.shape))}]")
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if nd == 1 and ndim not in (2, 3):
        raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:[{', '.join(map(str, input.array.shape))}]")
    fn = name
    k = _ints(kernel_size, nd, "kernel_size", fn)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _ints(stride, nd, "stride", fn)
    p, d = _ints(padding, nd, "padding", fn), _ints(dilation, nd, "dilation", fn)
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    x4 = _as4d(input, nd)
    geom = _Geometry(x4, k, s, p, d, ceil_mode) if all(s) and all(v > 0 for v in d) else None
    _check_pool(x4, k, s, p, d, geom.out if geom else (1, 1), nd, name)
    return x4, geom


def _out_shape(input: Tensor, out_hw: tuple, nd: int) -> tuple:
    lead = input.array.shape[:-nd]
    return lead + (out_hw[1],) if nd == 1 else lead + out_hw


# ---- functional forms -----------------------------------------------------------------------
def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd: int, name: str):
    x4, geom = _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, nd, name)
    holder = [] if return_indices else None
    out = MaxPool2d.apply(input, x4=x4, out_shape=_out_shape(input, geom.out, nd), geom=geom, indices=holder)
    named(out, "MaxPool2DWithIndicesBackward0" if nd == 2 else "SqueezeBackward1")
    if return_indices:
        return out, Tensor._make(holder[0].reshape(out.array.shape))
    return out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd: int, name: str):
    x4, geom = _pool_args(input, kernel_size, stride, padding, 1, ceil_mode, nd, name)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out = AvgPool2d.apply(input, x4=x4, out_shape=_out_shape(input, geom.out, nd), geom=geom,
                          count_include_pad=count_include_pad, divisor_override=divisor_override)
    return named(out, "AvgPool2DBackward0" if nd == 2 else "SqueezeBackward1")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2, "avg_pool2d")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


def _adaptive_size(input: Tensor, output_size, nd: int, name: str) -> tuple:
    shape = input.array.shape
    if input.array.ndim not in (nd + 1, nd + 2):
        sep = ": " if "max" in name else " "
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{sep}[{', '.join(map(str, shape))}]")
    for i in range(1, input.array.ndim):
        if shape[i] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes "
                f"[{', '.join(map(str, shape))}] with dimension {i} being empty"
            )
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        output_size = (output_size,) * nd
    output_size = tuple(output_size)
    if len(output_size) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    return tuple(shape[-nd + i] if o is None else int(o) for i, o in enumerate(output_size))


def adaptive_avg_pool2d(input, output_size):
    oh, ow = _adaptive_size(input, output_size, 2, "adaptive_avg_pool2d")
    h, w = input.array.shape[-2:]
    if h % oh == 0 and w % ow == 0:
        out = avg_pool2d(input, (h // oh, w // ow))
    else:
        dt = input.array.dtype
        out = SeparableLinear.apply(input, ah=_adaptive_matrix(h, oh, dt), aw=_adaptive_matrix(w, ow, dt))
    return named(out, "MeanBackward1" if (oh, ow) == (1, 1) else "AdaptiveAvgPool2DBackward0")


def adaptive_avg_pool1d(input, output_size):
    (o,) = _adaptive_size(input, output_size, 1, "adaptive_avg_pool1d")
    w = input.array.shape[-1]
    return SeparableLinear.apply(input, ah=None, aw=_adaptive_matrix(w, o, input.array.dtype))


def _adaptive_max(input, out_hw, return_indices, nd: int):
    holder = [] if return_indices else None
    out = AdaptiveMaxPool2d.apply(input, x4=_as4d(input, nd), out_shape=_out_shape(input, out_hw, nd), out_hw=out_hw,
                                  indices=holder)
    named(out, "AdaptiveMaxPool2DBackward0" if nd == 2 else "SqueezeBackward1")
    if return_indices:
        return out, Tensor._make(holder[0].reshape(out.array.shape))
    return out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    out_hw = _adaptive_size(input, output_size, 2, "adaptive_max_pool2d")
    return _adaptive_max(input, out_hw, return_indices, 2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    (o,) = _adaptive_size(input, output_size, 1, "adaptive_max_pool1d")
    return _adaptive_max(input, (1, o), return_indices, 1)


# ---- interpolate ----------------------------------------------------------------------------
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_MODE_DIMS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def _resample_matrix(size: int, out: int, scale, mode: str, align_corners: bool, dtype) -> np.ndarray:
    """The (out, size) matrix of one axis: PyTorch's source-index rules for `mode`."""
    dst = np.arange(out, dtype=np.float32)
    m = np.zeros((out, size), dtype=np.float64)
    rows = np.arange(out)
    if mode in ("nearest", "nearest-exact"):
        s = np.float32(1.0 / scale if scale else size / out)
        src = np.floor((dst + np.float32(0.5 if mode == "nearest-exact" else 0)) * s).astype(np.int64)
        m[rows, np.minimum(src, size - 1)] = 1.0
        return m.astype(dtype)
    if align_corners:
        s = np.float32((size - 1) / (out - 1)) if out > 1 else np.float32(0)
        src = dst * s
    else:
        s = np.float32(1.0 / scale if scale else size / out)
        src = np.maximum(s * (dst + np.float32(0.5)) - np.float32(0.5), np.float32(0))
    i0 = src.astype(np.int64)
    i1 = np.minimum(i0 + 1, size - 1)
    lam = (src - i0).astype(np.float64)
    m[rows, i0] += 1 - lam
    m[rows, i1] += lam
    return m.astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    if antialias:
        raise NotImplementedError("interpolate(antialias=True): TorchPad's browser kernel has no anti-aliasing filter; "
                                  "pass antialias=False, or run on the GPU server runtime")
    ndim = input.array.ndim
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear")
    nsp = ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    spatial = list(input.array.shape[2:])
    if size is not None:
        size = [int(size)] * nsp if isinstance(size, (int, np.integer)) else [int(s) for s in size]
        if len(size) != nsp:
            raise ValueError(
                f"Input and output must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {spatial} and output size of {_show(size)}. Please provide input tensor in (N, C, d1, "
                f"d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        scales = [None] * nsp
    elif scale_factor is not None:
        scales = [float(scale_factor)] * nsp if isinstance(scale_factor, (int, float)) else [float(s) for s in scale_factor]
        if len(scales) != nsp:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {spatial} and scale_factor of shape {_show(scale_factor)}. Please provide input tensor "
                f"in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
            )
        size = [int(np.floor(s * f)) for s, f in zip(spatial, scales)]
        if recompute_scale_factor:
            scales = [None] * nsp
    else:
        raise ValueError("either size or scale_factor should be defined")
    if mode in _MODE_DIMS and ndim != _MODE_DIMS[mode] and ndim in (3, 4, 5):
        raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs {_MODE_DIMS[mode]}D input")
    if ndim not in (3, 4) or mode not in ("nearest", "nearest-exact", "linear", "bilinear", "area"):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the modes: {_MODES} (got {mode})"
        )
    if mode == "area":
        return adaptive_avg_pool2d(input, size) if ndim == 4 else adaptive_avg_pool1d(input, size)
    dt = input.array.dtype
    ac = bool(align_corners)
    aw = _resample_matrix(spatial[-1], size[-1], scales[-1], mode, ac, dt)
    ah = _resample_matrix(spatial[0], size[0], scales[0], mode, ac, dt) if ndim == 4 else None
    return SeparableLinear.apply(input, ah=ah, aw=aw)


def _show(v) -> str:
    return str(tuple(v)) if not isinstance(v, (int, float)) else str(v)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)
