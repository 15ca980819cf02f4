# The two commands: `make plan STACK=dev` and `make test`.
# Both create .venv and install the project into it on first use, every package at the
# version and hash its lock file names (requirements/*.lock, written by `make lock`);
# later runs reinstall only when a lock file or pyproject.toml changes. `make test` also
# creates .venv-tools with checkov, which has strict dependencies of its own and so
# lives apart from the project.

PYTHON ?= python3
VENV   ?= .venv
STACK  ?= dev
FORMAT ?= table
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TOOLS  ?= .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
LOCKS  := requirements
UV     := $(BIN)/uv
PIP    := --quiet --disable-pip-version-check --no-input
# One resolution for every platform, with every file's hash, for Python 3.11 and newer.
COMPILE = $(UV) pip compile --quiet --universal --generate-hashes --python-version 3.11 \
	--custom-compile-command "make lock"
# Test processes: one per core (pytest-xdist); each test module stays in one process, so
# its module-scoped plans are computed once.
WORKERS ?= auto

.PHONY: install tools lock plan test lint typecheck unit docs golden clean

install: $(STAMP)

tools: $(TOOLS_STAMP)

$(TOOLS_STAMP): $(STAMP) $(LOCKS)/tools.lock
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(UV) pip install --quiet --python $(TOOLS)/bin/python --require-hashes -r $(LOCKS)/tools.lock
	@touch $(TOOLS_STAMP)

$(STAMP): pyproject.toml $(LOCKS)/dev.lock $(LOCKS)/bootstrap.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "llm-infra needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP) --require-hashes -r $(LOCKS)/bootstrap.lock
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes -r $(LOCKS)/dev.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

# Resolve again within pyproject.toml's ranges (and the pins of requirements/*.in) at
# the newest versions, and write the lock files; commit them with the change they serve.
lock: $(STAMP)
	$(COMPILE) --upgrade --extra dev pyproject.toml -o $(LOCKS)/dev.lock
	$(COMPILE) --upgrade $(LOCKS)/tools.in -o $(LOCKS)/tools.lock
	$(COMPILE) --upgrade $(LOCKS)/bootstrap.in -o $(LOCKS)/bootstrap.lock

plan: $(STAMP)
	$(BIN)/llm-infra plan --stack $(STACK) --format $(FORMAT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/pytest -n $(WORKERS) --dist loadfile

test: lint typecheck unit

# Regenerates the golden URN lists of the shipped stacks after an intended rename or
# new resources (review the diff: a renamed stateful resource needs an Alias instead).
golden: $(STAMP)
	$(BIN)/python -m tests.golden

# Regenerates docs/CONFIG.md and docs/POLICIES.md (a test fails when either is stale).
docs: $(STAMP)
	$(BIN)/python -m infra.config.reference > docs/CONFIG.md
	$(BIN)/python -m policies.lib.reference > docs/POLICIES.md

clean:
	rm -rf $(VENV) $(TOOLS) build *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
