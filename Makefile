# Compte Formation: every command a developer or CI needs. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
SESSIONS ?= 20000
SEED ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_WORKERS ?= 2
CLOCK_SHIFT_DAYS ?= 365

.PHONY: install run serve migrate referentials demo-data test test-future quality fix bench worker clean

# The virtual environment is rebuilt only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --no-input

referentials: migrate
	$(MANAGE) import_referentials

# Generates the demo catalogue and the sample holders' rights once; a second call sees they are
# there and does nothing.
demo-data: referentials
	$(MANAGE) generate_catalogue --sessions $(SESSIONS) --seed $(SEED) --if-empty
	$(MANAGE) load_sample_rights

run: demo-data
	@echo "Compte Formation: http://$(HOST):$(PORT)/  (administration: http://$(HOST):$(PORT)/admin/)"
	$(PY) -m cpf.core.devserver --host $(HOST) --port $(PORT)

worker: migrate
	$(MANAGE) procrastinate worker

test: install
	$(BIN)/pytest -n $(TEST_WORKERS) -q

# The whole suite again with the clock CLOCK_SHIFT_DAYS ahead (a year by default; tests/conftest.py):
# no test may depend on the day it runs.
test-future: install
	CPF_TEST_CLOCK_SHIFT_DAYS=$(CLOCK_SHIFT_DAYS) $(BIN)/pytest -n $(TEST_WORKERS) -q

quality: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(MANAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production DEBUG=0 \
		SECRET_KEY=quality-check-only-$$(date +%s)-a-long-random-looking-secret-key-value \
		ALLOWED_HOSTS=compte-formation.example \
		FIELD_ENCRYPTION_KEYS=$$($(PY) -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())") \
		NIR_HASH_KEY=quality-check-only-hash-key \
		$(MANAGE) check --deploy --fail-level WARNING

fix: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
