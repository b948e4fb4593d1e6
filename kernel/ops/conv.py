"""Convolutions: conv1d, conv2d, conv_transpose1d/2d.

A 2-D engine serves all of them (1-D inputs get a height of 1); each convolution is a few large
matrix multiplies over the whole batch (per group), never one per sample. conv2d builds
pixel-major columns, (N*Ho*Wo, kh*kw*C/g), from a channels-last copy of the padded input (one
strided view, one copy), so its products are tall with the small weight as the second operand:
the shape the browser's library runs fastest (XNNPACK packs its second operand on every call)
and the one Pyodide's BLAS-less NumPy minds least. A bias rides in the product (a column of ones
in the columns, the bias as the weight's last column); the result is then copied back to NCHW.
The input gradient multiplies back to columns, one contiguous block per kernel offset (a product
batched over the offsets), and adds each into a strided slice of a channels-last gradient (col2im).
The weight gradient multiplies channel-major columns (C/g*kh*kw, N*Ho*Wo), copied from the input
again in backward along its rows (cheaper than transposing the pixel-major ones, and nothing that
large is kept between the passes), except for an input without a gradient (a first layer) with no
more columns than output channels: its forward's pixel-major columns are kept, and the weight
gradient is the tall product of the channel-major output gradient with them. A transposed
convolution is conv2d's two halves swapped, on channel-major columns.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import compute, grad_mode
from ..function import Function
from ..tensor import Tensor
from .bilinear_grad import bilinear_backward_graph

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


# ---- the array-level engine -------------------------------------------------------------
def _windows(xp: np.ndarray, kh: int, kw: int, out_hw: tuple, stride: tuple, dilation: tuple) -> np.ndarray:
    """A read-only (C, kh, kw, N, Ho, Wo) view of every kernel window of padded `xp` (N, C, Hp, Wp)."""
    n, c = xp.shape[:2]
    s0, s1, s2, s3 = xp.strides
    shape = (c, kh, kw, n, out_hw[0], out_hw[1])
    strides = (s1, s2 * dilation[0], s3 * dilation[1], s0, s2 * stride[0], s3 * stride[1])
    return as_strided(xp, shape, strides, writeable=False)


def _im2col(x: np.ndarray, k: tuple, out_hw: tuple, stride, padding, dilation, groups: int) -> np.ndarray:
    """(groups, C/g*kh*kw, N*Ho*Wo) columns of `x` (N, C, H, W): one copy of the strided view."""
    (pt, pb), (pl, pr) = padding
    n, c, h, w = x.shape
    if pt or pb or pl or pr:
        xp = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
        xp[:, :, pt:pt + h, pl:pl + w] = x
    else:
        xp = x
    cols = np.empty((c, k[0], k[1], n, out_hw[0], out_hw[1]), dtype=x.dtype)
    np.copyto(cols, _windows(xp, k[0], k[1], out_hw, stride, dilation))
    return cols.reshape(groups, -1, n * out_hw[0] * out_hw[1])


def _im2col_same_width(x: np.ndarray, k: tuple, out_hw: tuple, padding, dilation, groups: int) -> np.ndarray:
    """`_im2col` for a stride-1 conv whose output is as wide as its input (padding "same" along W, the
    common 3x3 padding 1): then each kernel offset's window of a channel plane, padded along H only,
    is one run of Ho*W values of the flat plane, shifted by the offset. The copy runs along those long
    runs (`_im2col` copies rows of Wo: 4.0 vs ~2 ms for the seed CNN's conv2 in Pyodide's NumPy), and
    the few places where a shifted run wrapped around a row (they stand for the W padding) are zeroed."""
    n, c, h, w = x.shape
    (pt, pb), (pl, pr) = padding
    (kh, kw), (dh, dw), ho = k, dilation, out_hw[0]
    plane = (h + pt + pb) * w
    flat = np.zeros(pl + n * c * plane + pr, dtype=x.dtype)  # runs start up to pl before a plane, end up to pr after
    flat[pl:pl + n * c * plane].reshape(n, c, -1, w)[:, :, pt:pt + h] = x
    item = flat.itemsize
    runs = as_strided(flat, (c, kh, kw, n, ho * w), (plane * item, dh * w * item, dw * item, c * plane * item, item),
                      writeable=False)
    cols = np.empty(runs.shape, dtype=x.dtype)
    np.copyto(cols, runs)
    grid = cols.reshape(c, kh, kw, n, ho, w)
    for j in range(kw):  # output column v reads input column v + j*dw - pl
        before, past = pl - j * dw, w + pl - j * dw
        if before > 0:
            grid[:, :, j, :, :, :before] = 0
        if past < w:
            grid[:, :, j, :, :, past:] = 0
    return cols.reshape(groups, -1, n * ho * w)


def _col2im(cols: np.ndarray, x_shape: tuple, k: tuple, out_hw: tuple, stride, padding, dilation) -> np.ndarray:
    """The adjoint of `_im2col`: add each kernel offset's (C, N, Ho, Wo) slab into a strided slice of (N, C, H, W)."""
    n, c, h, w = x_shape
    (pt, pb), (pl, pr) = padding
    cols = cols.reshape(c, k[0], k[1], n, out_hw[0], out_hw[1])
    dx = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=cols.dtype)
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    for i in range(k[0]):
        rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
        for j in range(k[1]):
            dx[:, :, rows, j * dw:j * dw + sw * (wo - 1) + 1:sw] += cols[:, i, j].transpose(1, 0, 2, 3)
    if pt or pb or pl or pr:
        dx = dx[:, :, pt:pt + h, pl:pl + w]
    return dx


def _channel_major(a: np.ndarray) -> np.ndarray:
    """(N, C, ...) -> contiguous (C, N * ...)."""
    n, c = a.shape[:2]
    out = np.empty((c, n, a.size // max(n * c, 1)), dtype=a.dtype)
    np.copyto(out, a.reshape(n, c, -1).transpose(1, 0, 2))
    return out.reshape(c, -1)


def _batch_major(m: np.ndarray, n: int, spatial: tuple, bias=None) -> np.ndarray:
    """(C, N * H * W) -> contiguous (N, C, H, W), adding a per-channel bias in the same pass."""
    c = m.shape[0]
    src = m.reshape(c, n, -1).transpose(1, 0, 2)
    out = np.empty((n, c, src.shape[2]), dtype=m.dtype)
    if bias is None:
        np.copyto(out, src)
    else:
        np.add(src, bias.reshape(1, c, 1), out=out)
    return out.reshape((n, c) + spatial)


def _row_sums(m: np.ndarray, blocks: int = 64) -> np.ndarray:
    """(groups, R, C) summed over R, as (groups * C,): a conv's bias gradient from the pixel-major output
    gradient. In two levels: `blocks` runs of consecutive rows added elementwise as long rows, then
    the run sums. NumPy sums a middle axis one row at a time (an inner loop of C elements, R sequential
    float32 additions); this is 1.6x faster in Pyodide's NumPy for the seed CNN's (65536, 32), and rounds less."""
    g, r, c = m.shape
    q = r // blocks
    if q < 2:
        return m.sum(axis=1).reshape(-1)
    total = m[:, :q * blocks].reshape(g, blocks, q * c).sum(axis=1).reshape(g, q, c).sum(axis=1)
    if r > q * blocks:
        total += m[:, q * blocks:].sum(axis=1)
    return total.reshape(-1)


def _out_size(size: int, k: int, s: int, p0: int, p1: int, d: int) -> int:
    return (size + p0 + p1 - d * (k - 1) - 1) // s + 1


class _PixelGeometry:
    """conv2d's layouts: pixel-major columns (groups, N*Ho*Wo, kh*kw*C/g) read from a zero-padded
    channels-last (N, Hp, Wp, C) copy of the input, and the conversions to and from NCHW."""

    def __init__(self, x_shape, k, out_hw, stride, padding, dilation, groups):
        self.n, self.c, self.h, self.w = x_shape
        self.k, self.out_hw, self.stride, self.padding, self.dilation, self.groups = k, out_hw, stride, padding, dilation, groups
        (pt, pb), (pl, pr) = padding
        self.padded = (self.n, self.h + pt + pb, self.w + pl + pr, self.c)

    def _offsets(self):
        """(i, j, row slice, column slice): where kernel offset (i, j) reads in the padded input."""
        (sh, sw), (dh, dw), (ho, wo) = self.stride, self.dilation, self.out_hw
        for i in range(self.k[0]):
            for j in range(self.k[1]):
                yield i, j, slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)

    def im2col(self, x: np.ndarray, ones: bool = False) -> np.ndarray:
        """Pixel-major columns of `x` (N, C, H, W): one channels-last padded copy, then one copy of its windows.
        With `ones`, each row ends with a 1 (the product with a weight that ends with the bias adds the bias)."""
        (pt, pb), (pl, pr) = self.padding
        xp = np.empty(self.padded, dtype=x.dtype)
        if pt or pb or pl or pr:  # zero only the border
            xp[:, :pt], xp[:, pt + self.h:], xp[:, :, :pl], xp[:, :, pl + self.w:] = 0, 0, 0, 0
        np.copyto(xp[:, pt:pt + self.h, pl:pl + self.w], x.transpose(0, 2, 3, 1))
        g, cg, (kh, kw), (ho, wo) = self.groups, self.c // self.groups, self.k, self.out_hw
        s0, s1, s2, s3 = xp.strides
        (sh, sw), (dh, dw) = self.stride, self.dilation
        windows = as_strided(xp, (g, self.n, ho, wo, kh, kw, cg),
                             (cg * s3, s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False)
        width = kh * kw * cg
        cols = np.empty((g, self.n, ho, wo, width + ones), dtype=x.dtype)
        if ones:
            cols[..., width] = 1
        np.copyto(cols[..., :width].reshape(windows.shape), windows)
        return cols.reshape(g, self.n * ho * wo, width + ones)

    def to_nchw(self, out: np.ndarray) -> np.ndarray:
        """(groups, N*Ho*Wo, O/g) -> contiguous (N, O, Ho, Wo)."""
        g, og, (ho, wo) = self.groups, out.shape[2], self.out_hw
        res = np.empty((self.n, g, og, ho, wo), dtype=out.dtype)
        np.copyto(res, out.reshape(g, self.n, ho, wo, og).transpose(1, 0, 4, 2, 3))
        return res.reshape(self.n, g * og, ho, wo)

    def pixel_major(self, g: np.ndarray) -> np.ndarray:
        """The output gradient (N, O, Ho, Wo) as contiguous (groups, N*Ho*Wo, O/g)."""
        (ho, wo), groups = self.out_hw, self.groups
        og = g.size // (self.n * ho * wo * groups)
        res = np.empty((groups, self.n, ho, wo, og), dtype=g.dtype)
        np.copyto(res, g.reshape(self.n, groups, og, ho, wo).transpose(1, 0, 3, 4, 2))
        return res.reshape(groups, -1, og)

    def input_grad(self, gp: np.ndarray, wp: np.ndarray) -> np.ndarray:
        """The input gradient (N, C, H, W) from gp (groups, N*Ho*Wo, O/g) and wp (groups, O/g, kh*kw*C/g):
        without groups one product batched over the kernel offsets, so each offset's columns come out
        contiguous, (N*Ho*Wo, C), and are added into a strided slice of a channels-last gradient
        (col2im), which then goes back to NCHW."""
        g, cg, (kh, kw) = self.groups, self.c // self.groups, self.k
        og, (ho, wo) = gp.shape[2], self.out_hw
        dxp = np.zeros(self.padded, dtype=gp.dtype)
        grouped = dxp.reshape(self.padded[:3] + (g, cg))
        if g == 1:
            w_offsets = np.ascontiguousarray(wp.reshape(og, kh * kw, cg).transpose(1, 0, 2))  # (kh*kw, O, C)
            slabs = compute.gemm(gp[0], w_offsets).reshape(kh, kw, self.n, ho, wo, 1, cg)
        else:  # one product for all the groups (not a call per group: depthwise convs have hundreds); strided slabs
            slabs = compute.gemm(gp, wp).reshape(g, self.n, ho, wo, kh, kw, cg).transpose(4, 5, 1, 2, 3, 0, 6)
        for i, j, rows, cols in self._offsets():
            grouped[:, rows, cols] += slabs[i, j]
        (pt, _), (pl, _) = self.padding
        dx = np.empty((self.n, self.c, self.h, self.w), dtype=gp.dtype)
        np.copyto(dx, dxp[:, pt:pt + self.h, pl:pl + self.w].transpose(0, 3, 1, 2))
        return dx


class Conv2d(Function):
    """x (N, C, H, W), w (O, C/g, kh, kw), optional b (O,) -> (N, O, Ho, Wo).

    1-D and unbatched inputs arrive reshaped to this form by the functional wrappers
    (`x_shape`/`w_shape`; the caller's shapes are restored in backward).
    """

    torch_name = "ConvolutionBackward0"  # PyTorch's one node for every convolution

    def forward(self, x, w, b=None, *, stride, padding, dilation, groups, x_shape, w_shape, out_shape, only_weight_grads=False):
        self.shapes = (x.shape, w.shape)
        self.kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, x_shape=x_shape,
                           w_shape=w_shape, out_shape=out_shape)  # for the double backward
        x, w = x.reshape(x_shape), w.reshape(w_shape)
        o, cg, kh, kw = w.shape
        ho = _out_size(x.shape[2], kh, stride[0], *padding[0], dilation[0])
        wo = _out_size(x.shape[3], kw, stride[1], *padding[1], dilation[1])
        geom = _PixelGeometry(x.shape, (kh, kw), (ho, wo), stride, padding, dilation, groups)
        # the bias rides in the product (a column of ones times a last weight column): adding it while
        # copying to NCHW doubled that copy in Pyodide's NumPy (seed CNN's conv1 forward: 8.7 vs 9.9 ms)
        cols = geom.im2col(x, ones=b is not None)
        # the weight in the columns' order: (groups, O/g, kh*kw*C/g)
        wp = np.ascontiguousarray(w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 1, 3, 4, 2)).reshape(groups, o // groups, -1)
        wb = wp if b is None else np.concatenate([wp, b.reshape(groups, o // groups, 1)], axis=2)
        out = compute.gemm(cols, wb, trans_b=True)  # (groups, N*Ho*Wo, O/g)
        self.wp, self.geom, self.cols, self.x = wp, geom, None, None
        if only_weight_grads and o // groups >= cols.shape[2]:
            # an input without a gradient (a first layer) and no more columns than output channels: the
            # weight gradient is then a tall product of the channel-major output gradient with these columns
            # (the bias gradient its last column), cheaper than building both layouts again in backward
            self.cols = cols
        else:
            # a copy (a ninth of the columns' size): an in-place change of the input after this call must not reach backward
            self.x = x.copy()
        return geom.to_nchw(out).reshape(out_shape)

    def _grads_from_columns(self, g):
        """The weight and bias gradients from the forward's pixel-major columns: (O/g, N*Ho*Wo) @ (N*Ho*Wo, K [+1])
        per group, the output gradient copied channel-major (whole rows of Ho*Wo: one fast copy; seed CNN's conv1:
        weight and bias gradients 15.5 vs 21.9 ms in the page)."""
        geom, need = self.geom, self.needs_input_grad
        n, groups, (kh, kw), cg = geom.n, geom.groups, geom.k, geom.c // geom.groups
        o = self.shapes[1][0]
        gc = np.empty((o, n, g.size // (n * o)), dtype=g.dtype)
        np.copyto(gc, g.reshape(n, o, -1).transpose(1, 0, 2))
        prod = compute.gemm(gc.reshape(groups, o // groups, -1), self.cols)  # (groups, O/g, kh*kw*C/g [+1])
        width = kh * kw * cg
        dw = prod[:, :, :width].reshape(o, kh, kw, cg).transpose(0, 3, 1, 2).reshape(self.shapes[1]) if need[1] else None
        db = prod[:, :, width].reshape(-1).copy() if len(need) > 2 and need[2] else None
        return None, dw, db

    def backward(self, g):
        if self.cols is not None:
            return self._grads_from_columns(g)
        geom, wp = self.geom, self.wp
        gp = geom.pixel_major(g)  # (groups, N*Ho*Wo, O/g)
        need = self.needs_input_grad
        dx = dw = db = None
        if need[0]:
            dx = geom.input_grad(gp, wp).reshape(self.shapes[0])
        if need[1]:
            # channel-major columns (groups, C/g*kh*kw, N*Ho*Wo), copied from the NCHW input along its rows:
            # cheaper than transposing the pixel-major ones, and the library then packs gp, not the columns
            if geom.stride == (1, 1) and geom.out_hw[1] == geom.w:
                cols = _im2col_same_width(self.x, geom.k, geom.out_hw, geom.padding, geom.dilation, geom.groups)
            else:
                cols = _im2col(self.x, geom.k, geom.out_hw, geom.stride, geom.padding, geom.dilation, geom.groups)
            dw = np.swapaxes(compute.gemm(cols, gp), 1, 2).reshape(self.shapes[1])
        if len(need) > 2 and need[2]:
            db = _row_sums(gp)
        return dx, dw, db

    def backward_graph(self, g):
        return bilinear_backward_graph(self, g, self.kwargs)


class ConvTranspose2d(Function):
    """x (N, Cin, H, W), w (Cin, Cout/g, kh, kw), optional b -> (N, Cout, Ho, Wo): conv2d's input gradient."""

    torch_name = "ConvolutionBackward0"

    def forward(self, x, w, b=None, *, stride, padding, output_padding, dilation, groups, x_shape, w_shape, out_shape):
        self.shapes = (x.shape, w.shape)
        self.kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation,
                           groups=groups, x_shape=x_shape, w_shape=w_shape, out_shape=out_shape)  # for the double backward
        x, w = x.reshape(x_shape), w.reshape(w_shape)
        n, cin, h, wd = x.shape
        cout_g, kh, kw = w.shape[1:]
        cout = cout_g * groups
        ho = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
        wo = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))  # of the equivalent forward conv
        xm = _channel_major(x).reshape(groups, cin // groups, -1)
        cols = compute.gemm(w.reshape(groups, cin // groups, -1), xm, trans_a=True)
        out = _col2im(cols, (n, cout, ho, wo), (kh, kw), (h, wd), stride, pads, dilation)
        if b is not None:
            out += b.reshape(1, cout, 1, 1)
        self.xm, self.w = xm, w
        self.geom = ((kh, kw), (h, wd), stride, pads, dilation, groups, (n, cout, ho, wo))
        return out.reshape(out_shape)

    def backward(self, g):
        k, hw, stride, pads, dilation, groups, out4 = self.geom
        xm, w = self.xm, self.w
        cin, n = w.shape[0], out4[0]
        g = g.reshape(out4)
        gcols = _im2col(g, k, hw, stride, pads, dilation, groups)
        need = self.needs_input_grad
        dx = dw = db = None
        if need[0]:
            dxm = compute.gemm(w.reshape(groups, cin // groups, -1), gcols).reshape(cin, -1)
            dx = _batch_major(dxm, n, hw).reshape(self.shapes[0])
        if need[1]:
            dw = compute.gemm(xm, gcols, trans_b=True).reshape(self.shapes[1])
        if len(need) > 2 and need[2]:
            db = g.sum(axis=(0, 2, 3))
        return dx, dw, db

    def backward_graph(self, g):
        return bilinear_backward_graph(self, g, self.kwargs)


# ---- argument checks with PyTorch's messages --------------------------------------------
def n_ints(value, n: int, mismatch) -> tuple:
    """An int, or a sequence of 1 or n ints, as n ints (how conv and pool arguments expand);
    any other length raises `mismatch(values)`, the caller's PyTorch error."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise mismatch(value)
    return value


def _tuple(value, n: int, name: str) -> tuple:
    return n_ints(value, n, lambda v: RuntimeError(
        f"expected {name} to be a single integer value or a list of {n} values to match the convolution "
        f"dimensions, but got {name}=[{', '.join(map(str, v))}]"))


def _dims(shape) -> str:
    return ", ".join(str(s) for s in shape)


def _uses_mkldnn(x: Tensor, w: Tensor, groups: int) -> bool:
    """Whether PyTorch's CPU build routes this float32 conv to oneDNN (its messages differ there)."""
    xs, ks = x.array.shape, w.array.shape[2:]
    return x.array.dtype == np.float32 and (
        groups > 1 or all(k > 3 for k in ks) or xs[0] > 1 or int(np.prod(xs)) > 20480
    )


def _check_dtypes(x: Tensor, w: Tensor, b, mkldnn: bool) -> None:
    xd, wd = x.array.dtype, w.array.dtype
    if xd != wd:
        if xd == np.float32 and wd == np.float64 and mkldnn:
            raise RuntimeError(
                "Input type (torch.FloatTensor) and weight type (torch.DoubleTensor) should be the same or input "
                "should be a MKLDNN tensor and weight is a dense tensor"
            )
        raise RuntimeError(f"expected scalar type {x.dtype.scalar_name} but found {w.dtype.scalar_name}")
    if b is not None and b.array.dtype != xd:
        raise RuntimeError(f"Input type ({x.dtype.cpp_name}) and bias type ({b.dtype.cpp_name}) should be the same")


def _check_common(x: Tensor, w: Tensor, b, stride, padding, dilation, groups: int, transposed: bool) -> None:
    mkldnn = not transposed and _uses_mkldnn(x, w, groups)
    _check_dtypes(x, w, b, mkldnn)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        if not mkldnn and not transposed and len(dilation) == 2:
            raise RuntimeError(f"dilation should be greater than zero, but got [{_dims(dilation)}]")
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    ws = tuple(w.array.shape)
    c = x.array.shape[1]
    if not transposed:
        if ws[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight "
                f"of size [[{_dims(ws)}]] instead"
            )
        if c != ws[1] * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size [{_dims(ws)}], expected input[{_dims(x.array.shape)}] to have "
                f"{ws[1] * groups} channels, but got {c} channels instead"
            )
        out_c = ws[0]
    else:
        if c != ws[0]:
            raise RuntimeError(
                f"Given transposed=1, weight of size [{_dims(ws)}], expected input[{_dims(x.array.shape)}] to have "
                f"{ws[0]} channels, but got {c} channels instead"
            )
        out_c = ws[1] * groups
    if b is not None and (b.array.ndim != 1 or b.array.shape[0] != out_c):
        raise RuntimeError(
            f"Given weight of size [{_dims(ws)}], expected bias to be 1-dimensional with {out_c} elements, but got "
            f"bias of size [{_dims(b.array.shape)}] instead"
        )


def _check_kernel_fits(in_sizes, pads, ks, dilation) -> None:
    padded = [s + a + b for s, (a, b) in zip(in_sizes, pads)]
    eff = [d * (k - 1) + 1 for k, d in zip(ks, dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
            f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size"
        )


def _check_input_dim(x: Tensor, nd: int, name: str) -> bool:
    """True when `x` has a batch dimension; PyTorch's error when it has neither form."""
    if x.array.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: "
            f"[{_dims(x.array.shape)}]"
        )
    return x.array.ndim == nd + 2


def _same_padding(ks, dilation, stride) -> tuple:
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    pads = []
    for k, d in zip(ks, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _conv(input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups: int, nd: int, name: str) -> Tensor:
    batched = _check_input_dim(input, nd, name)
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    ks = tuple(weight.array.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            pads = _same_padding(ks, dilation, stride)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        flat_pad = (0,) * nd
    else:
        flat_pad = _tuple(padding, nd, "padding")
        pads = tuple((p, p) for p in flat_pad)
    x4 = input.array.shape if batched else (1,) + input.array.shape
    view = Tensor._make(input.array.reshape(x4))  # only for the checks' shapes and dtypes
    _check_common(view, weight, bias, stride, flat_pad, dilation, groups, transposed=False)
    _check_kernel_fits(x4[2:], pads, ks, dilation)
    if nd == 1:
        x4, w4 = (x4[0], x4[1], 1, x4[2]), weight.array.shape[:2] + (1,) + ks
        stride, dilation, pads, ks = (1,) + stride, (1,) + dilation, ((0, 0),) + pads, (1,) + ks
    else:
        w4 = weight.array.shape
    o = weight.array.shape[0]
    sizes = [_out_size(x4[2 + i], ks[i], stride[i], *pads[i], dilation[i]) for i in range(2)]
    out_shape = (x4[0], o) + tuple(sizes[2 - nd:]) if batched else (o,) + tuple(sizes[2 - nd:])
    args = (input, weight) if bias is None else (input, weight, bias)
    only_weight_grads = grad_mode._enabled and weight.requires_grad and not input.requires_grad
    return Conv2d.apply(*args, stride=stride, padding=pads, dilation=dilation, groups=groups, x_shape=x4,
                        w_shape=w4, out_shape=out_shape, only_weight_grads=only_weight_grads)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd: int, name: str) -> Tensor:
    batched = _check_input_dim(input, nd, name)
    stride, padding = _tuple(stride, nd, "stride"), _tuple(padding, nd, "padding")
    output_padding, dilation = _tuple(output_padding, nd, "output_padding"), _tuple(dilation, nd, "dilation")
    x4 = input.array.shape if batched else (1,) + input.array.shape
    _check_common(Tensor._make(input.array.reshape(x4)), weight, bias, stride, padding, dilation, groups, transposed=True)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        if nd == 2:
            raise RuntimeError(
                f"output padding must be smaller than either stride or dilation, but got output_padding_height: "
                f"{output_padding[0]} output_padding_width: {output_padding[1]} stride_height: {stride[0]} "
                f"stride_width: {stride[1]} dilation_height: {dilation[0]} dilation_width: {dilation[1]}"
            )
        raise RuntimeError(
            f"output padding must be smaller than either stride or dilation, but got output_padding: "
            f"{output_padding[0]} stride: {stride[0]} dilation: {dilation[0]}"
        )
    ks = tuple(weight.array.shape[2:])
    if nd == 1:
        x4, w4 = (x4[0], x4[1], 1, x4[2]), weight.array.shape[:2] + (1,) + ks
        stride, padding, output_padding, dilation, ks = (1,) + stride, (0,) + padding, (0,) + output_padding, (1,) + dilation, (1,) + ks
    else:
        w4 = weight.array.shape
    cout = weight.array.shape[1] * groups
    sizes = [(x4[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (ks[i] - 1) + output_padding[i] + 1 for i in range(2)]
    if any(s <= 0 for s in sizes):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, x4[4 - nd:]))}). Calculated output size per channel: "
            f"({' x '.join(map(str, sizes[2 - nd:]))}). Output size is too small"
        )
    out_shape = (x4[0], cout) + tuple(sizes[2 - nd:]) if batched else (cout,) + tuple(sizes[2 - nd:])
    args = (input, weight) if bias is None else (input, weight, bias)
    return ConvTranspose2d.apply(*args, stride=stride, padding=padding, output_padding=output_padding,
                                 dilation=dilation, groups=groups, x_shape=x4, w_shape=w4, out_shape=out_shape)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1) -> Tensor:
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1) -> Tensor:
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d")
