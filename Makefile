# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint bench soak translations diagram syscheck fonts

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Two pinned sets (README "Dependencies"), each reinstalled only when its list changes:
# the runtime set for `make run`, the development set on top of it for tests and tools.
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

$(RUNTIME): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV): requirements-dev.txt $(RUNTIME)
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

translations: $(RUNTIME)
	@$(BIN)/pybabel compile -d caseflow/translations >/dev/null

# Installs WeasyPrint's system libraries when run as root with apt-get, else says how.
syscheck: $(RUNTIME)
	@$(BIN)/python -m caseflow.syscheck

run: $(RUNTIME) translations syscheck
	$(FLASK) db upgrade
	$(FLASK) caseflow seed-demo --if-empty
	@echo "caseflow is serving on http://127.0.0.1:$(PORT), with a letter worker beside it"
	@# The worker renders drafted letters in the background; it stops with the server (Ctrl-C).
	$(FLASK) caseflow worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
		$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(DEV) translations
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

# The web pages' WOFF2 subsets of the bundled Noto fonts and their fonts.css (README "Phones and
# accessibility"); the output is committed, so run this only when the ranges or the TTFs change.
fonts: $(RUNTIME)
	$(BIN)/python -m caseflow.webfonts

lint: $(DEV)
	$(BIN)/ruff check .

diagram: $(RUNTIME)
	$(FLASK) caseflow diagram --readme README.md

# The queue page, the dashboards, the escalation sweep and the letters, each beside its raw baseline;
# then every migration applied to a copy of the 1,000,000-case databases, timed; then the
# queue search, each kind of match beside the same look-up as bare SQL.
# The queue benchmark loads the pages with wrk: installed here as root with apt-get, else named.
bench: $(RUNTIME) translations
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& echo "installing wrk for the queue benchmark: apt-get install wrk" \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "the queue benchmark needs wrk: sudo apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.dashboards $(DASHBOARDS_ARGS)
	$(BIN)/python -m bench.sweep $(SWEEP_ARGS)
	$(BIN)/python -m bench.letters $(LETTERS_ARGS)
	$(BIN)/python -m bench.migrate $(MIGRATE_ARGS)
	$(BIN)/python -m bench.search $(SEARCH_ARGS)

# The soak (README "Soak"): 50 users of mixed traffic against gunicorn on PostgreSQL for 30 min,
# a gunicorn worker and the job worker killed half-way; then every acknowledged write, job and
# letter is looked for. Shorter: SOAK_ARGS="--duration 10m"; two servers: SOAK_ARGS="--servers 2 --job-workers 2".
soak: $(DEV) translations
	$(BIN)/python -m bench.soak $(SOAK_ARGS)
