"""Tensors as images: what `torchpad.log(name=tensor)` and `torchpad.show(tensor)` send.

One image event is `{"kind": "image", "step", "name", "h", "w", "channels": 1 | 3, "data",
"min", "max"}`: `data` is the picture row-major (channels last for RGB), values rounded to
4 significant digits, `None` where a grid leaves a gap between tiles. Pure Python (works
without NumPy in the browser) and bounded: at most MAX_SIDE pixels a side, however large
the tensor, by taking every k-th row and column before anything is copied.

Shapes: H x W is a heatmap; C x H x W is an RGB image when C is 3, else a grid of C maps
(feature maps); N x C x H x W is a grid of N images (RGB when C is 3, else each one's first
channel), e.g. a conv layer's filters.
"""

from __future__ import annotations

import math

MAX_SIDE = 128  # pixels a side of the whole picture (a grid included); server/events.py checks the same bound
GAP = 1  # empty pixels between grid tiles


def _shape(value) -> tuple[int, ...] | None:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return tuple(int(n) for n in shape)
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        dims, v = [], value
        while isinstance(v, (list, tuple)):
            dims.append(len(v))
            v = v[0] if v else None
        return tuple(dims)
    return None


def is_image(value) -> bool:
    """A value `torchpad.log` shows as an image: 2-D or more (a scalar or 1-D stays a metric error)."""
    shape = _shape(value)
    return shape is not None and 2 <= len(shape) <= 4 and math.prod(shape) != 1  # a 1x1 tensor stays a number


def _tolist(value):
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu"):
        value = value.cpu()
    if hasattr(value, "float") and not isinstance(value, (list, tuple)):
        value = value.float()
    return value.tolist() if hasattr(value, "tolist") else value


def _strided(value, shape, k):
    """Every k-th row and column (of the last two dimensions), before copying to Python lists."""
    if k == 1:
        return _tolist(value)
    if hasattr(value, "shape"):
        index = (slice(None),) * (len(shape) - 2) + (slice(None, None, k), slice(None, None, k))
        return _tolist(value[index])

    def walk(v, depth):
        if depth == len(shape) - 2:
            return [row[::k] for row in v[::k]]
        return [walk(x, depth + 1) for x in v]

    return walk(value, 0)


def _tiles(shape) -> tuple[int, int, int, int]:
    """(tiles, channels, tile_h, tile_w) for a supported shape."""
    if len(shape) == 2:
        return 1, 1, shape[0], shape[1]
    if len(shape) == 3:
        return (1, 3, shape[1], shape[2]) if shape[0] == 3 else (shape[0], 1, shape[1], shape[2])
    return shape[0], (3 if shape[1] == 3 else 1), shape[2], shape[3]


def _number(x) -> float | None:
    x = float(x)
    return float(f"{x:.4g}") if math.isfinite(x) else None


def image_event(name: str, value, step: int) -> dict:
    """The image event for `value` (see the module docstring); TypeError/ValueError name what is wrong."""
    shape = _shape(value)
    if shape is None or not 2 <= len(shape) <= 4:
        raise TypeError(f"torchpad.log: {name!r} must be a 2-D, 3-D or 4-D tensor to show as an image, got shape {shape}")
    if 0 in shape:
        raise ValueError(f"torchpad.log: {name!r} is empty (shape {list(shape)})")
    n, channels, th, tw = _tiles(shape)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    # One stride for every tile, so the whole grid fits in MAX_SIDE x MAX_SIDE.
    k = 1
    while True:
        sh, sw = -(-th // k), -(-tw // k)
        if rows * sh + (rows - 1) * GAP <= MAX_SIDE and cols * sw + (cols - 1) * GAP <= MAX_SIDE:
            break
        k += 1
        if sh == 1 and sw == 1:
            raise ValueError(f"torchpad.log: {name!r} has too many tiles ({n}) to show; log fewer (at most {MAX_SIDE // 2})")
    data = _strided(value, shape, k)
    h, w = rows * sh + (rows - 1) * GAP, cols * sw + (cols - 1) * GAP
    pixels: list = [None] * (h * w * channels)

    def tile(i):
        if len(shape) == 2:
            return [data]
        if len(shape) == 3:
            return data if channels == 3 else [data[i]]
        return data[i] if channels == 3 else [data[i][0]]

    for i in range(n):
        top, left = (i // cols) * (sh + GAP), (i % cols) * (sw + GAP)
        planes = tile(i)
        for c in range(channels):
            for y, row in enumerate(planes[c]):
                base = ((top + y) * w + left) * channels + c
                for x, v in enumerate(row):
                    pixels[base + x * channels] = _number(v)
    finite = [v for v in pixels if v is not None]
    return {"kind": "image", "step": step, "name": name, "h": h, "w": w, "channels": channels, "data": pixels,
            "min": min(finite) if finite else None, "max": max(finite) if finite else None}
