# Compte Formation: every command a developer or CI needs. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
SESSIONS ?= 25000
SEED ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_WORKERS ?= 2
CLOCK_SHIFT_DAYS ?= 365

.PHONY: install run serve migrate referentials demo-data demo-logins totp test test-future quality fix bench worker clean reset-db a11y

# The virtual environment is rebuilt only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# The agents' roles (groups and permissions, cpf/accounts/roles.py) follow every migration.
migrate: install
	$(MANAGE) migrate --no-input
	$(MANAGE) sync_agent_roles

referentials: migrate
	$(MANAGE) import_referentials

# Generates the demo catalogue and the sample holders' rights once; a second call sees they are
# there and does nothing.
demo-data: referentials
	$(MANAGE) generate_catalogue --sessions $(SESSIONS) --seed $(SEED) --if-empty
	$(MANAGE) load_sample_rights

# Development only: the demo login of each audience, printed at start-up (README, "Demo logins").
demo-logins: demo-data
	DEMO_LOGINS_ALLOWED=1 $(MANAGE) create_demo_logins --base-url http://$(HOST):$(PORT)

# The second-factor code a demo agent's authenticator would show now: make totp AGENT=agent.fraud
AGENT ?= agent.support
totp: install
	@DEMO_LOGINS_ALLOWED=1 $(MANAGE) demo_totp $(AGENT)

# The product pays through the sandbox provider served by this same server: its API's address,
# and our webhook endpoint registered with it, signed with the development secret.
PSP_URL ?= http://$(HOST):$(PORT)/sandbox-psp/
run: demo-logins
	@$(MANAGE) sandbox_psp_endpoint http://$(HOST):$(PORT)/paiements/webhooks/sandbox/ \
		--secret "$${PAYMENT_PSP_WEBHOOK_SECRET:-whsec_development_only}" > /dev/null
	@echo "Compte Formation: http://$(HOST):$(PORT)/  (administration: http://$(HOST):$(PORT)/admin/)"
	PAYMENT_PSP_BASE_URL=$${PAYMENT_PSP_BASE_URL:-$(PSP_URL)} SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} \
		$(PY) -m cpf.core.devserver --host $(HOST) --port $(PORT)

# Accessibility: the main pages checked with axe-core in a headless Chromium at 1280 and 360 px
# wide, against a site already running with the demo data (make run, in another terminal).
# Prints every violation and fails if there is one. Needs Node.js and Debian's chromium
# (apt-get install chromium); not part of make test. SCREENSHOTS=docs/screenshots also saves
# a picture of the main pages at both widths.
A11Y_URL ?= http://$(HOST):$(PORT)
CHROMIUM ?= /usr/bin/chromium
tools/a11y/node_modules/.package-lock.json: tools/a11y/package.json tools/a11y/package-lock.json
	cd tools/a11y && npm ci --no-audit --no-fund --loglevel=error

a11y: tools/a11y/node_modules/.package-lock.json
	@test -x $(CHROMIUM) || { echo "make a11y needs Chromium: apt-get install chromium (or CHROMIUM=/path/to/chrome)"; exit 1; }
	CHROMIUM=$(CHROMIUM) node tools/a11y/check.mjs --base-url $(A11Y_URL) $(if $(SCREENSHOTS),--screenshots $(abspath $(SCREENSHOTS)))

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
		NIR_HASH_KEY=quality-check-only-hash-key TRUSTED_PROXY_COUNT=1 PAYOUT_DEBTOR_IBAN=FR7640031000000000100000164 \
		$(MANAGE) check --deploy --fail-level WARNING

fix: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(PY) -m bench

# Deletes the embedded development database (.pgdata/) and the local search index: the next
# `make run` creates them again with the demo data.
reset-db: install
	$(PY) -m cpf.core.embedded_db stop
	rm -rf $${EMBEDDED_PG_DIR:-.pgdata} var/search-index

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
