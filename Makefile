# Set-up is self-contained: every target creates the virtual environment and builds
# the Cython extension first, so `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out

.PHONY: all venv build demo test bench compress-table dataflows clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools>=68" wheel

$(STAMP): $(BIN)/python pyproject.toml setup.py
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

# Rebuild the extension whenever a .pyx changes (editable installs do not notice).
build: $(STAMP) $(wildcard soc/kernels/*.pyx)
	$(BIN)/python setup.py -q build_ext --inplace

demo: build
	$(BIN)/socsim demo --out $(OUT)/demo

test: build
	$(BIN)/python -m pytest -n 2 -q

bench: build
	$(BIN)/python benchmarks/run.py --out benchmarks/results.json

dataflows: build
	$(BIN)/socsim dataflows alexnet --out $(OUT)/dataflows

clean:
	rm -rf $(VENV) build *.egg-info soc/kernels/*.c soc/kernels/*.so $(OUT)
