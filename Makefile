# Set-up is self-contained: every target creates the virtual environment and builds
# the Cython extension first, so `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out

.PHONY: all venv build demo test bench pin pin-check compress-table dataflows readme-figures clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools>=68" wheel

$(STAMP): $(BIN)/python pyproject.toml setup.py
	$(BIN)/pip install -q -e ".[dev]"
	@# JBIG coder (jbigkit's libjbig, Debian package libjbig0) for R(Irr); installed only when absent and root.
	@ldconfig -p 2>/dev/null | grep -q 'libjbig\.so\.0' || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -q && apt-get install -y -q libjbig0; } \
		|| echo "warning: libjbig.so.0 not found; install the Debian package libjbig0 for R(Irr)"
	@# Headless Chromium (Debian package chromium) for the browser check of the HTML report; installed only when absent and root.
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -q && apt-get install -y -q chromium; } \
		|| echo "warning: chromium not found; the browser check of the report (tests/test_report_browser.py) will be skipped"
	touch $(STAMP)

venv: $(STAMP)

# Rebuild the extension whenever a .pyx changes (editable installs do not notice).
build: $(STAMP) $(wildcard soc/kernels/*.pyx soc/kernels/*.h)
	$(BIN)/python setup.py -q build_ext --inplace

demo: build
	$(BIN)/socsim demo --out $(OUT)/demo

# Static checks first (configured in pyproject.toml): ruff (lint, import order) and mypy
# (soc/, energy/, workloads/, reports/); either one's findings fail the target.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

test: build lint
	$(BIN)/python -m pytest -n 2 -q

bench: build
	$(BIN)/python benchmarks/run.py --out benchmarks/results.json

# Regression pin (tests/data/regression_pin.json): write it anew from this checkout, or
# check every pinned network against it (minutes; the test suite checks LeNet-5 and AlexNet).
pin: build
	$(BIN)/python tests/regression_pin.py
pin-check: build
	$(BIN)/python tests/regression_pin.py --check

# Compression table (SPEC 5): LeNet-5 and the MLP with trained weights, AlexNet synthetic.
compress-table: build
	$(BIN)/socsim compress lenet5 --out $(OUT)/compress/lenet5
	$(BIN)/socsim compress mlp --out $(OUT)/compress/mlp
	$(BIN)/socsim compress alexnet --out $(OUT)/compress/alexnet

dataflows: build
	$(BIN)/socsim dataflows alexnet --out $(OUT)/dataflows

# The README's AlexNet figures (docs/*.png): energy breakdown, roofline, per-layer comparison.
readme-figures: build
	$(BIN)/python docs/readme_figures.py --out docs

clean:
	rm -rf $(VENV) build *.egg-info soc/kernels/*.c soc/kernels/*.so $(OUT)
