# Tickertone: one command per task (`make help`). Needs GNU make and Python >= 3.11; PyPI for the first install.
#
# The venv is (re)built from constraints.txt + `pip install -e '.[dev]'` whenever pyproject.toml or
# constraints.txt is newer than its stamp. Services come from scripts/devservices.py: DATABASE_URL /
# REDIS_URL when set, else Postgres/Redis on the default local ports, else embedded ones under .data/.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tickertone-installed
PIP_VERSION ?= 26.3

TRAIN_VENV ?= .venv-train
TRAIN_STAMP := $(TRAIN_VENV)/.tickertone-installed
TORCH_VERSION ?= 2.13.0

PYTEST_ARGS ?=
BENCH_ARGS ?=
TRAIN_ARGS ?=
# mypy --strict over every package that has Python files yet; scripts/ is a separate run because its
# modules are top-level names (run, devservices) that could clash with loose files elsewhere.
MYPY_DIRS := core db cache scoring services schema api worker seeds tests bench
MYPY_SCRIPT_DIRS := scripts

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

# $(call make-venv,DIR): create DIR with $(PYTHON) >= 3.11 unless it already has a python.
define make-venv
	if [ ! -x "$(1)/bin/python" ]; then \
	  if [ -z "$(PYTHON)" ]; then echo "make: no python3.11/python3 on PATH; pass PYTHON=/path/to/python3.11" >&2; exit 1; fi; \
	  "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	    || { echo "make: $(PYTHON) is older than 3.11; pass PYTHON=/path/to/python3.11" >&2; exit 1; }; \
	  echo "make: creating $(1) with $(PYTHON)" >&2; \
	  "$(PYTHON)" -m venv "$(1)" \
	    || { echo "make: 'python -m venv' failed (on Debian/Ubuntu: apt-get install python3.11-venv)" >&2; exit 1; }; \
	fi; \
	"$(1)/bin/python" -m pip --version >/dev/null 2>&1 || "$(1)/bin/python" -m ensurepip --upgrade >&2
endef

# pip's own output goes to stderr so that `eval "$$(make services)"` stays clean.
$(STAMP): pyproject.toml constraints.txt
	@$(call make-venv,$(VENV))
	@echo "make: installing into $(VENV): constraints.txt + -e .[dev]" >&2
	@"$(BIN)/python" -m pip install --quiet "pip==$(PIP_VERSION)" >&2
	@"$(BIN)/python" -m pip install --quiet -c constraints.txt -e '.[dev]' >&2
	@touch "$@"

.PHONY: help venv run test check fmt bench train services services-stop lock clean

help: ## list the targets
	@grep -hE '^[a-z.-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z.-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

venv: $(STAMP) ## create or update the venv (.venv; VENV=... for another)

run: $(STAMP) ## services, migrate, seeds, API + worker; prints URLs and a dev API key
	@TICKERTONE_ENV="$${TICKERTONE_ENV:-development}" "$(BIN)/python" scripts/run.py

test: $(STAMP) ## the whole suite against real Postgres and Redis (PYTEST_ARGS=... passes through)
	@exports="$$("$(BIN)/python" scripts/devservices.py)" || { echo "make test: no Postgres/Redis (see above)" >&2; exit 1; }; \
	eval "$$exports"; \
	rc=0; "$(BIN)/pytest" -p no:cacheprovider $(PYTEST_ARGS) || rc=$$?; \
	if [ "$$rc" = 5 ]; then echo "make test: pytest collected no tests (exit 5): that is a failure" >&2; fi; \
	exit $$rc

check: $(STAMP) ## ruff format --check, ruff check, mypy --strict, import contracts (runs all, fails if any fails)
	@failed=""; \
	step() { echo "==> $$*"; "$$@" || failed="$$failed\n  $$*"; }; \
	dirs(){ for d in "$$@"; do if [ -d "$$d" ] && [ -n "$$(find "$$d" -name '*.py' -print -quit)" ]; then echo "$$d"; fi; done; }; \
	step "$(BIN)/ruff" format --check .; \
	step "$(BIN)/ruff" check .; \
	pkgs="$$(dirs $(MYPY_DIRS))"; \
	if [ -n "$$pkgs" ]; then step "$(BIN)/mypy" $$pkgs $$(ls tickertone_app.py 2>/dev/null); else echo "==> mypy: no packages with Python files yet"; fi; \
	for d in $$(dirs $(MYPY_SCRIPT_DIRS)); do step "$(BIN)/mypy" "$$d"; done; \
	step "$(BIN)/lint-imports"; \
	if [ -n "$$failed" ]; then printf 'make check FAILED:%b\n' "$$failed" >&2; exit 1; fi; \
	echo "make check: all passed"

fmt: $(STAMP) ## sort imports and format with ruff
	"$(BIN)/ruff" check --select I --fix .
	"$(BIN)/ruff" format .

bench: $(STAMP) ## bench/run.sh with services resolved (BENCH_ARGS=... passes through)
	@if [ ! -f bench/run.sh ]; then echo "make bench: no bench/run.sh yet: nothing to run" >&2; exit 0; fi; \
	exports="$$("$(BIN)/python" scripts/devservices.py)"; eval "$$exports"; \
	PATH="$(abspath $(BIN)):$$PATH" bash bench/run.sh $(BENCH_ARGS)

# torch is always pinned exactly (TORCH_VERSION): an unpinned `pip install torch` pulls gigabytes of CUDA.
$(TRAIN_STAMP): pyproject.toml constraints.txt
	@$(call make-venv,$(TRAIN_VENV))
	@echo "make: installing into $(TRAIN_VENV): torch==$(TORCH_VERSION) + -e .[train]" >&2
	@"$(TRAIN_VENV)/bin/python" -m pip install --quiet "pip==$(PIP_VERSION)" >&2
	@"$(TRAIN_VENV)/bin/python" -m pip install --quiet "torch==$(TORCH_VERSION)" >&2
	@"$(TRAIN_VENV)/bin/python" -m pip install --quiet -c constraints.txt -e '.[train]' "torch==$(TORCH_VERSION)" >&2
	@touch "$@"

train: $(TRAIN_STAMP) ## reproduce the model artifact (python -m scoring.train) in .venv-train
	"$(TRAIN_VENV)/bin/python" -m scoring.train $(TRAIN_ARGS)

services: $(STAMP) ## print export lines for DATABASE_URL and REDIS_URL: eval "$(make services)"
	@"$(BIN)/python" scripts/devservices.py

services-stop: $(STAMP) ## stop the embedded Postgres/Redis under .data/ (local ones are left alone)
	@"$(BIN)/python" scripts/devservices.py stop

lock: ## re-resolve pyproject.toml's dependencies in the venv and rewrite constraints.txt from it
	@$(call make-venv,$(VENV))
	"$(BIN)/python" -m pip install --quiet "pip==$(PIP_VERSION)" >&2
	"$(BIN)/python" -m pip install --quiet -e '.[dev]' >&2
	@{ echo "# Pins for repeatable installs: make lock rewrites this from pip freeze --exclude-editable."; \
	   "$(BIN)/pip" freeze --exclude-editable; } > constraints.txt.tmp
	@mv constraints.txt.tmp constraints.txt
	@touch "$(STAMP)"
	@echo "make lock: constraints.txt has $$(grep -vc '^#' constraints.txt) pins"

clean: ## remove caches and build litter (keeps .venv, .venv-train and .data)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .import_linter_cache build ./*.egg-info
	find . \( -path ./.venv -o -path ./.venv-train -o -path ./.data -o -path ./.git \) -prune \
	  -o -type d -name __pycache__ -exec rm -rf {} +
