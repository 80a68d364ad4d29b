# Every target bootstraps .venv from the pinned requirements when it is missing or stale.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= offscreen
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: run test bench lint screenshots bundle clean venv sysdeps

$(STAMP): requirements.lock pyproject.toml
	@$(MAKE) --no-print-directory sysdeps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

# Qt needs a few system libraries even offscreen (and the xcb ones on a real display); xvfb and
# desktop-file-utils serve the screenshots and the start-menu tests. Installed where apt exists and missing.
SYSPKGS := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libxcb-cursor0 \
	libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 \
	libxcb-xinerama0 libxcb-xkb1 desktop-file-utils shared-mime-info appstream xvfb xauth
sysdeps:
	@if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then \
		missing=""; for p in $(SYSPKGS); do \
			dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
		if [ -n "$$missing" ]; then echo "installing system packages:$$missing"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
			|| echo "could not install$$missing; install them by hand"; fi; \
	fi

run: $(STAMP)
	QT_QPA_PLATFORM= $(BIN)/layerbench open resources/examples/cnn_digits.layerbench

lint: $(STAMP)
	$(BIN)/ruff check core desktop resources tests
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist load --max-worker-restart=0

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks --readme

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py screenshots

bundle: $(STAMP)
	$(BIN)/python scripts/bundle.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
