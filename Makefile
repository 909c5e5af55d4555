# CoinPulse developer entry points. Every target bootstraps the virtualenv first,
# so a fresh clone needs nothing but Python 3.11 (and, for the local stack, Java and
# the gcloud SDK's Pub/Sub emulator).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The BigQuery API emulator lives in a virtualenv of its own (tools/bqemulator/).
BQEMU  := .venv-bqemu
BQEMU_STAMP := $(BQEMU)/.installed
# dbt's BigQuery adapter, in a virtualenv of its own (tools/dbt_bigquery/): it pins
# google-cloud-storage below the version the pipeline's units run.
DBTBQ  := .venv-dbt-bigquery
DBTBQ_STAMP := $(DBTBQ)/.installed

.PHONY: install bq-emulator dbt-bigquery browser screenshots lock requirements package dashboards \
        dashboards-snapshot lint test test-unit test-integration test-e2e test-flink flink-jars bench \
        soak demo tf-validate tf-check deploy clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps --config-settings editable_mode=compat -e .
	@touch $(STAMP)

install: $(STAMP)

$(BQEMU_STAMP): tools/bqemulator/requirements.txt $(STAMP)
	@test -x $(BQEMU)/bin/python || $(PYTHON) -m venv $(BQEMU)
	$(BIN)/uv pip install --quiet --python $(BQEMU)/bin/python -r tools/bqemulator/requirements.txt
	@touch $(BQEMU_STAMP)

bq-emulator: $(BQEMU_STAMP)  ## the BigQuery API emulator's virtualenv (.venv-bqemu)

$(DBTBQ_STAMP): tools/dbt_bigquery/requirements.txt $(STAMP)
	@test -x $(DBTBQ)/bin/python || $(PYTHON) -m venv $(DBTBQ)
	$(BIN)/uv pip install --quiet --python $(DBTBQ)/bin/python -r tools/dbt_bigquery/requirements.txt
	@touch $(DBTBQ_STAMP)

dbt-bigquery: $(DBTBQ_STAMP)  ## dbt with the BigQuery adapter (.venv-dbt-bigquery), for targets prod and emulator

# Debian's Chromium for the dashboard's browser tests and benchmark (installed once, as root).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@test -x $(CHROMIUM) || { echo "no Chromium at $(CHROMIUM): apt-get install chromium (as root)"; exit 1; }

screenshots: $(STAMP) browser  ## the dashboard's screenshots in docs/images/
	$(BIN)/python -m commands.dashboard_screenshots docs/images

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

dashboards: $(STAMP)  ## the Grafana dashboards' JSON under dashboards/build/
	$(BIN)/coinpulse grafana build --out dashboards/build

dashboards-snapshot: $(STAMP)  ## accept the current dashboards as the snapshot the tests compare
	$(BIN)/coinpulse grafana build --out tests/dashboards/grafana/snapshots

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/sqlfluff lint --disable-progress-bar dbt/models

# The Flink tests (marker flink) run in test-flink only: they start Beam's job server.
test: $(STAMP) $(BQEMU_STAMP) $(DBTBQ_STAMP) browser
	$(BIN)/python -m pytest -m "not flink"

test-unit: $(STAMP)
	$(BIN)/python -m pytest -m unit

test-integration: $(STAMP) $(BQEMU_STAMP) $(DBTBQ_STAMP)
	$(BIN)/python -m pytest -m "integration and not flink"

test-e2e: $(STAMP) $(BQEMU_STAMP) browser
	$(BIN)/python -m pytest -m "e2e and not flink"

test-flink: flink-jars  ## the pipeline on an embedded Flink cluster (needs Java 17 and Maven)
	$(BIN)/python -m pytest -m flink

flink-jars: $(STAMP)  ## fetch Beam's Flink job server with Maven into the state folder, checked
	$(BIN)/python -m beam_pipeline.flink.jars

bench: $(STAMP) browser
	$(BIN)/coinpulse bench

soak: $(STAMP)  ## 20 minutes of the local stack with every fault on, kills, then the truth
	$(BIN)/coinpulse bench --only soak

demo: $(STAMP)
	$(BIN)/coinpulse demo

# checkov pins its own dependency tree, which clashes with requirements.lock: its own venv.
CHECKOV_VENV := .venv-checkov
CHECKOV      := $(CHECKOV_VENV)/bin/checkov
CHECKOV_PIN  := checkov==3.3.30

$(CHECKOV): | $(STAMP)
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(BIN)/uv pip install --quiet --python $(CHECKOV_VENV)/bin/python $(CHECKOV_PIN)

tf-validate:  ## terraform fmt -check, init -backend=false, validate with the real google provider
	terraform fmt -check -recursive terraform
	scripts/terraform-validate.sh

tf-check: $(STAMP) $(CHECKOV)  ## checkov (no failed check; every skip carries its reason) and the HCL tests
	$(CHECKOV) -d terraform --framework terraform --compact --quiet --skip-download
	$(BIN)/python -m pytest -m unit tests/terraform

deploy: $(STAMP)  ## make deploy PROJECT=... REGION=... [TAG=...] [DRY_RUN=1]: build, apply, deploy
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/coinpulse deploy --project "$(PROJECT)" --region "$(REGION)" \
	  $(if $(TAG),--tag "$(TAG)") $(if $(DRY_RUN),--dry-run)

clean:
	rm -rf $(VENV) $(BQEMU) $(DBTBQ) $(CHECKOV_VENV) dist .coinpulse .pytest_cache .mypy_cache .ruff_cache
