# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint bench translations diagram syscheck

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d caseflow/translations >/dev/null

syscheck: $(VENV)/.installed
	@$(BIN)/python -m caseflow.syscheck

run: $(VENV)/.installed translations syscheck
	$(FLASK) db upgrade
	$(FLASK) caseflow seed-demo --if-empty
	@echo "caseflow is serving on http://127.0.0.1:$(PORT)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed translations
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

diagram: $(VENV)/.installed
	$(FLASK) caseflow diagram --readme README.md

# The queue page, the escalation sweep and the letters, each beside its raw baseline.
bench: $(VENV)/.installed translations
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.sweep $(SWEEP_ARGS)
	$(BIN)/python -m bench.letters $(LETTERS_ARGS)
