# Two commands on a fresh machine: `make run` (install + run the nightly pipeline on the samples) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)
export CRM_DAGSTER_STORAGE := $(CURDIR)/.dagster_home/storage
export CRM_DAGSTER_LOGS := $(CURDIR)/.dagster_home/logs
export GX_ANALYTICS_ENABLED := False

.PHONY: install run test test-all ui samples bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	@mkdir -p $(CRM_DAGSTER_STORAGE) $(CRM_DAGSTER_LOGS)
	$(BIN)/crm-quality run --all --seed-samples

test: install
	$(BIN)/pytest -m "not slow"

test-all: install
	$(BIN)/pytest

ui: install
	@mkdir -p $(CRM_DAGSTER_STORAGE) $(CRM_DAGSTER_LOGS)
	$(BIN)/dagster dev -m pipelines.definitions

samples: install
	rm -rf data/samples
	$(BIN)/crm-quality generate --out data/samples --people 3000 --nights 3 --seed 42 --truth data/samples_truth.csv

bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/ingest_cleanse.py --rows 1000000
	$(BIN)/python benchmarks/matching.py --generator --febrl
	$(BIN)/python benchmarks/matching.py --speed --records 1000000

clean:
	rm -rf data/landing data/warehouse.duckdb data/warehouse.duckdb.wal data/gx .dagster_home
