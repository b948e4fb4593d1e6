"""A job cannot reach the server's secrets or data: no token in its environment or in the
server's command line, its own HOME and working directory, a 0700 data directory with 0600
files, and with --job-user neither the database nor /proc/<server>/environ."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import TOKEN, Server, stream, texts

PROBE = """
import json, os, sqlite3
server = os.getppid()
def readable(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        return None
def db_opens(path):
    try:
        sqlite3.connect(path).execute("SELECT COUNT(*) FROM jobs").fetchone()
        return True
    except sqlite3.Error:
        return False
environ = readable(f"/proc/{server}/environ")
print(json.dumps({
    "env": dict(os.environ), "cwd": os.getcwd(), "uid": os.getuid(),
    "cmdline": readable(f"/proc/{server}/cmdline").decode(errors="replace"),
    "environ": None if environ is None else environ.decode(errors="replace"),
    "db_opens": db_opens(DB),
}))
"""


def probe(srv: Server) -> dict:
    ws = srv.connect()
    db = str(srv.data_dir / "torchpad.sqlite3")
    job = srv.submit(ws, f"DB = {db!r}\n" + PROBE)
    events = stream(ws, job)
    ws.close()
    assert events[-1]["state"] == "succeeded", events
    return json.loads(texts(events)[-1])


def test_a_job_gets_an_allow_listed_environment_without_the_token(tmp_path):
    srv = Server(tmp_path / "data", env={"TORCHPAD_TOKEN": TOKEN, "AWS_SECRET_ACCESS_KEY": "s3cr3t",
                                         "CUDA_CACHE_PATH": "/tmp/cuda-cache", "LC_ALL": "C.UTF-8"}).start()
    try:
        seen = probe(srv)
    finally:
        srv.stop()
    env = seen["env"]
    assert TOKEN not in json.dumps(env) and "AWS_SECRET_ACCESS_KEY" not in env and "TORCHPAD_PARENT_PID" not in env
    assert env["CUDA_CACHE_PATH"] == "/tmp/cuda-cache" and env["LC_ALL"] == "C.UTF-8" and "PATH" in env
    assert env["HOME"] == seen["cwd"] and not seen["cwd"].startswith(str(tmp_path)), seen["cwd"]
    assert TOKEN not in seen["cmdline"] and "--token" in seen["cmdline"]  # the flag stays, its value is blanked


def test_the_data_directory_and_its_files_are_the_owners_only(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # an older server's folder, as others could read it
    srv = Server(data).start()
    try:
        probe(srv)
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        for f in data.rglob("*"):
            if f.is_file():
                assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f
    finally:
        srv.stop()


REACH = """
import ctypes, json, os, sqlite3
def opens(path):
    try:
        sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM jobs").fetchone()
        return True
    except sqlite3.Error:
        return False
def reads(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return None
seen = {"db": opens(DB), "token": reads(TOKEN_FILE), "listing": os.listdir(DATA) if os.path.isdir(DATA) else None,
        "via_server_root": opens(f"/proc/{SERVER}/root{DB}"), "server_environ": reads(f"/proc/{SERVER}/environ")}
libc = ctypes.CDLL(None, use_errno=True)
seen["umount"] = [libc.umount2(DATA.encode(), 2), libc.umount2(TOKEN_FILE.encode(), 2)]  # MNT_DETACH
seen["db_after_umount"], seen["token_after_umount"] = opens(DB), reads(TOKEN_FILE)
open("own.txt", "w").write("mine")
seen["own"] = reads("own.txt")
print(json.dumps(seen))
"""


@pytest.mark.parametrize("containment", ["cgroup", "pidns", "pgroup"])
def test_a_job_of_the_servers_own_user_cannot_open_the_database_or_read_the_token_file(tmp_path, containment):
    from torchpad.server.containment import cgroup2_root
    from torchpad.server.jobns import probe

    if (why := probe(["--hide", str(tmp_path)])) is not None:
        pytest.skip(f"this user cannot give a job a mount namespace here (user namespaces refused): {why}")
    if containment == "cgroup" and cgroup2_root() is None:
        pytest.skip("no writable cgroup v2 directory on this machine")
    if containment == "pidns" and (why := probe(["--pid-namespace"])) is not None:
        pytest.skip(f"this user cannot give a job a PID namespace here: {why}")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    srv = Server(tmp_path / "data", args=["--token-file", str(token_file)],
                 env={"TORCHPAD_JOB_CONTAINMENT": containment, "TORCHPAD_TOKEN": TOKEN}).start()
    try:
        executor = srv.get("/api/info").json()["executor"]
        assert executor["containment"] == containment and executor["data_dir_hidden_by"] == "mount namespace"
        data = srv.data_dir.resolve()
        ws = srv.connect()
        names = {"DB": str(data / "torchpad.sqlite3"), "TOKEN_FILE": str(token_file), "DATA": str(data), "SERVER": srv.proc.pid}
        job = srv.submit(ws, "".join(f"{k} = {v!r}\n" for k, v in names.items()) + REACH)
        events = stream(ws, job)
        ws.close()
    finally:
        srv.stop()
    assert events[-1]["state"] == "succeeded", events
    seen = json.loads(texts(events)[-1])
    assert seen["own"] == "mine"  # the job's own directory works as before
    assert seen["db"] is False and seen["via_server_root"] is False and seen["db_after_umount"] is False, seen
    assert TOKEN not in json.dumps(seen), seen
    assert seen["listing"] == [] and seen["umount"] == [-1, -1], seen
    assert (data / "torchpad.sqlite3").exists() and token_file.read_text() == TOKEN + "\n"  # untouched outside the job


def _can_run_python_as(user: str) -> bool:
    try:
        return subprocess.run([sys.executable, "-c", "import torch"], user=user, capture_output=True, timeout=120).returncode == 0
    except (PermissionError, OSError, KeyError):
        return False


def _closed_folder(path: Path) -> tuple[Path, Path] | None:
    """The first folder on `path` that others may not enter (e.g. /root, 0700), and its child on the way."""
    for folder in reversed(path.parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder, folder / path.relative_to(folder).parts[0]
    return None


def _opened_for_others(folder: Path, child: Path, stage: Path):
    """A preexec for the server: a private mount namespace in which `folder` is an empty 0755 tmpfs holding only
    `child` (bind-mounted), so another user can reach the interpreter while the rest of `folder` stays hidden."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source, target, fstype, flags, data=None):
        enc = lambda v: None if v is None else str(v).encode()  # noqa: E731
        if libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
            raise OSError(ctypes.get_errno(), f"mount {target}")

    def preexec():
        if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
        mount(None, "/", None, 16384 | (1 << 18))  # MS_REC | MS_PRIVATE: nothing reaches the test's mounts
        mount(child, stage, None, 4096)  # MS_BIND
        mount("tmpfs", folder, "tmpfs", 0, "mode=0755")
        (folder / child.name).mkdir()
        mount(stage, folder / child.name, None, 4096)

    return preexec


def test_a_job_run_as_another_user_cannot_open_the_database_or_read_the_server(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("--job-user needs a server started as root")
    srv = Server(tmp_path / "data", args=["--job-user", "nobody"], env={"TORCHPAD_TOKEN": TOKEN})
    if not _can_run_python_as("nobody"):
        # This machine's interpreter lives under a folder only root may enter (/root/.pyenv here): the
        # server runs in a mount namespace where that folder holds nothing but the interpreter's tree.
        closed = _closed_folder(Path(sys.executable).resolve())
        if closed is None or closed[1].is_file():
            pytest.skip(f"user nobody cannot run {sys.executable} with torch, and no folder on its path could be opened")
        (tmp_path / "stage").mkdir()
        srv.preexec = _opened_for_others(*closed, tmp_path / "stage")
    srv.start()
    try:
        seen = probe(srv)
    finally:
        srv.stop()
    assert seen["uid"] != 0 and seen["db_opens"] is False and seen["environ"] is None
    assert TOKEN not in seen["cmdline"] and TOKEN not in json.dumps(seen["env"])


def test_a_server_of_an_ordinary_user_keeps_its_jobs_in_a_pid_namespace_away_from_its_data(tmp_path):
    """What a server run by an unprivileged account gets on a normal Linux host: no cgroup of its own, so
    (user namespaces permitting) PID namespaces, and the data directory hidden all the same."""
    if os.geteuid() != 0:
        pytest.skip("the test becomes user nobody to start the server; it needs to start as root")
    import pwd
    import shutil
    import tempfile

    nobody = pwd.getpwnam("nobody")
    home = Path(tempfile.mkdtemp(prefix="torchpad-test-"))  # a folder nobody can reach (tmp_path is root's only)
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    srv = Server(home / "data", env={"TORCHPAD_TOKEN": TOKEN})
    opened = None
    if not _can_run_python_as("nobody"):
        closed = _closed_folder(Path(sys.executable).resolve())
        if closed is None or closed[1].is_file():
            pytest.skip(f"user nobody cannot run {sys.executable}, and no folder on its path could be opened")
        (tmp_path / "stage").mkdir()
        opened = _opened_for_others(*closed, tmp_path / "stage")

    def become_nobody():
        if opened:
            opened()
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    srv.preexec = become_nobody
    try:
        srv.start()
        executor = srv.get("/api/info").json()["executor"]
        if executor["data_dir_hidden_by"] != "mount namespace":
            pytest.skip(f"user namespaces are refused to user nobody here: {executor['data_dir_hidden_by']}")
        assert executor["containment"] == "pidns", executor
        data = srv.data_dir.resolve()
        ws = srv.connect()
        names = {"DB": str(data / "torchpad.sqlite3"), "TOKEN_FILE": "/nonexistent", "DATA": str(data), "SERVER": srv.proc.pid}
        job = srv.submit(ws, "".join(f"{k} = {v!r}\n" for k, v in names.items()) + REACH + "print(os.getpid(), os.getuid())\n")
        events = stream(ws, job)
        ws.close()
    finally:
        srv.stop()
        shutil.rmtree(home, ignore_errors=True)
    assert events[-1]["state"] == "succeeded", events
    seen = json.loads(texts(events)[-2])
    assert seen["db"] is False and seen["via_server_root"] is False and seen["db_after_umount"] is False, seen
    assert seen["listing"] == [] and seen["server_environ"] is None and seen["own"] == "mine", seen
    assert texts(events)[-1] == f"2 {nobody.pw_uid}"  # PID 2 of its own namespace, as the server's user


def test_job_user_must_exist(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "torchpad", "serve", "--data-dir", str(tmp_path), "--job-user", "no-such-user-x"],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "TORCHPAD_TOKEN": TOKEN})
    assert proc.returncode == 2 and "no user named 'no-such-user-x'" in proc.stderr


def test_token_file_must_be_private(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o644)
    proc = subprocess.run([sys.executable, "-m", "torchpad", "serve", "--data-dir", str(tmp_path), "--token-file", str(token_file)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "chmod 600" in proc.stderr


def test_a_private_token_file_is_the_token(tmp_path):
    import httpx

    from .conftest import free_port

    token_file = tmp_path / "token"
    token_file.write_text("file-token-0123456789\n")
    token_file.chmod(0o600)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "torchpad", "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"),
                             "--token-file", str(token_file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={k: v for k, v in os.environ.items() if k != "TORCHPAD_TOKEN"})
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(1200):
            try:
                if httpx.get(url + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert httpx.get(url + "/api/info", headers={"Authorization": "Bearer file-token-0123456789"}).status_code == 200
        assert httpx.get(url + "/api/info", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401
        with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
            assert b"file-token" not in f.read()
    finally:
        proc.terminate()
        proc.wait(30)
