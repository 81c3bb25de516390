# Two commands: `make demo` and `make test`; each does all of its own set-up in .venv.
# demo installs the core (what Cart Pole needs); test installs every extra (box2d, atari, ray, bench) + dev.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: install install-dev install-bench demo test lint bench clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(VENV)/bin/activate pyproject.toml
	$(PIP) install torch==2.13.0
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install -e ".[dev]"
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed-dev
	$(PIP) install -e ".[dev,all]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-bench: $(VENV)/.installed-bench

lint: install-dev
	$(VENV)/bin/ruff check .

test: install-bench
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

demo: install
	$(VENV)/bin/mzlab demo

bench: install-bench
	for f in benchmarks/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
