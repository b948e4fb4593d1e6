"""`torchpad mirror-pyodide` against a real local HTTP server, and `torchpad serve` serving the mirror."""

import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from functools import partial
from pathlib import Path

import pytest

from torchpad.cli import main as torchpad_main
from torchpad.server.wire import free_port

WHEELS = {"numpy-9.9-fake.whl": b"not really numpy " * 1000, "dep-1.0-fake.whl": b"a dependency"}


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def make_index(folder: Path, corrupt: str | None = None) -> None:
    lock = {"info": {"arch": "wasm32"}, "packages": {
        "numpy": {"name": "numpy", "file_name": "numpy-9.9-fake.whl", "depends": ["dep"], "sha256": sha(WHEELS["numpy-9.9-fake.whl"])},
        "dep": {"name": "dep", "file_name": "dep-1.0-fake.whl", "depends": [], "sha256": sha(WHEELS["dep-1.0-fake.whl"])},
        "other": {"name": "other", "file_name": "other.whl", "depends": [], "sha256": "0" * 64},
    }}
    (folder / "pyodide-lock.json").write_text(json.dumps(lock))
    for name, data in WHEELS.items():
        (folder / name).write_bytes(data + (b"tampered" if name == corrupt else b""))


@pytest.fixture
def index(tmp_path):
    """A real HTTP server on a free port serving a fake Pyodide package index."""
    root = tmp_path / "index"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_mirrors_numpy_and_its_dependencies_with_checked_hashes(index, tmp_path, capsys):
    root, url = index
    make_index(root)
    dest = tmp_path / "mirror"
    assert torchpad_main(["mirror-pyodide", str(dest), "--from", url]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["dep-1.0-fake.whl", "numpy-9.9-fake.whl", "pyodide-lock.json"]
    for name, data in WHEELS.items():
        assert (dest / name).read_bytes() == data
    out = capsys.readouterr().out
    assert out.index("dep-1.0-fake.whl") < out.index("numpy-9.9-fake.whl")  # dependencies first
    assert "TORCHPAD_PYODIDE_MIRROR=" in out
    # A second run keeps the verified files.
    assert torchpad_main(["mirror-pyodide", str(dest), "--from", url]) == 0
    assert "already here" in capsys.readouterr().out


def test_sha256_mismatch_fails_and_keeps_nothing(index, tmp_path, capsys):
    root, url = index
    make_index(root, corrupt="numpy-9.9-fake.whl")
    dest = tmp_path / "mirror"
    assert torchpad_main(["mirror-pyodide", str(dest), "--from", url]) == 1
    err = capsys.readouterr().err
    assert f"sha256 mismatch for {url}numpy-9.9-fake.whl" in err
    assert sha(WHEELS["numpy-9.9-fake.whl"]) in err
    assert not (dest / "numpy-9.9-fake.whl").exists() and not (dest / "numpy-9.9-fake.whl.part").exists()


def test_unreachable_source_and_unknown_package_are_clear_errors(index, tmp_path, capsys):
    root, url = index
    make_index(root)
    assert torchpad_main(["mirror-pyodide", str(tmp_path / "m"), "--from", url, "--package", "scipy"]) == 1
    assert "'scipy' is not in the lock file" in capsys.readouterr().err
    assert torchpad_main(["mirror-pyodide", str(tmp_path / "m"), "--from", url + "missing/"]) == 1
    assert f"cannot download {url}missing/pyodide-lock.json" in capsys.readouterr().err


def test_serve_exposes_the_mirror_and_points_the_page_at_it(index, tmp_path):
    root, url = index
    make_index(root)
    dest = tmp_path / "mirror"
    assert torchpad_main(["mirror-pyodide", str(dest), "--from", url]) == 0
    port = free_port()
    env = {**os.environ, "TORCHPAD_PYODIDE_MIRROR": str(dest)}
    proc = subprocess.Popen([sys.executable, "-m", "torchpad", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"),
                             "--token", "t"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/health", timeout=1)
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                time.sleep(0.1)
        config = json.load(urllib.request.urlopen(base + "/api/config"))
        assert config == {"pyodide_index": "/pyodide-packages/"}
        wheel = urllib.request.urlopen(base + "/pyodide-packages/numpy-9.9-fake.whl")
        assert wheel.read() == WHEELS["numpy-9.9-fake.whl"]
        assert wheel.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_server_pins_the_pyodide_version_the_page_ships():
    """The default index (and so `torchpad mirror-pyodide`) must match the runtime the build serves:
    Pyodide enforces its own lock file's wheel names and hashes."""
    from torchpad.server.config import DEFAULT_PYODIDE_INDEX, PYODIDE_VERSION

    repo = Path(__file__).resolve().parent.parent
    pinned = json.loads((repo / "package.json").read_text())["dependencies"]["pyodide"]
    assert PYODIDE_VERSION == pinned
    assert f"/v{pinned}/" in DEFAULT_PYODIDE_INDEX
