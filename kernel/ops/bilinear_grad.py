"""Second order for the convolutions (and linear ops such as average pooling), from their own
forward and backward.

A convolution y = f(x, w) + b is linear in x and in w. So each of its gradients, gx = Bx(g; w) and
gw = Bw(x; g), is bilinear too, and the derivatives of a gradient are the op once more with the
arguments swapped in: d<u, Bx(g; w)>/dg = f(u, w), d<u, Bx(g; w)>/dw = Bw(u; g), and for a
cotangent v of gw: d/dx = Bx(g; v), d/dg = f(x, v). Two Functions serve every such op, so a
convolution's double backward (create_graph=True, MAML through a CNN) needs no formulas of its own.
"""

from __future__ import annotations

import numpy as np

from ..function import Function


def _forward(op, kw: dict, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return op().forward(x, w, **kw)


def _grad(op, kw: dict, x: np.ndarray, w: np.ndarray, g: np.ndarray, which: int) -> np.ndarray:
    """The op's gradient for input `which` (0: x, 1: w) at (x, w) and output gradient g."""
    node = op()
    node.forward(x, w, **kw)
    node.needs_input_grad = (which == 0, which == 1)
    return node.backward(g)[which]


class InputGradOf(Function):
    """gx = Bx(g; w) of a bilinear op (x's values do not enter it, only its shape)."""

    torch_name = "ConvolutionBackwardBackward0"

    def forward(self, g, w, *, op, kw, x_shape):
        self.op, self.kw, self.g, self.w = op, kw, g, w
        return _grad(op, kw, np.zeros(x_shape, w.dtype), w, g, 0)

    def backward(self, u):
        n = self.needs_input_grad
        gg = _forward(self.op, self.kw, u, self.w) if n[0] else None
        gw = _grad(self.op, self.kw, u, self.w, self.g, 1) if n[1] else None
        return gg, gw


class WeightGradOf(Function):
    """gw = Bw(x; g) of a bilinear op (w's values do not enter it, only its shape)."""

    torch_name = "ConvolutionBackwardBackward0"

    def forward(self, x, g, *, op, kw, w_shape):
        self.op, self.kw, self.x, self.g = op, kw, x, g
        return _grad(op, kw, x, np.zeros(w_shape, x.dtype), g, 1)

    def backward(self, v):
        n = self.needs_input_grad
        gx = _grad(self.op, self.kw, np.zeros_like(self.x), v, self.g, 0) if n[0] else None
        gg = _forward(self.op, self.kw, self.x, v) if n[1] else None
        return gx, gg


class LinearBackward(Function):
    """The backward of an op linear in its one input (average pooling), as an op: g -> op's backward(g).
    Its own backward is the op's forward again (a linear map's adjoint of its adjoint)."""

    saves_tensors = False
    reads_parents = False

    def forward(self, g, *, backward, forward):
        self.forward_again = forward
        return backward(g)

    def backward(self, u):
        return self.forward_again(u)


def bilinear_backward_graph(node, g, kw: dict) -> tuple:
    """backward_graph of a convolution node (parents x, w[, b]; `kw` its forward's keywords)."""
    x, w = node.parents[0], node.parents[1]
    n = node.needs_input_grad
    gx = InputGradOf.apply(g, w, op=type(node), kw=kw, x_shape=x.array.shape) if n[0] else None
    gw = WeightGradOf.apply(x, g, op=type(node), kw=kw, w_shape=w.array.shape) if n[1] else None
    gb = None
    if len(n) > 2 and n[2]:
        batch = kw["x_shape"][0] if "x_shape" in kw else x.array.shape[0]
        gb = g.reshape(batch, node.parents[2].array.shape[0], -1).sum((0, 2))
    return gx, gw, gb
