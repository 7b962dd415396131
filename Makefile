# Developer and CI entry points. `make demo` and `make test` are the two commands the README starts with.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UPSTREAM ?= spec/replicate-openapi.json

.PHONY: demo setup update-spec spec-diff generate check-generated lint typecheck check-install test bench bench-quick clean

setup: $(VENV)/.installed

# Run demo/fractal and demo/stream-text on the local server (replicate_ext.local): no token, no network.
demo: setup
	$(BIN)/python examples/demo.py

# Reinstall when the dependencies change; the editable install picks up source changes by itself.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,local,cli]'
	touch $@

update-spec: setup
	$(BIN)/python -m tools.spectool update --upstream $(UPSTREAM) --out openapi.yaml

spec-diff: setup
	$(BIN)/python -m tools.spectool diff --upstream $(UPSTREAM) --spec openapi.yaml

generate: setup
	$(BIN)/python -m tools.generate

check-generated: setup
	$(BIN)/python -m tools.generate --check

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy replicate_ext tools tests examples bench
	cd generated && ../$(BIN)/mypy --strict --config-file /dev/null replicate_api

# Build the distribution and install it into a fresh virtual environment, then import both packages.
check-install: setup
	$(BIN)/python tools/check_install.py

test: lint typecheck spec-diff check-generated check-install
	$(BIN)/pytest

# The side-by-side benchmark (bench/README.md): creates bench/.envs/ for the official clients and raw httpx on the
# first run, takes about 13 minutes on 2 cores, and rewrites bench/RESULTS.md. BENCH_ARGS="--rounds 3" and so on.
bench: setup
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# A one-minute smoke run of every case; writes bench/out/RESULTS-quick.md and leaves bench/RESULTS.md alone.
bench-quick: setup
	$(BIN)/python bench/run.py --quick $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
