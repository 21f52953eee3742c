# pulsekit: the two commands of the README, plus a few for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-slow lint typecheck pytest lab system-deps bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: install pulsekit (and postgresql where apt-get can) and run the most complete scenario on the sandbox
demo: $(STAMP) system-deps
	$(BIN)/python -m pulsekit.demo

## test: lint, type-check and run every test and notebook (installs chromium, prometheus and postgresql via apt-get when it can)
test: $(STAMP) system-deps lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/python scripts/strict_types.py

pytest: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest

## test-slow: not run by CI: every dojo at a human pace (PULSEKIT_DOJO_PAUSE s before each cell of a
## live notebook), with the full-length runs left out of `make test` (pytest -m slow: dojo 07/08 solutions,
## every GameDay's spec at its full length)
DOJO_PAUSE ?= 20
test-slow: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" PULSEKIT_DOJO_PAUSE=$(DOJO_PAUSE) $(BIN)/python -m pytest dojos -m "slow or not slow" --timeout=900 --durations=0 -q
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest tests -m slow --timeout=900 --durations=0 -q

## system-deps: Debian's chromium, prometheus and postgresql for the browser, Prometheus and database tests
system-deps:
	@bash scripts/system-deps.sh

## lab: JupyterLab on the dojos
lab: $(STAMP)
	$(BIN)/jupyter lab dojos/

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
