# The front door. Every target bootstraps .venv first (scripts/bootstrap.sh).
.PHONY: run test lint fmt messages bootstrap bench-ledger bench-consultations bench-statements bench-web clean

VENV := .venv
BIN := $(VENV)/bin

bootstrap:
	@bash scripts/bootstrap.sh

run: bootstrap
	$(BIN)/sprechzeit demo

test: bootstrap
	@bash scripts/test.sh

lint: export SPRECHZEIT_MODE = test
lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/sprechzeit makemigrations --check --dry-run

fmt: bootstrap
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Extract and compile translations (German is the source language, English the second).
# po_fill fills English from the glossary and fails, before compiling, while any msgstr is empty.
messages: bootstrap
	cd src/sprechzeit && SPRECHZEIT_MODE=test ../../$(BIN)/sprechzeit makemessages -l en -l de -e html,txt,py --no-obsolete --ignore 'tests/*'
	$(BIN)/python scripts/po_fill.py src/sprechzeit/locale/en/LC_MESSAGES/django.po src/sprechzeit/locale/en_glossary.json
	cd src/sprechzeit && SPRECHZEIT_MODE=test ../../$(BIN)/sprechzeit compilemessages

# Benchmarks run against PostgreSQL (DATABASE_URL, default the local server) and write
# their JSON under bench/results/; docs/performance.md has the latest figures.
PG_URL ?= postgres://postgres@127.0.0.1:5432/sprechzeit

bench-ledger: bootstrap
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} SPRECHZEIT_MODE=test $(BIN)/python bench/ledger.py

# 500/1,000/2,000/4,000 concurrent chat consultations over real WebSockets: 2 uvicorn processes
# on the Redis channel layer and a Celery worker for settlements (~1 h; ARGS to choose).
bench-consultations: bootstrap
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/9} SPRECHZEIT_MODE=test $(BIN)/python bench/consultations.py $(ARGS)

# Month close of 10,000 partners and 1,000,000 consultations (creating them takes ~15 min).
bench-statements: bootstrap
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} SPRECHZEIT_MODE=test $(BIN)/python bench/statements.py $(ARGS)

# The directory, a profile, a client's records and the partner dashboard, each under 50
# concurrent clients beside a bare view of the same server: 2 uvicorn processes, 2,000
# partners and a year of history (~20 min, most of it three rounds; ARGS to choose).
bench-web: bootstrap
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/8} SPRECHZEIT_MODE=test $(BIN)/python bench/web.py $(ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3* .mypy_cache .pytest_cache .ruff_cache
