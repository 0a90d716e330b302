# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up from here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench migrate seed-demo clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

migrate: $(STAMP)
	$(PY) -m backend migrate

seed-demo: migrate
	$(PY) -m backend seed-demo

run: seed-demo
	$(PY) -m backend serve

lint: $(STAMP)
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/ruff format --check backend tests bench

test: lint
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/photo_pipeline.py
	$(PY) bench/create_request.py

clean:
	rm -rf $(VENV) .pytest_cache
