"""`torchpad serve` flags and safety rules, and the `torchpad submit` terminal client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from .conftest import ROOT, free_port

TORCHPAD = [sys.executable, "-m", "torchpad"]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("TORCHPAD_")}


def test_serve_help_lists_every_flag_and_its_environment_variable():
    out = subprocess.run([*TORCHPAD, "serve", "--help"], capture_output=True, text=True, env=ENV, check=True).stdout
    for flag in ("--host", "--port", "--data-dir", "--token", "--allow-origin", "--executor", "--gpus", "--max-queued",
                 "--job-timeout", "--pyodide-index", "--allow-remote-host", "--keep-jobs-days", "--keep-shares-days",
                 "--max-data-gb"):
        assert flag in out
        assert "TORCHPAD_" + flag[2:].upper().replace("-", "_") in out


def test_serve_refuses_a_public_address_without_a_token(tmp_path):
    r = subprocess.run([*TORCHPAD, "serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path)], capture_output=True, text=True,
                       env=ENV, timeout=60)
    assert r.returncode == 2 and "without a token" in r.stderr


def test_serve_generates_and_prints_a_token_that_works(tmp_path):
    port = free_port()
    proc = subprocess.Popen([*TORCHPAD, "serve", "--port", str(port), "--data-dir", str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=ENV, cwd=ROOT)
    try:
        token = proc.stdout.readline().split("token: ")[1].strip()
        assert len(token) >= 24
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/api/info", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/info", headers={"Authorization": "Bearer x"}).status_code == 401
    finally:
        proc.terminate()
        proc.wait(30)


def _submit(server, script, tmp_path, *extra, **kw):
    path = tmp_path / "script.py"
    path.write_text(script)
    return subprocess.Popen([*TORCHPAD, "submit", str(path), "--server", server.url, "--token", server.token, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT, **kw)


def test_submit_streams_output_and_exits_with_the_jobs_status(server, tmp_path):
    proc = _submit(server, "import torch, torchpad\nfor i in range(3):\n    print('hello', i)\n    torchpad.log(acc=i / 2)\n",
                   tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.splitlines() == ["hello 0", "hello 1", "hello 2"]
    assert "[torchpad] succeeded" in err and "acc=1" in err

    proc = _submit(server, "x = 1\nraise ValueError('bad value')\n", tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert 'File "main.py", line 2' in err and "ValueError: bad value" in err


def test_submit_ctrl_c_cancels_the_job(server, tmp_path):
    proc = _submit(server, "import time\nprint('started', flush=True)\ntime.sleep(300)\n", tmp_path)
    assert proc.stdout.readline().strip() == "started"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "[torchpad] cancelled: cancelled by user" in err
    job = [j for j in server.get("/api/jobs").json()["jobs"]][0]
    assert job["state"] == "cancelled"


def test_submit_with_a_wrong_token_fails_clearly(server, tmp_path):
    path = tmp_path / "s.py"
    path.write_text("print(1)")
    r = subprocess.run([*TORCHPAD, "submit", str(path), "--server", server.url, "--token", "nope"], capture_output=True,
                       text=True, env=ENV, timeout=60)
    assert r.returncode == 2 and "wrong token" in r.stderr


def test_submit_sends_files_and_downloads_what_the_job_wrote(server, tmp_path):
    data = tmp_path / "data.csv"
    data.write_bytes(b"x,y\n1,2\n")
    out_dir = tmp_path / "results"
    script = "import torch\nprint(open('data.csv').read().splitlines()[1])\ntorch.save(torch.arange(3), 'model.pt')\n"
    proc = _submit(server, script, tmp_path, "--file", str(data), "--download", str(out_dir))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.splitlines() == ["1,2"]
    assert "files the job wrote: model.pt" in err and f"saved {out_dir / 'model.pt'}" in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["model.pt"]  # data.csv was given, not written
    import torch

    assert torch.equal(torch.load(out_dir / "model.pt"), torch.arange(3))


def test_submit_refuses_a_bad_file_clearly(server, tmp_path):
    proc = _submit(server, "print(1)", tmp_path, "--file", str(tmp_path / "missing.csv"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "missing.csv" in err
    hidden = tmp_path / ".secret"
    hidden.write_text("x")
    proc = _submit(server, "print(1)", tmp_path, "--file", str(hidden))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "HTTP 400" in err and "'.secret' is not a plain file name" in err
