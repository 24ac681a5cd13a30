# Two commands for a new machine: `make run` and `make test`. `make install` is their first step.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# A Python 3.12 or newer: on PATH, or under pyenv.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$p; break; }; done)

# Debian packages: PDF fonts; gettext to compile translations; chromium for the
# browser tests (Playwright's own browser download does not work everywhere);
# Java for the Nu HTML checker the tests run on every page; poppler and qpdf
# to check PDFs the way a printer's tools read them; nginx to test deploy/nginx in front of the app.
DEBIAN_PACKAGES := fonts-dejavu-core gettext chromium openjdk-17-jre-headless poppler-utils qpdf nginx

.PHONY: install run test lint check-deploy clean system-packages bench-deps messages

MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

install: $(VENV)/.installed system-packages messages node_modules/.installed

# Translations are kept as .po (reviewed in git) and compiled here, never committed.
messages: $(MESSAGES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(VENV)/.installed | system-packages
	$(PY) manage.py compilemessages --locale $* --ignore .venv

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (on PATH or under pyenv)." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The Nu HTML checker (vnu.jar) from npm, pinned by package-lock.json; its
# install script would fetch a Java of its own, so it is skipped (Debian's is used).
node_modules/.installed: package.json package-lock.json | system-packages
	@command -v npm >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	npm ci --ignore-scripts --silent --no-audit --no-fund
	@touch $@

system-packages:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

run: export DEBUG = 1
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py setup_roles
	$(PY) manage.py load_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest -n 2 --create-db

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# `check --deploy` as production would run it: DEBUG off, a real key, HTTPS settings on.
check-deploy: install
	DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	ALLOWED_HOSTS=letters.example.org SITE_URL=https://letters.example.org \
	EMAIL_URL='smtp://mail.example.org:587?tls=1' REDIS_URL=redis://127.0.0.1:6379/0 TASKS_BACKEND=database \
	EMAIL_ENCRYPTION_KEYS=$$($(PY) manage.py reencrypt_emails --new-key) \
	EMAIL_INDEX_KEY=$$($(PY) manage.py reencrypt_emails --new-key) \
	SECURE_SSL_REDIRECT=1 SECURE_HSTS_SECONDS=31536000 SECURE_HSTS_INCLUDE_SUBDOMAINS=1 \
	SECURE_HSTS_PRELOAD=1 SESSION_COOKIE_SECURE=1 CSRF_COOKIE_SECURE=1 \
	$(PY) manage.py check --deploy --fail-level WARNING

# Only for the benches: WeasyPrint for bench/pdf_delivery.py's comparison, wrk
# (Debian's) to drive bench/load.py and bench/letter_page.py; never runtime dependencies.
bench-deps: install
	$(PY) -m pip install --quiet weasyprint==70.0
	@command -v wrk >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache locale/*/LC_MESSAGES/*.mo
