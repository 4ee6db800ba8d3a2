# Two commands for a newcomer: `make run` (the app with the 2021 plan) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install install-test install-bench run test bench migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

migrate: install
	$(FLASK) db upgrade

# The 2021 plan as issued, and the same appendix as this year's plan so the demo has live deadlines.
seed: migrate
	$(FLASK) seed
	$(FLASK) seed --year $$(date +%Y)

# The demo serves plain http on 127.0.0.1, so it relaxes the Secure cookie flag and allows demo accounts;
# a production configuration has neither.
DEMO_ENV := TRACKER_DEMO=true TRACKER_SESSION_COOKIE_SECURE=false TRACKER_REMEMBER_COOKIE_SECURE=false

# The scheduler runs in its own process beside the web server (never inside it); Ctrl+C stops both.
run: seed
	$(DEMO_ENV) $(FLASK) demo-users
	@echo "Web: http://$(HOST):$(PORT)  ·  scheduler: reminders at 07:00 Asia/Ho_Chi_Minh, outbox every minute"
	$(DEMO_ENV) bash -c 'trap "kill 0" EXIT; $(FLASK) scheduler & $(FLASK) run --host $(HOST) --port $(PORT)'


test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install-bench: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'

# The web tier and the reminder run at 10,000 and 50,000 tasks, then the sweep's memory at 10,000 and 100,000.
bench: install-bench
	$(BIN)/python bench/web.py
	$(BIN)/python bench/sweep.py

clean:
	rm -rf $(VENV) instance/*.sqlite* .pytest_cache
