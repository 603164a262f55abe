# cleanups: every entry point a developer or CI needs. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev
PYTEST_ARGS ?=
# What `make run` keeps across restarts (DynamoDB Local's files, the S3 buckets); the tests' stacks keep nothing.
DATA_DIR := .data

.PHONY: help run reset check test test-unit test-integration test-e2e lint package deploy seed bench clean

help:
	@echo "make run      - the local stack (moto + DynamoDB Local + chalice local + SQS consumer + schedules), data kept in $(DATA_DIR)/"
	@echo "make reset    - empty $(DATA_DIR)/, the data make run keeps; stops nothing (stop make run first)"
	@echo "make check    - the inner loop: lint, unit and integration tests (no local stack)"
	@echo "make test     - lint, unit, integration (moto) and end-to-end (local stack over HTTP) tests"
	@echo "make package  - the CloudFormation template (chalice package + infra/template.json), cfn-lint'ed"
	@echo "make deploy   - package and deploy stack cleanups-STAGE through BUCKET (docs/DEPLOY.md)"
	@echo "make seed     - bulk-load demo records into the running local stack (SKUS=100000)"
	@echo "make bench    - the benchmarks, one JSON line per figure"

$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .  # the `cleanups` command (cleanups_cli/), in .venv/bin
	touch $@

# Command-line tools run as processes (MiniStack, the AWS CLI), in a venv of their own so their
# exact botocore pins never constrain the app's.
TOOLS_BIN := .venv-tools/bin
$(TOOLS_BIN)/.installed: requirements-tools.txt
	test -x $(TOOLS_BIN)/python || $(PYTHON) -m venv .venv-tools
	$(TOOLS_BIN)/pip install --quiet -r requirements-tools.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

tests/node/node_modules/.installed: tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

NODE_DEPS := node_modules/.installed $(if $(wildcard tests/node/package.json),tests/node/node_modules/.installed)

run: $(BIN)/.installed node_modules/.installed
	DATA_DIR=$(DATA_DIR) $(BIN)/python -m devstack

reset:
	@test -n "$(DATA_DIR)" && rm -rf -- "$(DATA_DIR)" && echo "emptied $(DATA_DIR)/"

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy chalicelib devstack tools cleanups_cli app.py

# The inner loop: what `make test` runs minus the local stack (e2e) and the deployed stack (deploy).
check: $(BIN)/.installed lint
	$(BIN)/pytest -n 2 --dist loadfile tests/unit tests/integration $(PYTEST_ARGS)

# --dist loadfile: a module's tests share one worker, so module fixtures (a stack, a package run) are made once;
# tests/conftest.py keeps the tests that package and deploy on one worker, so one stack is deployed per run.
test: $(BIN)/.installed $(TOOLS_BIN)/.installed $(NODE_DEPS) lint
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS); status=$$?; [ $$status -eq 5 ] && exit 0 || exit $$status

test-unit: $(BIN)/.installed
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-integration: $(BIN)/.installed
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

test-e2e: $(BIN)/.installed $(NODE_DEPS)
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

package: $(BIN)/.installed
	bash scripts/package.sh $(STAGE) $(OUT)

# docs/DEPLOY.md: AWS credentials, an S3 bucket (BUCKET=...) and the SSM JWT secret; the stack is cleanups-$(STAGE).
# Optional: DOMAIN_NAME=... CERTIFICATE_ARN=... (custom domain), ALARM_ACTION_ARN=... (alarm notifications).
deploy: $(BIN)/.installed
	@test -n "$(BUCKET)" || { echo "make deploy needs BUCKET=<an S3 bucket in the target region>" >&2; exit 2; }
	bash scripts/deploy.sh $(STAGE) $(BUCKET)

# Into the running `make run` stack (its default ports), for the dev organization's test mode.
SKUS ?= 100000
seed: $(BIN)/.installed
	AWS_ENDPOINT_URL=http://127.0.0.1:$(or $(AWS_PORT),4566) \
	AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$(or $(DYNAMODB_PORT),4567) \
	AWS_ACCESS_KEY_ID=dev AWS_SECRET_ACCESS_KEY=dev AWS_DEFAULT_REGION=us-east-1 \
	$(BIN)/python -m tools.seed --tenant-org DemoOrg001 --mode test --skus $(SKUS)

# The benchmark rows (JSON lines on stdout), the CLI under the default rate limit and without (row
# cli_rate_limit), then the CLI's real 10,000-record chunking over 20,000 skus.
# stdout carries only the JSON rows; everything else goes to stderr.
# Every part runs even if one fails (a failed row is an error row); the status is 1 if any failed.
bench: $(BIN)/.installed $(NODE_DEPS)
	@status=0; \
	$(BIN)/python -m bench || status=1; \
	$(BIN)/python -m bench.cli_rate_limit || status=1; \
	$(BIN)/pytest -m slow tests/e2e/test_official_clients.py -q -p no:cacheprovider 1>&2 || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) .venv-tools node_modules tests/node/node_modules build .pytest_cache .mypy_cache .ruff_cache
