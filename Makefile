# PHMS: `make start` sets everything up and runs the portal; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends
DEMO_PATIENTS ?= 200
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run in production mode over plain HTTP, whatever a local .env says.
TEST_ENV := DEBUG=false SECRET_KEY=test-only-secret-key-not-for-production-use-0123456789 \
	SECURE_SSL_REDIRECT=false SECURE_COOKIES=false ALLOWED_HOSTS=testserver,127.0.0.1,localhost

.PHONY: help start setup run demo-synthea test lint system-deps browser-deps bench clean

help:
	@echo "make start        set up (first time) and run the portal on http://$(HOST):$(PORT)"
	@echo "make test         run the whole test suite (SQLite; set DATABASE_URL for MySQL)"
	@echo "make setup        install, migrate, create roles, seed demo data, no server"
	@echo "make demo-synthea load the Synthea sample from ../shared/data/synthea"
	@echo "make lint         ruff"

start: setup run

run:
	@$(BIN)/python manage.py seed_demo --print-logins
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

setup: $(VENV)/.installed .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_roles
	$(BIN)/python manage.py ensure_documents
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo --patients $(DEMO_PATIENTS) --seed 1 --if-empty

demo-synthea: setup
	$(BIN)/python manage.py import_synthea $(or $(SYNTHEA_DIR),../shared/data/synthea)

# A local .env for development: DEBUG on and a freshly generated secret key.
.env:
	@sed -e 's/^DEBUG=.*/DEBUG=true/' \
	     -e "s/^SECRET_KEY=.*/SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')/" \
	     .env.example > .env
	@echo "wrote .env (DEBUG=true, new SECRET_KEY)"

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt | system-deps
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	@touch $@

# mysqlclient builds from source: it needs a compiler, pkg-config and the client headers.
system-deps:
	@missing=""; \
	for pkg in gcc pkg-config libmariadb-dev; do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(APT_INSTALL) $$missing; \
	fi

# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
browser-deps:
	@[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -qq && $(APT_INSTALL) chromium fonts-dejavu-core; }

test: $(VENV)/.installed browser-deps
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: $(VENV)/.installed
	@for script in bench/*.py; do echo "== $$script"; $(TEST_ENV) $(BIN)/python $$script || exit 1; done

clean:
	rm -rf var .pytest_cache .ruff_cache
