"""3-D convolution and pooling (volumes: N x C x D x H x W), one loop over the kernel's offsets.

Each kernel offset contributes one strided slice of the padded input; forward stacks them
(the "columns") and contracts with the weight, backward adds each slice's gradient back in
place. The kernels of video and medical tutorials are small (3x3x3), so the loop is short.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..function import Function, named
from ..tensor import Tensor
from .bilinear_grad import LinearBackward, bilinear_backward_graph

__all__ = ["conv3d", "max_pool3d", "avg_pool3d"]


def _triple(value, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return tuple(value) * 3
        if len(value) != 3:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of 3 values to match the "
                               "convolution dimensions, but got " + f"{name}=[{', '.join(map(str, value))}]")
        return tuple(int(v) for v in value)
    return (int(value),) * 3


def _offsets(k: tuple):
    return list(itertools.product(*(range(n) for n in k)))


def _slice(offset, stride, dilation, out):
    return tuple(slice(o * d, o * d + s * (n - 1) + 1, s) for o, s, d, n in zip(offset, stride, dilation, out))


def _columns(xp: np.ndarray, k, stride, dilation, out) -> np.ndarray:
    """(N, C, K, oD, oH, oW): for each kernel offset, the input values it meets."""
    return np.stack([xp[(Ellipsis,) + _slice(off, stride, dilation, out)] for off in _offsets(k)], axis=2)


def _scatter_columns(gcols: np.ndarray, shape, k, stride, dilation, out) -> np.ndarray:
    g = np.zeros(shape, dtype=gcols.dtype)
    for i, off in enumerate(_offsets(k)):
        g[(Ellipsis,) + _slice(off, stride, dilation, out)] += gcols[:, :, i]
    return g


def _out(size, k, s, p, d, ceil=False) -> int:
    span = size + 2 * p - d * (k - 1) - 1
    n = (-(-span // s) if ceil else span // s) + 1
    if ceil and (n - 1) * s >= size + p:  # the last window must start inside the input or the left padding
        n -= 1
    return n


class Conv3d(Function):
    def forward(self, x, w, b=None, *, stride, padding, dilation, groups):
        n, c = x.shape[:2]
        o, cg = w.shape[:2]
        k = w.shape[2:]
        xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding)) if any(padding) else x
        out = tuple(_out(s, kk, st, 0, d) for s, kk, st, d in zip(xp.shape[2:], k, stride, dilation))
        cols = _columns(xp, k, stride, dilation, out)  # N, C, K, *out
        kk = cols.shape[2]
        cols = cols.reshape(n, groups, cg * kk, -1)
        wg = w.reshape(groups, o // groups, cg * kk)
        y = np.einsum("gok,ngkl->ngol", wg, cols, optimize=True).reshape(n, o, *out)
        if b is not None:
            y = y + b.reshape(1, -1, 1, 1, 1)
        self.cols, self.w, self.xp_shape, self.out, self.k = cols, w, xp.shape, out, k
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        return y.astype(x.dtype, copy=False)

    def backward(self, g):
        n, o = g.shape[:2]
        groups, cols, w = self.groups, self.cols, self.w
        gg = g.reshape(n, groups, o // groups, -1)
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[1]:
            gw = np.einsum("ngol,ngkl->gok", gg, cols, optimize=True).reshape(w.shape)
        if need[0]:
            wg = w.reshape(groups, o // groups, -1)
            gcols = np.einsum("gok,ngol->ngkl", wg, gg, optimize=True)
            kk = len(_offsets(self.k))
            gcols = gcols.reshape(n, self.xp_shape[1], kk, *self.out)
            gxp = _scatter_columns(gcols, self.xp_shape, self.k, self.stride, self.dilation, self.out)
            gx = gxp[(Ellipsis,) + tuple(slice(p, s - p) for p, s in zip(self.padding, self.xp_shape[2:]))]
        if len(need) > 2 and need[2]:
            gb = g.sum(axis=(0, 2, 3, 4))
        return gx, gw, gb

    def backward_graph(self, g):
        kw = dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)
        return bilinear_backward_graph(self, g, kw)


def _batched5(input: Tensor, name: str) -> tuple:
    if input.array.ndim not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to {name}, but got input of size: "
                           f"[{', '.join(map(str, input.array.shape))}]")
    return (input, True) if input.array.ndim == 5 else (input.unsqueeze(0), False)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    x, batched = _batched5(input, "conv3d")
    stride, dilation = _triple(stride, "stride"), _triple(dilation, "dilation")
    w = weight.array
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string '{padding}'")
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            totals = [d * (k - 1) for d, k in zip(dilation, w.shape[2:])]
            if any(t % 2 for t in totals):
                left = [t // 2 for t in totals]
                pad = []
                for lft, t in zip(reversed(left), reversed(totals)):
                    pad += [lft, t - lft]
                from ..nn.functional import pad as fpad

                x = fpad(x, pad)
                padding = (0, 0, 0)
            else:
                padding = tuple(t // 2 for t in totals)
        else:
            padding = (0, 0, 0)
    else:
        padding = _triple(padding, "padding")
    if w.ndim != 5:
        raise RuntimeError(f"Expected 5-dimensional input for 5-dimensional weight [{', '.join(map(str, w.shape))}], but "
                           f"got {x.array.ndim}-dimensional input of size [{', '.join(map(str, x.array.shape))}] instead")
    if x.array.shape[1] != w.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size [{', '.join(map(str, w.shape))}], expected "
                           f"input[{', '.join(map(str, x.array.shape))}] to have {w.shape[1] * groups} channels, but got "
                           f"{x.array.shape[1]} channels instead")
    if x.array.dtype != w.dtype:
        raise RuntimeError("Input type and weight type should be the same")
    padded = tuple(s + 2 * p for s, p in zip(x.array.shape[2:], padding))
    eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, w.shape[2:]))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size")
    args = (x, weight) if bias is None else (x, weight, bias)
    y = named(Conv3d.apply(*args, stride=stride, padding=padding, dilation=dilation, groups=groups),
              "ConvolutionBackward0")
    return y if batched else y.squeeze(0)


# ---- pooling --------------------------------------------------------------------------------
class MaxPool3d(Function):
    reads_parents = False
    def forward(self, x, k, stride, padding, dilation, out):
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        extra = tuple(max(0, (o - 1) * s + d * (kk - 1) + 1 - (n + 2 * p))
                      for o, s, d, kk, n, p in zip(out, stride, dilation, k, x.shape[2:], padding))
        pads = ((0, 0), (0, 0)) + tuple((p, p + e) for p, e in zip(padding, extra))
        xp = np.pad(x, pads, constant_values=fill)
        cols = _columns(xp, k, stride, dilation, out)
        arg = cols.argmax(axis=2)
        self.arg, self.xp_shape, self.k, self.stride, self.dilation, self.out = arg, xp.shape, k, stride, dilation, out
        self.padding, self.in_shape = padding, x.shape
        return np.take_along_axis(cols, arg[:, :, None], axis=2)[:, :, 0]

    def indices(self) -> np.ndarray:
        """Flat D*H*W input positions of the maxima, as PyTorch's return_indices gives them."""
        offs = np.array(_offsets(self.k))  # K x 3
        pos = []
        for axis in range(3):
            grid = np.arange(self.out[axis]).reshape([-1 if i == axis else 1 for i in range(3)])
            pos.append(grid * self.stride[axis] - self.padding[axis] + offs[self.arg, axis] * self.dilation[axis])
        d, h, w = self.in_shape[2:]
        return ((pos[0] * h + pos[1]) * w + pos[2]).astype(np.int64)

    def backward(self, g):
        kk = len(_offsets(self.k))
        gcols = np.zeros(g.shape[:2] + (kk,) + g.shape[2:], dtype=g.dtype)
        np.put_along_axis(gcols, self.arg[:, :, None], g[:, :, None], axis=2)
        gxp = _scatter_columns(gcols, self.xp_shape, self.k, self.stride, self.dilation, self.out)
        return gxp[(Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(self.padding, self.in_shape[2:]))]

    def backward_graph(self, g):
        from .index import IndexPutZeros

        n, c = self.in_shape[:2]
        idx = (np.arange(n).reshape(n, 1, 1, 1, 1), np.arange(c).reshape(1, c, 1, 1, 1), self.indices())
        return IndexPutZeros.apply(g, shape=(n, c, int(np.prod(self.in_shape[2:]))), idx=idx).reshape(self.in_shape)


class AvgPool3d(Function):
    saves_tensors = False
    reads_parents = False

    def forward(self, x, k, stride, padding, out, divisor):
        extra = tuple(max(0, (o - 1) * s + kk - (n + 2 * p)) for o, s, kk, n, p in zip(out, stride, k, x.shape[2:], padding))
        pads = ((0, 0), (0, 0)) + tuple((p, p + e) for p, e in zip(padding, extra))
        xp = np.pad(x, pads)
        self.xp_shape, self.k, self.stride, self.out, self.divisor = xp.shape, k, stride, out, divisor
        self.padding, self.in_shape = padding, x.shape
        return (_columns(xp, k, stride, (1, 1, 1), out).sum(axis=2) / divisor).astype(x.dtype)

    def backward(self, g):
        kk = len(_offsets(self.k))
        share = (g / self.divisor).astype(g.dtype)
        gcols = np.broadcast_to(share[:, :, None], g.shape[:2] + (kk,) + g.shape[2:])
        gxp = _scatter_columns(gcols, self.xp_shape, self.k, self.stride, (1, 1, 1), self.out)
        return gxp[(Ellipsis,) + tuple(slice(p, p + n) for p, n in zip(self.padding, self.in_shape[2:]))]

    def backward_graph(self, g):
        def pool_again(u):
            return AvgPool3d().forward(u, self.k, self.stride, self.padding, self.out, self.divisor)

        return LinearBackward.apply(g, backward=self.backward, forward=pool_again)


def _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, name):
    if input.array.ndim not in (4, 5) or input.array.size == 0:
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    k = _triple(kernel_size, "kernel_size")
    s = _triple(stride if stride not in (None, [], ()) else kernel_size, "stride")
    p, d = _triple(padding, "padding"), _triple(dilation, "dilation")
    for pp, kk, dd in zip(p, k, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, kernel_size={kk} "
                               f"and dilation={dd}")
    sizes = input.array.shape[-3:]
    out = tuple(_out(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(sizes, k, s, p, d))
    if any(o <= 0 for o in out):
        lead = input.array.shape[-4]
        raise RuntimeError(f"Given input size: ({lead}x{'x'.join(map(str, sizes))}). Calculated output size: "
                           f"({lead}x{'x'.join(map(str, out))}). Output size is too small")
    return k, s, p, d, out


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s, p, d, out = _pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d")
    x, batched = _batched5(input, "max_pool3d")
    y = MaxPool3d.apply(x, k=k, stride=s, padding=p, dilation=d, out=out)
    named(y, "MaxPool3DWithIndicesBackward0")
    idx = None
    if return_indices:
        fn = y._ctx if y._ctx is not None else None
        if fn is None:
            fn = MaxPool3d()
            fn.forward(x.array, k, s, p, d, out)
        idx = Tensor._make(fn.indices())
    if not batched:
        y = y.squeeze(0)
        idx = idx.squeeze(0) if idx is not None else None
    return (y, idx) if return_indices else y


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    k, s, p, _, out = _pool_geometry(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool3d")
    x, batched = _batched5(input, "avg_pool3d")
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
        divisor = np.asarray(float(divisor_override))
    else:
        # each window's divisor: the cells it covers inside the input (plus the padding, if counted)
        cover = np.zeros(tuple(n + 2 * pp for n, pp in zip(x.array.shape[2:], p)), dtype=np.float64)
        inner = tuple(slice(pp, pp + n) for pp, n in zip(p, x.array.shape[2:]))
        if count_include_pad:
            cover[...] = 1
        else:
            cover[inner] = 1
        extra = tuple(max(0, (o - 1) * ss + kk - c) for o, ss, kk, c in zip(out, s, k, cover.shape))
        cover = np.pad(cover, tuple((0, e) for e in extra))
        divisor = _columns(cover[None, None], k, s, (1, 1, 1), out).sum(axis=2)[0, 0]
    y = named(AvgPool3d.apply(x, k=k, stride=s, padding=p, out=out, divisor=divisor), "AvgPool3DBackward0")
    return y if batched else y.squeeze(0)
