"""Checking the events a job process sends before they are stored.

The job process runs untrusted code that can write anything to its event channel, so
each line is reduced to the shared event model (stdout/stderr/metric/image/error) with bounded
sizes; anything else becomes a stderr line instead of reaching the store or a client.
"""

from __future__ import annotations

import json
import math

encode = json.JSONEncoder(separators=(",", ":")).encode  # compact JSON; made once (json.dumps(separators=) rebuilds it per call)

MAX_TEXT = 64 * 1024
MAX_METRICS = 100
MAX_NAME = 100
NON_FINITE = ("nan", "inf", "-inf")
MAX_IMAGE_SIDE = 128  # torchpad/images.py MAX_SIDE


def _text(value, limit: int = MAX_TEXT) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + " [truncated]"


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        v = float(value)
        return v if math.isfinite(v) else str(v)
    return value if value in NON_FINITE else None


def clean(event) -> dict | None:
    """The event in canonical form, or None when it is not one a job may send."""
    if not isinstance(event, dict):
        return None
    kind = event.get("kind")
    if kind in ("stdout", "stderr"):
        return {"kind": kind, "text": _text(event.get("text", ""))}
    if kind == "metric":
        step, values = event.get("step"), event.get("values")
        if isinstance(step, bool) or not isinstance(step, int) or not isinstance(values, dict) or len(values) > MAX_METRICS:
            return None
        out = {}
        for name, value in values.items():
            v = _number(value)
            if not isinstance(name, str) or len(name) > MAX_NAME or v is None:
                return None
            out[name] = v
        x = event.get("x")
        return {"kind": "metric", "step": step, "values": out, **({"x": x} if isinstance(x, str) and x and len(x) <= MAX_NAME else {})}
    if kind == "image":
        return _image(event)
    if kind == "error":
        line = event.get("line")
        return {"kind": "error", "type": _text(event.get("type", "Error"), 200), "message": _text(event.get("message", "")),
                "traceback": _text(event.get("traceback", "")),
                "line": line if isinstance(line, int) and not isinstance(line, bool) else None}
    return None


def _int(value, low: int, high: int) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high else None


def _pixel(value):
    return value if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)) else False


def _image(event: dict) -> dict | None:
    """An image from torchpad.log/show: h x w (x 3) finite numbers or None (gaps), within the size bound."""
    step, name, data = event.get("step"), event.get("name"), event.get("data")
    h, w = _int(event.get("h"), 1, MAX_IMAGE_SIDE), _int(event.get("w"), 1, MAX_IMAGE_SIDE)
    channels = event.get("channels") if event.get("channels") in (1, 3) else None
    if (_int(step, -(1 << 62), 1 << 62) is None or not isinstance(name, str) or not name or len(name) > MAX_NAME
            or None in (h, w, channels) or not isinstance(data, list) or len(data) != h * w * channels):
        return None
    if any(_pixel(v) is False for v in data) or _pixel(event.get("min")) is False or _pixel(event.get("max")) is False:
        return None
    return {"kind": "image", "step": step, "name": name, "h": h, "w": w, "channels": channels, "data": data,
            "min": event.get("min"), "max": event.get("max")}
