# Developer and CI entry points. CI runs .ci/run, which runs `make test`.
#   make test ARGS='-k foo'   extra pytest arguments
#   make test JOBS=0          one pytest process instead of a worker per core

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
ARGS   ?=
# pytest-xdist workers: "auto" is one per core. Browser and end-to-end tests
# mostly wait on Chromium and server processes, so the cores overlap them.
JOBS   ?= auto
# Wait for the dpkg lock: a freshly booted VM may still be running apt-daily.
APT    := DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300

# CI has no stdin and no use for pip's upgrade nag.
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: venv test demo lint browsers node

venv: $(VENV)/.installed

# Debian's python3 lacks ensurepip unless python3-venv is installed; a failed
# `venv` leaves a pip-less .venv behind, so remove it before retrying.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); $(APT) install python3-venv && $(PYTHON) -m venv $(VENV); }

# Stamp file: reinstall only when the declared dependencies changed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# The web tests drive /usr/bin/chromium; without root we cannot install it,
# and `make test` then fails (run pytest directly to go without them).
browsers:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "browsers: chromium missing and not root; not installing it (make test requires it)" >&2; \
	else \
	  echo "browsers: installing chromium and chromium-driver with apt-get" >&2; \
	  $(APT) update && $(APT) install --no-install-recommends chromium chromium-driver fonts-liberation; \
	fi

# The field app's JavaScript is tested with Node's built-in runner. Unlike
# the browsers, Node is not optional: without it `make test` fails.
node:
	@if command -v node >/dev/null; then :; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "node: Node.js missing and not root: install Debian's nodejs" >&2; exit 1; \
	else \
	  echo "node: installing nodejs with apt-get" >&2; \
	  $(APT) update && $(APT) install --no-install-recommends nodejs; \
	fi

# One shell so the trap can stop the throwaway cluster whatever happens.
# The xdist workers must collect the same tests in the same order, so they
# share one hash seed (a set's order depends on it); it still changes from
# run to run, and the log shows it to repeat a run (PYTHONHASHSEED=n make test).
# ruff runs first but does not hide the test results: pytest always runs, and
# the recipe fails if either failed (pytest's own status wins when non-zero,
# so "no tests collected" (5) fails too).  PATROLI_TEST_REQUIRE makes a missing
# PostgreSQL or Chromium an error instead of a quietly shorter run.
PATROLI_TEST_REQUIRE ?= postgres,browser
test: venv browsers node
	@set -u; \
	url=$$(bash .ci/postgres.sh start) || exit 1; \
	trap 'bash .ci/postgres.sh stop' EXIT; trap 'exit 130' INT TERM HUP; \
	echo "==> ruff check"; \
	$(BIN)/ruff check .; ruff=$$?; \
	echo "==> node --test tests/js/*.test.mjs"; \
	out=$$(node --test tests/js/*.test.mjs 2>&1); js=$$?; \
	if [ $$js -ne 0 ]; then echo "$$out"; fi; \
	echo "$$out" | grep -E '^# (tests|pass|fail|cancelled|skipped|todo|duration_ms) '; \
	seed=$${PYTHONHASHSEED:-$$(shuf -i 1-4294967295 -n 1)}; \
	echo "==> PYTHONHASHSEED=$$seed pytest -n $(JOBS) $(ARGS)"; \
	PYTHONHASHSEED=$$seed PATH="$(CURDIR)/$(BIN):$$PATH" PATROLI_TEST_POSTGRES_URL="$$url" \
	  PATROLI_TEST_REQUIRE="$(PATROLI_TEST_REQUIRE)" $(BIN)/pytest -n $(JOBS) $(ARGS); st=$$?; \
	if [ $$st -eq 0 ] && [ $$ruff -ne 0 ]; then echo "ruff check failed" >&2; st=1; fi; \
	if [ $$st -eq 0 ] && [ $$js -ne 0 ]; then echo "node tests failed" >&2; st=1; fi; \
	exit $$st

demo: venv
	$(BIN)/patroli demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
