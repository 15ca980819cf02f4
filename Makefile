# The two commands: `make plan STACK=dev` and `make test`.
# Both create .venv and install the project into it on first use; later runs
# reinstall only when pyproject.toml changes. `make test` also creates .venv-tools with
# checkov, which has strict dependencies of its own and so lives apart from the project.

PYTHON ?= python3
VENV   ?= .venv
STACK  ?= dev
FORMAT ?= table
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TOOLS  ?= .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
CHECKOV_VERSION ?= 3.2.495
# Test processes: one per core (pytest-xdist); each test module stays in one process, so
# its module-scoped plans are computed once.
WORKERS ?= auto

.PHONY: install tools plan test lint typecheck unit docs golden clean

install: $(STAMP)

tools: $(TOOLS_STAMP)

$(TOOLS_STAMP): Makefile
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check --no-input 'checkov==$(CHECKOV_VERSION)'
	@touch $(TOOLS_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "llm-infra needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-input -e '.[dev]'
	@touch $(STAMP)

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
