"""CUDA jobs: run only where this host has a GPU; skipped cleanly elsewhere."""

from __future__ import annotations

import pytest
import torch

from .conftest import final_status, stream, texts

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this host")


def test_auto_picks_cuda_and_the_job_sees_one_gpu(server):
    ws = server.connect()
    code = "import torch\nx = torch.ones(1000, device='cuda')\nprint(torch.cuda.device_count(), x.sum().item(), x.device)\n"
    events = stream(ws, server.submit(ws, code))
    assert final_status(events)["state"] == "succeeded", events
    assert [e for e in events if e["kind"] == "status"][1]["device"].startswith("cuda:")
    assert texts(events) == ["1 1000.0 cuda:0"]
    ws.close()


def test_device_cpu_hides_the_gpus(server):
    ws = server.connect()
    events = stream(ws, server.submit(ws, "import torch\nprint(torch.cuda.is_available())", device="cpu"))
    assert texts(events) == ["False"] and [e for e in events if e["kind"] == "status"][1]["device"] == "cpu"
    ws.close()


def test_training_on_cuda_streams_the_loss(server):
    ws = server.connect()
    code = """
import torch
model = torch.nn.Linear(8, 1).cuda()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(16, 8, device="cuda"), torch.randn(16, 1, device="cuda")
for _ in range(3):
    opt.zero_grad(); loss = ((model(x) - y) ** 2).mean(); loss.backward(); opt.step()
"""
    events = stream(ws, server.submit(ws, code, device="cuda"))
    assert final_status(events)["state"] == "succeeded", events
    assert [e["step"] for e in events if e["kind"] == "metric"] == [0, 1, 2]
    ws.close()
