# The two set-up commands: `make demo` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test serve install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[plot,server]"

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

demo: install
	$(BIN)/servanda analyze examples/moscow-2025.yaml
	$(BIN)/python examples/moscow_treaty.py

# The live server and its web pages on http://127.0.0.1:8000/ (embedded SQLite database).
serve: install
	$(BIN)/servanda serve

test: install-test
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: install-test
	$(BIN)/python benchmarks/bench_analysis.py
	$(BIN)/python benchmarks/bench_ledger.py
	$(BIN)/python benchmarks/bench_diagnosis.py
	$(BIN)/python benchmarks/bench_uncertainty.py
	$(BIN)/python benchmarks/bench_opponent_models.py
	$(BIN)/python benchmarks/bench_negotiation.py
	bash scripts/ensure-postgres.sh
	$(BIN)/python benchmarks/bench_server.py

clean:
	rm -rf $(VENV) build src/*.egg-info
