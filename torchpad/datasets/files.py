"""Your own data as tensors: `from_csv` reads a CSV file from the working directory (where files
dropped on the page, or sent with a server job, appear).

    X, y = torchpad.datasets.from_csv("iris.csv", target="species")   # features, labels
    X = torchpad.datasets.from_csv("points.csv")                       # every column

X is float32 (N, features). y is int64 class indices when the target column holds integers or
words (words are numbered in sorted order: `classes` gives them), else float32 (regression).
"""

from __future__ import annotations

import csv

import numpy as np

from ._split import running_torch


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def from_csv(path, target: str | int | None = None, *, delimiter: str = ",", classes: list | None = None):
    """Read `path` (a header row is detected: any cell of the first row that is not a number).

    `target`: the label column, by header name or index; returns (X, y) then, else X alone.
    `classes`: a list to fill with the class names when the target holds words.
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f, delimiter=delimiter) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"from_csv: {path} has no rows")
    header = rows[0] if any(_number(c) is None for c in rows[0]) else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"from_csv: {path} has a header but no data rows")
    width = len(rows[0])
    for i, r in enumerate(body):
        if len(r) != width:
            raise ValueError(f"from_csv: {path} data row {i + 1} has {len(r)} columns, expected {width}")
    t = None
    if target is not None:
        if isinstance(target, str):
            if not header or target not in header:
                names = ", ".join(header) if header else "none (no header row)"
                raise ValueError(f"from_csv: no column {target!r} in {path}; columns: {names}")
            t = header.index(target)
        else:
            t = int(target) % width
    torch = running_torch()
    feature_cols = [c for c in range(width) if c != t]
    X = np.empty((len(body), len(feature_cols)), dtype=np.float32)
    for i, r in enumerate(body):
        for j, c in enumerate(feature_cols):
            v = _number(r[c])
            if v is None:
                col = header[c] if header else c
                raise ValueError(f"from_csv: {path} data row {i + 1}, column {col!r}: {r[c]!r} is not a number")
            X[i, j] = v
    X = torch.from_numpy(X)
    if t is None:
        return X
    labels = [r[t].strip() for r in body]
    nums = [_number(v) for v in labels]
    if all(v is not None for v in nums):
        if all(v == int(v) for v in nums):
            return X, torch.from_numpy(np.array([int(v) for v in nums], dtype=np.int64))
        return X, torch.from_numpy(np.array(nums, dtype=np.float32))
    names = sorted(set(labels))
    if classes is not None:
        classes[:] = names
    index = {n: i for i, n in enumerate(names)}
    return X, torch.from_numpy(np.array([index[v] for v in labels], dtype=np.int64))
