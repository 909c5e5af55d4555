# CoinPulse developer entry points. Every target bootstraps the virtualenv first,
# so a fresh clone needs nothing but Python 3.11 (and, for the local stack, Java and
# the gcloud SDK's Pub/Sub emulator).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install lock requirements package lint test test-unit test-integration test-e2e test-flink flink-jars bench soak demo clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --config-settings editable_mode=compat -e .
	@touch $(STAMP)

install: $(STAMP)

lock: $(STAMP)  ## re-resolve requirements.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev -p 3.11 -o requirements.lock --no-header

UNITS := relay beam_pipeline functions/loader functions/coingecko

requirements: $(STAMP)  ## regenerate each deployable unit's requirements.txt from the lock
	for unit in $(UNITS); do \
	  $(BIN)/uv pip compile $$unit/requirements.in -c requirements.lock \
	    -p 3.11 --no-header --no-annotate -q -o $$unit/requirements.txt || exit 1; \
	done

package: $(STAMP)  ## build every deployable artifact under dist/
	$(BIN)/coinpulse package --dist dist

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# The Flink tests (marker flink) run in test-flink only: they start Beam's job server.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not flink"

test-unit: $(STAMP)
	$(BIN)/python -m pytest -m unit

test-integration: $(STAMP)
	$(BIN)/python -m pytest -m "integration and not flink"

test-e2e: $(STAMP)
	$(BIN)/python -m pytest -m "e2e and not flink"

test-flink: flink-jars  ## the pipeline on an embedded Flink cluster (needs Java 17 and Maven)
	$(BIN)/python -m pytest -m flink

flink-jars: $(STAMP)  ## fetch Beam's Flink job server with Maven into the state folder, checked
	$(BIN)/python -m beam_pipeline.flink.jars

bench: $(STAMP)
	$(BIN)/coinpulse bench

soak: $(STAMP)  ## 20 minutes of the local stack with every fault on, kills, then the truth
	$(BIN)/coinpulse bench --only soak

demo: $(STAMP)
	$(BIN)/coinpulse demo

clean:
	rm -rf $(VENV) dist .coinpulse .pytest_cache .mypy_cache .ruff_cache
