"""Files travel with a server job (in) and come back from its working directory (out), against a
real `torchpad serve` with small file limits so each limit is reached cheaply."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import sqlite3
import time

import httpx
import pytest
import torch

from .conftest import Server, stream

LIMITS = {"TORCHPAD_MAX_INPUT_FILES": "3", "TORCHPAD_MAX_INPUT_BYTES": "100000", "TORCHPAD_MAX_OUTPUT_FILES": "4",
          "TORCHPAD_MAX_OUTPUT_FILE_BYTES": "300000", "TORCHPAD_MAX_OUTPUT_BYTES": "500000"}
CSV = b"x,label\n1.5,0\n2.5,1\n-3.0,1\n"


@pytest.fixture(scope="module")
def executor_name() -> str:
    return "local"  # the Ray executor's path is tested in test_ray.py


@pytest.fixture(scope="module")
def srv(make_server) -> Server:
    return make_server(env=LIMITS)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def submit(srv: Server, code: str, files: dict[str, bytes] | None = None) -> httpx.Response:
    body = {"code": code, "files": [{"name": n, "data": b64(d)} for n, d in (files or {}).items()]}
    return srv.post("/api/jobs", json=body)


def run(srv: Server, code: str, files: dict[str, bytes] | None = None, state: str = "succeeded") -> str:
    r = submit(srv, code, files)
    assert r.status_code == 201, r.text
    job = r.json()["job"]
    info = srv.wait_final(job)
    assert info["state"] == state, (info, srv.events(job))
    return job


def listing(srv: Server, job: str) -> dict[str, dict]:
    r = srv.get(f"/api/jobs/{job}/files")
    assert r.status_code == 200, r.text
    return {f["name"]: f for f in r.json()["files"]}


def download(srv: Server, job: str, name: str) -> httpx.Response:
    return srv.get(f"/api/jobs/{job}/files/{name}")


TRAIN = """
import csv, torch
rows = list(csv.DictReader(open("data.csv")))
print("rows", len(rows), "first", rows[0]["x"])
torch.manual_seed(0)
model = torch.nn.Linear(1, 1)
torch.save(model.state_dict(), "model.pt")
with open("preds.csv", "w") as f:
    f.write("x,pred\\n")
    for r in rows:
        f.write(f"{r['x']},{model(torch.tensor([[float(r['x'])]])).item():.6f}\\n")
"""


def test_files_go_in_and_what_the_program_writes_comes_back(srv):
    job = run(srv, TRAIN, {"data.csv": CSV, "notes.txt": b"unchanged"})
    events = srv.events(job)
    assert "rows 3 first 1.5\n" in "".join(e["text"] + "\n" for e in events if e["kind"] == "stdout")
    files_event = next(e for e in events if e["kind"] == "files")
    assert files_event["seq"] < events[-1]["seq"] and events[-1]["kind"] == "status"  # ready before the job ends
    files = listing(srv, job)
    assert set(files) == {"model.pt", "preds.csv"}  # the inputs it left unchanged are not listed
    assert {f["name"]: f["size"] for f in files_event["files"]} == {n: f["size"] for n, f in files.items()}

    r = download(srv, job, "model.pt")
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''model.pt"
    assert len(r.content) == files["model.pt"]["size"]
    torch.manual_seed(0)
    expected = torch.nn.Linear(1, 1).state_dict()
    state = torch.load(io.BytesIO(r.content))
    assert all(torch.equal(state[k], expected[k]) for k in expected)

    preds = download(srv, job, "preds.csv").content.decode().splitlines()
    assert preds[0] == "x,pred" and [p.split(",")[0] for p in preds[1:]] == ["1.5", "2.5", "-3.0"]
    with torch.no_grad():
        model = torch.nn.Linear(1, 1)
        model.load_state_dict(state)
        assert float(preds[2].split(",")[1]) == pytest.approx(model(torch.tensor([[2.5]])).item(), abs=1e-5)


def test_binary_input_round_trips_byte_for_byte_and_a_changed_input_comes_back(srv):
    blob = bytes(range(256)) * 50
    code = ("data = open('blob.bin', 'rb').read()\nassert data == bytes(range(256)) * 50, len(data)\n"
            "open('copy.bin', 'wb').write(data)\nopen('data.csv', 'a').write('9,9\\n')\n")
    job = run(srv, code, {"blob.bin": blob, "data.csv": CSV})
    assert set(listing(srv, job)) == {"copy.bin", "data.csv"}
    assert download(srv, job, "copy.bin").content == blob
    assert download(srv, job, "data.csv").content == CSV + b"9,9\n"
    assert download(srv, job, "blob.bin").status_code == 404  # an unchanged input is not a result


def test_a_job_that_crashes_still_returns_the_files_it_wrote(srv):
    job = run(srv, "open('partial.txt', 'w').write('epoch 1')\nraise RuntimeError('boom')", state="failed")
    assert download(srv, job, "partial.txt").content == b"epoch 1"
    killed = run(srv, "import os\nopen('before.txt', 'w').write('x')\nos.kill(os.getpid(), 9)", state="failed")
    assert download(srv, killed, "before.txt").content == b"x"


def test_a_cancelled_job_returns_its_files(srv):
    ws = srv.connect()
    with contextlib.closing(ws):
        job = srv.submit(ws, "import time\nopen('ckpt.txt', 'w').write('step 5')\nprint('saved', flush=True)\ntime.sleep(300)")
        stream(ws, job, until=lambda e: e["kind"] == "stdout" and e["text"] == "saved")
        ws.send(json.dumps({"v": 1, "type": "cancel", "job": job}))
        events = stream(ws, job)
    assert events[-1]["state"] == "cancelled"
    assert [f["name"] for e in events if e["kind"] == "files" for f in e["files"]] == ["ckpt.txt"]
    assert download(srv, job, "ckpt.txt").content == b"step 5"


def test_what_is_not_kept_is_listed_with_why(srv):
    code = """
import os
open("big.bin", "wb").write(b"x" * 400_000)          # over the 300 000 bytes per file
for i in range(6):                                     # more than 4 files
    open(f"f{i}.txt", "w").write(str(i))
os.symlink("/etc/hostname", "link.txt")                # not followed
os.mkdir("runs")                                       # folders are not collected
open(".hidden", "w").write("a dotfile (HOME is the job's directory)")
"""
    job = run(srv, code)
    files = listing(srv, job)
    assert "over the limit of 300000 bytes per file" in files["big.bin"]["note"] and files["big.bin"]["size"] == 400_000
    assert [n for n in files if n.startswith("f") and "note" not in files[n]] == ["f0.txt", "f1.txt", "f2.txt", "f3.txt"]
    assert "over the limit of 4 files per job" in files["f4.txt"]["note"] and "note" in files["f5.txt"]
    assert "symbolic link" in files["link.txt"]["note"] and "folder" in files["runs"]["note"]
    assert ".hidden" not in files
    for name in ("big.bin", "f5.txt", "link.txt", "runs", ".hidden"):
        r = download(srv, job, name)
        assert r.status_code == 404 and r.json()["error"] == "unknown_file", name
    assert download(srv, job, "f3.txt").content == b"3"


def test_the_total_output_limit(srv):
    code = "for i in range(3):\n    open(f'part{i}.bin', 'wb').write(bytes([i]) * 200_000)"
    files = listing(srv, run(srv, code))
    assert "note" not in files["part0.bin"] and "note" not in files["part1.bin"]
    assert "over 500000 bytes, the limit in all" in files["part2.bin"]["note"]


@pytest.mark.parametrize("files, status, message", [
    ({"a.csv": b"1", "b.csv": b"2", "c.csv": b"3", "d.csv": b"4"}, 413, "4 files were sent with the job; the limit is 3 files"),
    ({"big.bin": b"x" * 100_001}, 413, "the limit is 100000 bytes in all"),
    ({"../evil.py": b"x"}, 400, "'../evil.py' is not a plain file name"),
    ({"sub/data.csv": b"x"}, 400, "is not a plain file name"),
    ({".bashrc": b"x"}, 400, "'.bashrc' is not a plain file name"),
    ({"..": b"x"}, 400, "is not a plain file name"),
    ({"": b"x"}, 400, "is not a plain file name"),
    ({"a\nb": b"x"}, 400, "is not a plain file name"),
])
def test_bad_files_are_refused_with_the_reason(srv, files, status, message):
    r = submit(srv, "print(1)", files)
    assert r.status_code == status and message in r.json()["message"], r.text


def test_duplicate_names_and_bad_base64_are_refused(srv):
    body = {"code": "print(1)", "files": [{"name": "a.csv", "data": b64(b"1")}, {"name": "a.csv", "data": b64(b"2")}]}
    r = srv.post("/api/jobs", json=body)
    assert r.status_code == 400 and "'a.csv' is sent twice" in r.json()["message"]
    r = srv.post("/api/jobs", json={"code": "print(1)", "files": [{"name": "a.csv", "data": "not base64!"}]})
    assert r.status_code == 400 and "not valid base64" in r.json()["message"]
    r = srv.post("/api/jobs", json={"code": "print(1)", "files": {"a.csv": "MQ=="}})
    assert r.status_code == 400 and "must be a list" in r.json()["message"]


def test_a_body_over_the_files_allowance_is_refused_while_reading(srv):
    r = srv.post("/api/jobs", content=b'{"code": "' + b"x" * 3_000_000 + b'"}', headers={**srv.headers(), "Content-Type": "application/json"})
    assert r.status_code == 413 and "the files sent with a job may come to 100000 bytes" in r.json()["message"]


def test_files_over_the_websocket(srv):
    ws = srv.connect()
    with contextlib.closing(ws):
        msg = {"v": 1, "type": "submit", "id": "f1", "code": "print(open('in.txt').read())",
               "files": [{"name": "in.txt", "data": b64(b"over the websocket")}]}
        ws.send(json.dumps(msg))
        accepted = json.loads(ws.recv(timeout=30))
        assert accepted["type"] == "accepted", accepted
        events = stream(ws, accepted["job"])
        assert events[-1]["state"] == "succeeded" and "over the websocket" in [e.get("text") for e in events]
        ws.send(json.dumps({**msg, "id": "f2", "files": [{"name": "../x", "data": ""}]}))
        error = json.loads(ws.recv(timeout=30))
        assert error["type"] == "error" and error["id"] == "f2" and "not a plain file name" in error["message"]


def test_file_routes_need_the_token_and_an_exact_name(srv):
    job = run(srv, "open('out.txt', 'w').write('hi')")
    for path in (f"/api/jobs/{job}/files", f"/api/jobs/{job}/files/out.txt"):
        assert srv.get(path, headers={}).status_code == 401
        assert srv.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    for name in ("OUT.txt", "out.tx", "out.txt.", "%2e%2e%2fout.txt"):
        assert download(srv, job, name).status_code == 404, name
    r = srv.get("/api/jobs/0123456789abcdef/files")
    assert r.status_code == 404 and r.json()["error"] == "unknown_job"
    assert srv.get(f"/api/jobs/{job}/files/out.txt").content == b"hi"


def test_unicode_names_download_with_their_name(srv):
    job = run(srv, "open('résumé ü.txt', 'w').write('ok')", {"données.csv": b"1"})
    assert set(listing(srv, job)) == {"résumé ü.txt"}
    r = download(srv, job, "résumé ü.txt")
    assert r.content == b"ok" and r.headers["content-disposition"] == "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20%C3%BC.txt"


def stored_files(srv: Server, job: str) -> int:
    with contextlib.closing(sqlite3.connect(srv.data_dir / "torchpad.sqlite3")) as db:
        return db.execute("SELECT COUNT(*) FROM job_files WHERE job = ?", (job,)).fetchone()[0]


def test_files_are_deleted_with_the_job(srv):
    job = run(srv, "open('out.txt', 'w').write('hi')", {"in.txt": b"x"})
    assert stored_files(srv, job) == 2  # its input and its output
    assert httpx.delete(f"{srv.url}/api/jobs/{job}", headers=srv.headers()).status_code == 204
    assert srv.get(f"/api/jobs/{job}/files").status_code == 404
    assert download(srv, job, "out.txt").status_code == 404
    assert stored_files(srv, job) == 0


def test_files_are_deleted_by_retention(make_server):
    srv = make_server(args=["--keep-jobs-days", str(2 / 86400)], env={**LIMITS, "TORCHPAD_RETENTION_SWEEP_S": "0.5"})
    job = run(srv, "open('out.txt', 'w').write('hi')", {"in.txt": b"x"})
    deadline = time.monotonic() + 60
    while srv.get(f"/api/jobs/{job}").status_code != 404 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert srv.get(f"/api/jobs/{job}/files").status_code == 404
    assert stored_files(srv, job) == 0


def test_a_queued_job_keeps_its_files_across_a_restart(make_server, tmp_path):
    data = tmp_path / "data"
    first = make_server(data_dir=data, env={**LIMITS, "TORCHPAD_CPU_SLOTS": "1"})
    blocker = submit(first, "import time\ntime.sleep(300)").json()["job"]
    job = submit(first, "print(open('in.txt').read())", {"in.txt": b"kept across restarts"}).json()["job"]
    assert first.get(f"/api/jobs/{job}").json()["state"] == "queued"
    first.stop()
    second = make_server(data_dir=data, env=LIMITS)
    assert second.wait_final(job)["state"] == "succeeded"
    assert "kept across restarts" in [e.get("text") for e in second.events(job)]
    second.post(f"/api/jobs/{blocker}/cancel")


def test_every_rank_of_a_distributed_job_gets_the_files_and_rank_0s_come_back(srv):
    code = ("import os\nrank = int(os.environ['RANK'])\nassert open('in.txt').read() == 'shared'\n"
            "open(f'rank{rank}.txt', 'w').write(str(rank))\n")
    r = srv.post("/api/jobs", json={"code": code, "options": {"device": "cpu", "gpus": 2},
                                    "files": [{"name": "in.txt", "data": b64(b"shared")}]})
    job = r.json()["job"]
    assert srv.wait_final(job)["state"] == "succeeded", srv.events(job)
    assert set(listing(srv, job)) == {"rank0.txt"}


@pytest.mark.ray
def test_files_travel_with_a_ray_job(ray_cluster, tmp_path):
    srv = Server(tmp_path / "data", "ray", env={**ray_cluster.server_env(), **LIMITS}).start()
    try:
        job = run(srv, TRAIN, {"data.csv": CSV})
        assert set(listing(srv, job)) == {"model.pt", "preds.csv"}
        state = torch.load(io.BytesIO(download(srv, job, "model.pt").content))
        torch.manual_seed(0)
        assert all(torch.equal(state[k], v) for k, v in torch.nn.Linear(1, 1).state_dict().items())
        crashed = run(srv, "open('partial.txt', 'w').write('epoch 1')\nraise RuntimeError('boom')", state="failed")
        assert download(srv, crashed, "partial.txt").content == b"epoch 1"
    finally:
        srv.stop()


def test_a_hard_link_to_a_file_elsewhere_is_not_kept(srv, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not the job's")
    outside.chmod(0o644)
    job = run(srv, f"import os\nos.link({str(outside)!r}, 'linked.txt')\nopen('own.txt', 'w').write('mine')")
    files = listing(srv, job)
    assert "hard link" in files["linked.txt"]["note"] and download(srv, job, "linked.txt").status_code == 404
    assert download(srv, job, "own.txt").content == b"mine"


def test_past_the_count_files_are_not_read_but_an_unchanged_input_is_still_left_out(tmp_path):
    from torchpad.server.jobfiles import OutputLimits, collect_outputs, digests

    for i in range(4):
        (tmp_path / f"f{i}.bin").write_bytes(b"x" * 10)
    (tmp_path / "in.csv").write_bytes(b"given")  # sorts after the f*.bin files
    out = collect_outputs(tmp_path, digests({"in.csv": b"given"}), OutputLimits(count=2, file_bytes=100, total_bytes=1000))
    assert [(f.name, f.data is not None) for f in out] == [("f0.bin", True), ("f1.bin", True), ("f2.bin", False), ("f3.bin", False)]
    assert all("over the limit of 2 files" in f.note for f in out[2:])


def test_only_the_files_data_may_take_a_job_request_past_the_message_limit(srv):
    pad = {"code": "print(1)", "options": {"device": "cpu"}, "pad": " " * (1024 * 1024)}
    r = srv.post("/api/jobs", json=pad)
    assert r.status_code == 413 and "not counting the files' data" in r.json()["message"]
    r = srv.post("/api/jobs", json={"code": "print(len(open('a.bin', 'rb').read()))",
                                    "files": [{"name": "a.bin", "data": b64(b"\0" * 70_000)}], "pad": " " * 1_040_000})
    assert r.status_code == 201, r.text  # over 1 MiB in all, but under it without the file's data
    job = r.json()["job"]
    assert srv.wait_final(job)["state"] == "succeeded" and "70000" in [e.get("text") for e in srv.events(job)]


def test_temporary_files_stay_out_of_the_listing(srv):
    """Libraries' temporary files (torch's compile cache makes a folder in TMPDIR) are not the program's results."""
    code = """
import os, tempfile
tmp = tempfile.gettempdir()
print("tmp inside the job's directory", os.path.commonpath([tmp, os.getcwd()]) == os.getcwd(), tmp != os.getcwd())
os.makedirs(os.path.join(tmp, "torchinductor_cache"), exist_ok=True)
with tempfile.NamedTemporaryFile("w", delete=False) as f:
    f.write("scratch")
open("result.txt", "w").write("kept")
"""
    job = run(srv, code)
    out = "".join(e["text"] for e in srv.events(job) if e["kind"] == "stdout")
    assert "tmp inside the job's directory True True" in out
    assert set(listing(srv, job)) == {"result.txt"}
