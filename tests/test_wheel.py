"""The self-hoster's path, end to end, from the built wheel and nothing else.

`python -m build` makes the sdist and then the wheel from that sdist (so the sdist is proven to
build it). The wheel goes into a clean temp venv (torch==2.13.0 first, as `make install` does,
then `torchpad-*.whl[server]`; no system site-packages, the checkout is not importable there), and
that venv's `torchpad` runs a script on the kernel, serves the page and its runtime files, runs a
Server job, and boots the page's Browser target in Chromium. Needs web/dist (`make build`; `make
test` builds it first). Minutes: deselect with -m "not wheel".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.server.conftest import free_port

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
WEB_DIST = ROOT / "web" / "dist"
SHARED_MIRROR = ROOT.parent / "shared" / "pyodide-mirror"  # Pyodide's NumPy on machines without the CDN
TORCH_PIN = "torch==2.13.0"
TOKEN = "wheel-test-token-0123456789"
# What the page cannot boot without (the Pyodide runtime sits under a versioned folder).
RUNTIME_FILES = ["pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
PAGE_DIR = "torchpad/web/dist/"

def run(cmd, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def clean_env(**extra) -> dict:
    """The environment minus anything that would make the checkout importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    assert (WEB_DIST / "index.html").is_file(), "web/dist is missing: run `make build` (make test builds it first)"
    out = tmp_path_factory.mktemp("dist")
    # As `make wheel` does, less the isolated build envs (this venv has the dev extra's setuptools): minutes saved.
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT], env=clean_env(), timeout=600)
    [sdist] = out.glob("torchpad-*.tar.gz")
    [whl] = out.glob("torchpad-*-py3-none-any.whl")
    assert sdist.stat().st_size > 0
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A clean venv with torch and the wheel's [server] extra; returns its bin folder."""
    path = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", path], env=clean_env(), timeout=300)
    pip = [path / "bin" / "python", "-m", "pip", "install", "-q", "--no-compile", "--disable-pip-version-check"]
    run([*pip, TORCH_PIN], env=clean_env(), timeout=600)  # pinned first: the extra's torch>=2.4 never pulls another build
    run([*pip, f"{wheel}[server]"], env=clean_env(), timeout=600)
    yield path / "bin"
    shutil.rmtree(path, ignore_errors=True)  # about 1 GB of torch


@pytest.fixture(scope="module")
def served(venv, tmp_path_factory):
    """`torchpad serve` from the venv, in a temp folder, token from the environment (never argv)."""
    work = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = clean_env(TORCHPAD_TOKEN=TOKEN)
    if (SHARED_MIRROR / "pyodide-lock.json").is_file() and not env.get("TORCHPAD_PYODIDE_INDEX"):
        env.setdefault("TORCHPAD_PYODIDE_MIRROR", str(SHARED_MIRROR))
    log = open(work / "serve.log", "w")
    proc = subprocess.Popen([venv / "torchpad", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--data-dir", work / "data"], cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"torchpad serve exited {proc.returncode}: {(work / 'serve.log').read_text()}"
            assert time.monotonic() < deadline, f"torchpad serve never became healthy: {(work / 'serve.log').read_text()}"
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_the_wheel_holds_every_package_the_datasets_and_the_built_page(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, package in (("kernel", "torchpad/kernel"), ("server", "torchpad/server"), ("torchpad", "torchpad")):
        for source in (ROOT / folder).rglob("*.py"):
            if "__pycache__" not in source.parts and (source.parent / "__init__.py").exists():
                assert f"{package}/{source.relative_to(ROOT / folder).as_posix()}" in names, source
    assert "torchpad/kernel/ops/__init__.py" in names and "torchpad/datasets/digits.npz" in names
    for data in (ROOT / "torchpad" / "datasets").iterdir():
        if data.is_file():
            assert f"torchpad/datasets/{data.name}" in names, data
    for built in WEB_DIST.rglob("*"):
        if built.is_file():
            assert f"torchpad/web/dist/{built.relative_to(WEB_DIST).as_posix()}" in names, built


def test_torchpad_run_on_the_kernel_from_the_installed_wheel(venv, tmp_path):
    script = tmp_path / "grad.py"
    script.write_text("import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n(x * x).sum().backward()\n"
                      "print(torch.__name__, x.grad.tolist())\nprint(torch.__file__)\n")
    out = run([venv / "torchpad", "run", "--runtime", "kernel", script], cwd=tmp_path, env=clean_env(), timeout=300).stdout
    name_and_grad, location = out.splitlines()
    assert name_and_grad == "torchpad.kernel [2.0, 4.0]"
    assert Path(location).is_relative_to(venv.parent), location  # the installed kernel, not the checkout's


def test_the_installed_server_serves_the_page_and_the_runtime_files(served, venv, wheel):
    web_dir = run([venv / "python", "-c", "from torchpad.server.config import DEFAULT_WEB_DIR; print(DEFAULT_WEB_DIR)"],
                  env=clean_env(), cwd=venv).stdout.strip()
    assert Path(web_dir).is_relative_to(venv.parent), web_dir
    with zipfile.ZipFile(wheel) as whl:
        packed = {n[len(PAGE_DIR):]: whl.read(n) for n in whl.namelist() if n.startswith(PAGE_DIR) and not n.endswith("/")}
    assert "index.html" in packed and "runtime-harness.html" in packed and "generated/torchpad-kernel.zip" in packed
    for name in RUNTIME_FILES:
        assert [p for p in packed if p.startswith("pyodide/") and p.endswith("/" + name)], name
    for name, content in packed.items():  # every file of the page, byte for byte as packed
        r = httpx.get(f"{served}/{name}", timeout=60)
        assert r.status_code == 200, (name, r.status_code)
        assert r.content == content, name
    page = httpx.get(served + "/", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.content == packed["index.html"]


def test_a_server_job_runs_on_the_installed_server(served):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    code = "import torch\nprint(torch.__version__.split('+')[0], torch.ones(3).sum().item())\n"
    r = httpx.post(f"{served}/api/jobs", json={"code": code, "name": "wheel.py"}, headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    job = r.json()["job"]
    deadline = time.monotonic() + 180
    while (info := httpx.get(f"{served}/api/jobs/{job}/events?after=0", headers=auth, timeout=30).json())["state"] not in (
            "succeeded", "failed", "cancelled"):
        assert time.monotonic() < deadline, info
        time.sleep(0.2)
    events = httpx.get(f"{served}/api/jobs/{job}/events?after=0", headers=auth, timeout=30).json()["events"]
    assert info["state"] == "succeeded", events
    assert [e["text"] for e in events if e["kind"] == "stdout"] == ["2.13.0 3.0"]


def test_the_installed_servers_page_boots_its_browser_target_and_runs_code(served):
    out = run(["node", ROOT / "e2e" / "run-in-served-page.mjs", served, "print(1 + 1)"], cwd=ROOT, env=clean_env(),
              timeout=300).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert [b["phase"] for b in result["boot"]][-1] == "ready", result
    assert (result["state"], result["stdout"]) == ("succeeded", ["2"]), result
