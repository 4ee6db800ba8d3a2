# Two commands for a newcomer: `make run` (the app with the 2021 plan) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install install-test install-bench lock run test bench migrate seed clean translations

PIP_VERSION := 26.3

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'pip==$(PIP_VERSION)'

# Installs come from the lock files in requirements/ (exact versions and hashes), then the project
# itself without dependencies: an upstream release changes nothing here until `make lock`.
install: $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/app.txt
	$(BIN)/pip install --quiet --no-deps -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	$(BIN)/pip install --quiet --no-deps -e .

# Re-resolve every dependency to the newest versions pyproject.toml allows, and rewrite the locks.
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	for lock in "app:" "test:--extra test" "bench:--extra test --extra bench"; do \
	  CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --upgrade --strip-extras --generate-hashes \
	    --allow-unsafe --no-emit-index-url --no-emit-find-links $${lock#*:} \
	    -o requirements/$${lock%%:*}.txt pyproject.toml; \
	done

# The demo serves plain http on 127.0.0.1, so it relaxes the Secure cookie flag, allows demo accounts,
# runs with the development secret key and logs plain text to the terminal; a production configuration
# has none of these (the app refuses to start without a real TRACKER_SECRET_KEY).
DEMO_ENV := TRACKER_DEMO=true TRACKER_SESSION_COOKIE_SECURE=false TRACKER_REMEMBER_COOKIE_SECURE=false \
	TRACKER_LOG_FORMAT=text

migrate: install
	$(DEMO_ENV) $(FLASK) db upgrade

# The 2021 plan as issued, and the same appendix as this year's plan so the demo has live deadlines;
# then the clearly marked sample of 181 communes (the plan lists none), for 2021 and for this year.
seed: migrate
	$(DEMO_ENV) $(FLASK) seed
	$(DEMO_ENV) $(FLASK) seed --year $$(date +%Y)
	$(DEMO_ENV) $(FLASK) communes sample
	$(DEMO_ENV) $(FLASK) communes sample --year $$(date +%Y)


# The scheduler runs in its own process beside the web server (never inside it); Ctrl+C stops both.
run: seed
	$(DEMO_ENV) $(FLASK) demo-users
	@echo "Web: http://$(HOST):$(PORT)  ·  scheduler: reminders at 07:00 Asia/Ho_Chi_Minh, outbox every minute"
	$(DEMO_ENV) bash -c 'trap "kill 0" EXIT; $(FLASK) scheduler & $(FLASK) run --host $(HOST) --port $(PORT)'


# The layers contract (pyproject.toml) first: a domain that imports one above it fails the build.
test: install-test
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install-bench: $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/bench.txt
	$(BIN)/pip install --quiet --no-deps -e .

# The web tier and the reminder run at 10,000 and 50,000 tasks, then the sweep's memory at 10,000 and 100,000,
# then the seconds a scanned page of a plan takes to read (target: under 10 s CPU).
bench: install-bench
	$(BIN)/python bench/web.py
	$(BIN)/python bench/sweep.py
	$(BIN)/python bench/documents.py

# The interface's text: extract what code and templates mark, merge it into the English catalogue
# (translate the new empty entries in tracker/translations/en/LC_MESSAGES/messages.po), then compile.
# `make test` fails while a message has no English.
translations: install-test
	mkdir -p build
	$(BIN)/pybabel extract -F tracker/translations/babel.cfg -k _l -k N_ -k lazy_gettext --no-location \
	  --sort-output --omit-header -o build/messages.pot .
	$(BIN)/pybabel update -i build/messages.pot -d tracker/translations --no-fuzzy-matching --ignore-obsolete --width=120
	$(BIN)/pybabel compile -d tracker/translations

clean:
	rm -rf $(VENV) instance/*.sqlite* .pytest_cache
