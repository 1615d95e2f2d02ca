# Offline-first developer commands. `make demo` works on a fresh checkout with no API key:
# it builds llama-cpp-python from source once (~5 min on 2 cores) for the local default LLM.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Installed once per pyproject.toml change; delete it (or the venv) to force a reinstall.
STAMP := $(VENV)/.memento-installed
# Portable llama.cpp build: no -march=native, so the wheel pip caches runs on any x86-64 machine.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: setup demo test lint

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[test,local]"
	touch $@

demo: setup
	$(BIN)/memento run "What is 17 * 23 + 4?" --ground-truth 395

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
