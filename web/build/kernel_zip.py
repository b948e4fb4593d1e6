"""Write the zip the browser worker unpacks into site-packages: `torchpad/` plus `kernel/` as `torchpad/kernel/`.

Usage: python web/build/kernel_zip.py OUT.zip. The server package stays out (the browser
never needs it). Entries carry a fixed date so the same sources give the same bytes.
"""

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [(ROOT / "torchpad", "torchpad"), (ROOT / "kernel", "torchpad/kernel")]
SKIP_DIRS = {"__pycache__"}


def entries():
    for src, prefix in SOURCES:
        for path in sorted(src.rglob("*")):
            rel = path.relative_to(src)
            if path.is_file() and not SKIP_DIRS.intersection(rel.parts) and path.suffix != ".pyc":
                yield path, f"{prefix}/{rel.as_posix()}"


def main(out: str) -> int:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, name in entries():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
