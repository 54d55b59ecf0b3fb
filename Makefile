# The two commands a newcomer needs: `make run` and `make test`. Nothing but Python 3.11+ required.
# the first interpreter that actually runs and is 3.11+ (a pyenv shim may exist without working)
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	  $$p -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: run test venv worker beat lint format migrations-check smoke bench clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Serving on http://127.0.0.1:8000  (API: /api/v1/, docs: /api/docs/, admin: /admin/)"
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# the suite in parallel, one process per core (pytest-xdist); TEST_JOBS=0 runs it in this process
TEST_JOBS ?= auto
test: venv
	$(BIN)/python -m pytest -q -n $(TEST_JOBS)

# With REDIS_URL (and DATABASE_URL) set: the background workers.
worker: venv
	$(BIN)/celery -A config worker -l info

beat: venv
	$(BIN)/celery -A config beat -l info

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: venv
	$(BIN)/python manage.py makemigrations --check --dry-run

smoke: venv
	$(BIN)/python ../shared/contract-smoke/smoke.py

# the write benchmarks at a scale (tiny, 10k, 200k, 2M): figures printed and kept in bench/results/
SCALE ?= tiny
bench: venv
	$(BIN)/python bench/run.py --scale $(SCALE)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache var/audit-checkpoints
