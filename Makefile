# The two commands a newcomer needs:  `make run`  and  `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-dev system-deps node-deps lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Serving only: no torch.
install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

# Everything the test suite needs: serving, training extra (torch 2.13.0 CPU), dev tools, system packages.
install-dev: $(BIN)/python system-deps node-deps
	$(BIN)/pip install --quiet -e '.[train,dev]'

system-deps:
	bash scripts/install-system-deps.sh

# axe-core for the browser tests' accessibility checks, pinned by package-lock.json (injected from a file,
# never fetched by the page).
node-deps:
	npm ci --ignore-scripts --no-audit --no-fund --silent

run: install
	$(BIN)/melanoscan serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest

# mypy reads [tool.mypy] in pyproject.toml: src/melanoscan, strict for the serving parts.
lint: install-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy

# Printed figures, not tests: single-image latency (ONNX Runtime vs PyTorch) and the hospital ranking.
# The others (CLI on the ISIC test split, load, fuzzing) are listed in README.md.
bench: install-dev
	$(BIN)/python bench/latency.py
	$(BIN)/python bench/hospitals.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache test-artifacts
