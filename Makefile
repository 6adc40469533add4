# examgen: the two commands a new user needs are `make exam SEED=42` and `make test`.
# Both create a virtual environment in .venv on first use and install examgen into it.

SEED ?= 42
N ?= 30
ROSTER ?=
SPEC ?=
OUT ?= out
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: exam test lint bench clean help

help:
	@echo "make exam SEED=42 [N=30] [ROSTER=students.csv] [SPEC=spec.toml]   build exams into $(OUT)/"
	@echo "make test                                                          run the test suite"
	@echo "make lint                                                          ruff"
	@echo "make bench                                                         benchmarks"

# Editable in compat mode (a path in a .pth file): the default mode's import hook loads
# pathlib and importlib.util at every start, before `examgen --help` prints anything. The
# package is compiled here as pip compiles what it installs: where PYTHONDONTWRITEBYTECODE is
# set (containers often set it), every command would otherwise compile each module it imports.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "examgen needs Python 3.11 or newer: run make with PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=compat -e '.[test]'
	$(BIN)/python -m compileall -q generator
	@touch $@

# Handouts need TeX Live: installed here when missing on Debian/Ubuntu with root or sudo.
exam: $(STAMP)
	@bash scripts/install-tex
	$(BIN)/examgen build --seed $(SEED) --out "$(OUT)" \
		$(if $(ROSTER),--roster "$(ROSTER)",--count $(N)) $(if $(SPEC),--spec "$(SPEC)")

# One test process per core; each test file runs whole in one of them, so the fixtures a file
# shares (PDF builds, synthetic scans, a browser) are made once. (--dist loadgroup would balance
# finer, but on pytest 9.2 it silently stops grouping: pytest-xdist issue 1386.)
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

# bench_speed first: on ext4 without a journal, creating a file skips every inode deleted in the
# last minute or more, so the files the other benchmarks delete would slow its builds' writes.
# Every benchmark runs, even after one misses its goal (bench_check exits 1 then); make bench
# names those at the end and exits 1.
bench: $(STAMP)
	@bash scripts/install-tex
	@missed=""; for f in bench/bench_speed.py $(filter-out bench/bench_speed.py,$(sort $(wildcard bench/bench_*.py))); do \
		echo "== $$f"; $(BIN)/python "$$f" || missed="$$missed $$f"; done; \
		if [ -n "$$missed" ]; then echo "make bench: failed or missed a goal:$$missed"; exit 1; fi

lint: $(STAMP)
	$(BIN)/ruff check generator tests

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis
