# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up from here.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := pwa/node_modules/.installed-stamp
PWA_BUILD := pwa/dist/index.html
PWA_SOURCES := $(shell find pwa/src pwa/scripts -type f -not -name '*.test.ts') pwa/index.html pwa/vite.config.ts \
	pwa/tsconfig.json pwa/package.json \
	$(wildcard i18n/*.json) $(wildcard media/icons/*) $(wildcard media/pictograms/*)
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint pwa bench migrate seed-demo clean mutate

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

$(PWA_BUILD): $(NODE_STAMP) $(PWA_SOURCES)
	cd pwa && npm run build

pwa: $(PWA_BUILD)

# Debian's Chromium drives the browser tests (Playwright's own browser download is not used).
$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

migrate: $(STAMP)
	$(PY) -m backend migrate

seed-demo: migrate
	$(PY) -m backend seed-demo

# Without a platform of its own, the demo delivers to the stand-in (python -m backend coordination-sim,
# inside the server, steps 20 s apart): `make run DEMO_PLATFORM=` runs standalone, and
# CITY_COORDINATION_URL (with CITY_COORDINATION_SECRET) points at a real platform instead.
DEMO_PLATFORM ?= 9100
run: seed-demo $(PWA_BUILD)
	$(PY) -m backend serve $(if $(DEMO_PLATFORM),--demo-platform $(DEMO_PLATFORM))

lint: $(STAMP)
	$(VENV)/bin/ruff check backend tests bench
	$(VENV)/bin/ruff format --check backend tests bench

test: lint $(PWA_BUILD) $(CHROMIUM)
	cd pwa && npm test
	$(PY) -m pytest -n 2 --dist loadfile

# Lighthouse for bench/lighthouse.py only: a package of its own, so `make test` never installs it.
LIGHTHOUSE_STAMP := bench/lighthouse/node_modules/.installed-stamp

$(LIGHTHOUSE_STAMP): bench/lighthouse/package.json bench/lighthouse/package-lock.json
	cd bench/lighthouse && npm ci --no-audit --no-fund
	touch $(LIGHTHOUSE_STAMP)

bench: $(STAMP) $(PWA_BUILD) $(LIGHTHOUSE_STAMP) $(CHROMIUM)
	$(PY) bench/photo_pipeline.py
	$(PY) bench/create_request.py
	$(PY) bench/login_storm.py
	$(PY) bench/pwa_size.py
	$(PY) bench/lighthouse.py
	$(PY) bench/seed_many.py --if-missing
	$(PY) bench/triage.py
	$(PY) bench/indicators.py
	$(PY) bench/outbox.py
	$(PY) bench/track_ingest.py
	$(PY) bench/push.py
	$(PY) bench/live_feed.py

# Mutation testing of the workflow, accounts and uploads (mutmut; settings in setup.cfg). Not part of
# `make test`. Stops after MUTATE_MINUTES; mutants/ keeps every verdict, so the next run goes on where
# this one stopped (delete mutants/ to start over). Ends with the score and the surviving mutants
# (`.venv/bin/mutmut show NAME` shows one).
MUTATE_MINUTES ?= 8
MUTATE_CHILDREN ?= 2
mutate: $(STAMP)
	timeout --signal=INT --kill-after=60 $(MUTATE_MINUTES)m \
		$(VENV)/bin/mutmut run --max-children $(MUTATE_CHILDREN) || test $$? -eq 124
	@$(VENV)/bin/mutmut export-cicd-stats >/dev/null
	@$(VENV)/bin/mutmut results | grep -v ': not checked$$' || true
	@$(PY) -c 'import json; s = json.load(open("mutants/mutmut-cicd-stats.json")); total = s.pop("total"); \
		killed = s["killed"]; checked = sum(s.values()); left = {k: v for k, v in s.items() if v and k != "killed"}; \
		print(f"mutation score: {killed} killed of {checked} checked ({100 * killed / max(checked, 1):.1f}%);", \
		      f"not killed: {left or 0}; {total - checked} of {total} mutants not checked yet")'

clean:
	rm -rf $(VENV) .pytest_cache pwa/node_modules pwa/dist bench/lighthouse/node_modules
