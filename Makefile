# Every target bootstraps .venv from the pinned requirements when it is missing or stale.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= offscreen
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: run test bench lint screenshots clean venv sysdeps

$(STAMP): requirements.lock pyproject.toml
	@$(MAKE) --no-print-directory sysdeps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

# Qt needs a few system libraries even offscreen; install them where apt is available and they are missing.
sysdeps:
	@if command -v apt-get >/dev/null 2>&1 && ! ldconfig -p | grep -q libxkbcommon.so.0; then \
		echo "installing Qt's system libraries"; \
		(apt-get update -qq && apt-get install -y -qq libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 >/dev/null) \
		|| echo "could not install Qt's system libraries; install libegl1 libxkbcommon0 libfontconfig1 by hand"; \
	fi

run: $(STAMP)
	QT_QPA_PLATFORM= $(BIN)/layerbench open resources/examples/cnn_digits.layerbench

lint: $(STAMP)
	$(BIN)/ruff check core desktop resources tests
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
