"""`torchpad mirror-pyodide DEST`: NumPy for the browser runtime, for machines without the CDN.

Fetches Pyodide's `pyodide-lock.json` for the pinned version and the NumPy wheel (plus its
dependencies, per the lock file) into DEST, checking each wheel's sha256 against the lock.
Then `TORCHPAD_PYODIDE_MIRROR=DEST torchpad serve` serves DEST at /pyodide-packages/ and
tells the page to load NumPy from there (see docs/pyodide.md). Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.request
from pathlib import Path

from .config import DEFAULT_PYODIDE_INDEX

MIRROR_ENV = "TORCHPAD_PYODIDE_MIRROR"
MIRROR_PATH = "/pyodide-packages"
LOCK_FILE = "pyodide-lock.json"
CHUNK = 1 << 16


class MirrorError(Exception):
    pass


def _open(url: str, timeout: float):
    try:
        return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - URLs come from the operator
    except OSError as e:
        raise MirrorError(f"cannot download {url}: {e}") from e


def needed_packages(lock: dict, names: list[str]) -> list[dict]:
    """The lock entries for `names` and everything they depend on, dependencies first."""
    packages, order, seen = lock["packages"], [], set()

    def visit(name: str) -> None:
        key = name.lower().replace("_", "-")
        if key in seen:
            return
        if key not in packages:
            raise MirrorError(f"{name!r} is not in the lock file")
        seen.add(key)
        for dep in packages[key].get("depends", []):
            visit(dep)
        order.append(packages[key])

    for name in names:
        visit(name)
    return order


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def download(url: str, dest: Path, sha256: str | None, timeout: float) -> int:
    """Stream `url` to `dest` (via a .part file), refusing it when its sha256 differs."""
    part = dest.with_name(dest.name + ".part")
    h, size = hashlib.sha256(), 0
    with _open(url, timeout) as res, part.open("wb") as out:
        for chunk in iter(lambda: res.read(CHUNK), b""):
            h.update(chunk)
            out.write(chunk)
            size += len(chunk)
    if sha256 and h.hexdigest() != sha256:
        part.unlink()
        raise MirrorError(f"sha256 mismatch for {url}: the lock file says {sha256}, the download is {h.hexdigest()}; "
                          "nothing was kept (is the mirror source the same Pyodide version?)")
    part.replace(dest)
    return size


def mirror(dest: Path, source: str, names: list[str], timeout: float = 60.0, log=print) -> list[Path]:
    base = source if source.endswith("/") else source + "/"
    dest.mkdir(parents=True, exist_ok=True)
    with _open(base + LOCK_FILE, timeout) as res:
        raw = res.read()
    try:
        lock = json.loads(raw)
    except ValueError as e:
        raise MirrorError(f"{base + LOCK_FILE} is not a Pyodide lock file: {e}") from e
    (dest / LOCK_FILE).write_bytes(raw)
    written = [dest / LOCK_FILE]
    for pkg in needed_packages(lock, names):
        target = dest / pkg["file_name"]
        if target.exists() and sha256_of(target) == pkg.get("sha256"):
            log(f"ok      {pkg['file_name']} (already here)")
        else:
            size = download(base + pkg["file_name"], target, pkg.get("sha256"), timeout)
            log(f"fetched {pkg['file_name']} ({size / 1e6:.1f} MB, sha256 ok)")
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="torchpad mirror-pyodide", description=__doc__.split("\n\n")[0])
    ap.add_argument("dest", type=Path, help="folder to fill (created if missing)")
    ap.add_argument("--from", dest="source", default=DEFAULT_PYODIDE_INDEX, help=f"package index to copy (default {DEFAULT_PYODIDE_INDEX})")
    ap.add_argument("--package", dest="packages", action="append", help="package to fetch with its dependencies (default: numpy)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per download")
    args = ap.parse_args(argv)
    try:
        mirror(args.dest, args.source, args.packages or ["numpy"], args.timeout)
    except MirrorError as e:
        print(f"torchpad mirror-pyodide: {e}", file=sys.stderr)
        return 1
    print(f"Done. Serve it with:  {MIRROR_ENV}={args.dest} torchpad serve")
    return 0


# -- serving a mirror (used by server/app.py) ---------------------------------------------------
def mirror_routes(environ=os.environ) -> list:
    """A mount of $TORCHPAD_PYODIDE_MIRROR at /pyodide-packages/, or nothing when it is unset."""
    folder = environ.get(MIRROR_ENV)
    if not folder:
        return []
    if not Path(folder, LOCK_FILE).is_file():
        raise SystemExit(f"{MIRROR_ENV}={folder}: no {LOCK_FILE} there; make the folder with `torchpad mirror-pyodide {folder}`")
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    return [Mount(MIRROR_PATH, StaticFiles(directory=folder), name="pyodide-packages")]


def page_index(configured: str, environ=os.environ) -> str:
    """The index the page should use: the served mirror when one is set and no other index was chosen."""
    if environ.get(MIRROR_ENV) and configured == DEFAULT_PYODIDE_INDEX:
        return MIRROR_PATH + "/"
    return configured
