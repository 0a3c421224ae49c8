# The two commands: `make run` (the portal with demo content) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= auto
# Every process of `make run` (seeding, worker, scheduler, web server) builds links, the demo CRM
# connection and its status reports from this one address, so they follow HOST and PORT together.
PORTAL_BASE_URL ?= http://$(HOST):$(PORT)
RUN_ENV := PORTAL_BASE_URL=$(PORTAL_BASE_URL)

.PHONY: run test e2e integration bench lint format messages messages-check install clean check-deploy

$(VENV)/.installed: requirements.lock requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q --no-deps -r requirements.lock -r requirements-dev.lock
	$(PIP) check
	touch $@

install: $(VENV)/.installed

run: install
	$(RUN_ENV) $(PY) manage.py migrate --no-input
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --no-input -v 0
	@echo ""
	@echo "  Portal:      http://$(HOST):$(PORT)/"
	@echo "  Back office: http://$(HOST):$(PORT)/admin/"
	@echo "  E-mails (confirmation links) are printed here. Ctrl-C stops the web server, the worker and the scheduler."
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	$(RUN_ENV) $(PY) manage.py run_worker --queue-name '*' --interval 0.5 & \
	$(RUN_ENV) $(PY) manage.py run_scheduler & \
	$(RUN_ENV) $(PY) -m portal.serve -b $(HOST) -p $(PORT) portal.asgi:application

test: install
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -m "not e2e and not integration" $(PYTEST_ARGS)

# axe-core (the accessibility audit the browser tests inject) comes from npm, pinned in package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

e2e: install node_modules/.package-lock.json
	$(VENV)/bin/pytest -m e2e $(PYTEST_ARGS)

integration: install
	$(VENV)/bin/pytest -m integration $(PYTEST_ARGS)

bench: install
	$(PY) tests/benchmarks/run.py $(BENCH)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install
	$(PY) manage.py makemessages -l de -e html,txt,py --ignore ".venv/*" --ignore "var/*" --ignore "tests/*" --ignore "node_modules/*" \
		--ignore "consent/*" --ignore "community/*" --ignore "ideas/*" --ignore "knowledgebase/*" --ignore "crm/*"
	for app in consent community ideas knowledgebase crm; do \
		(cd $$app && ../$(PY) ../manage.py makemessages -l de -e html,txt,py); done
	$(PY) manage.py compilemessages --ignore ".venv/*" --ignore "node_modules/*"

# After `make messages`: every German catalogue complete (no untranslated, no fuzzy entry). CI runs both.
messages-check: messages
	@fail=0; for po in $$(git ls-files '*/locale/de/LC_MESSAGES/django.po'); do \
		stats=$$(msgfmt --statistics -o /dev/null "$$po" 2>&1); \
		case "$$stats" in *untranslated*|*fuzzy*) echo "$$po: $$stats"; fail=1;; esac; done; \
	[ $$fail -eq 0 ] && echo "German catalogues complete"

check-deploy: install
	env $$(DJANGO_SETTINGS_MODULE=portal.settings.development $(PY) manage.py generate_keys) \
		DJANGO_SETTINGS_MODULE=portal.settings.production ALLOWED_HOSTS=portal.example.com \
		$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var/static var/bench
