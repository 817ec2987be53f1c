# fastnas developer commands. Quick start: `make demo`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip --disable-pip-version-check -q
STAMP   = $(VENV)/.fastnas-installed
SOURCES = $(wildcard src/*.cpp src/*.hpp csrc/*.cpp csrc/*.hpp) setup.py pyproject.toml

.PHONY: venv install demo test test-fast bench bench-compare asan clean data wheel-smoke

venv: $(PY)

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel pybind11

# torch is pinned to the local CPU wheel (never a range: that would pull a multi-GB CUDA build).
$(STAMP): $(PY) $(SOURCES)
	$(PIP) install "torch==2.13.0"
	$(PIP) install -e ".[test,torch,boost,ray,benchdata,nb301,nasbot]"
	$(PY) -c "import fastnas._core"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/fastnas demo --out demo-out

# The suite runs with the compiled backend forced (strict: a missing extension is an error);
# tests/parity runs every operation on every backend explicitly; docstring examples run too.
test: install
	FASTNAS_BACKEND=cpp RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 \
		$(PY) -m pytest -q -p no:cacheprovider --doctest-modules tests fastnas

# The published artifact: build the wheel, install it WITHOUT extras (no torch) into a fresh virtualenv and
# run a smoke test there (a query, a search, an encoding, `fastnas predictors list`); see .ci/wheel-smoke.
wheel-smoke: install
	PY=$(PY) .ci/wheel-smoke

test-fast: install
	FASTNAS_BACKEND=cpp $(PY) -m pytest -q -x -m "not slow" tests

# `make bench` saves the run as JSON; `make bench-compare` judges it against the committed baseline by each
# kernel's speed-up over its reference twin (benchmarks/compare.py; ratios survive a loaded machine).
BENCH_JSON     ?= .benchmarks/current.json
BENCH_BASELINE ?= benchmarks/baseline.json
BENCH_FILES    ?= $(wildcard benchmarks/bench_*.py)  # named explicitly: pytest collects only test_*.py from a folder

bench: install
	mkdir -p $(dir $(BENCH_JSON))
	$(PY) -m pytest -q $(BENCH_FILES) --benchmark-only --benchmark-columns=min,median,mean,rounds \
		--benchmark-sort=name --benchmark-json=$(BENCH_JSON)

bench-compare:
	$(PY) benchmarks/compare.py $(BENCH_BASELINE) $(BENCH_JSON)

# AddressSanitizer run of the property tests (local only; see README "Development").
asan:
	FASTNAS_ASAN=1 $(PIP) install -e . --no-build-isolation
	ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=$$(gcc -print-file-name=libasan.so) \
		FASTNAS_BACKEND=cpp $(PY) -m pytest -q tests/property tests/unit -x -p no:cacheprovider
	$(PIP) install -e . --no-build-isolation --force-reinstall --no-deps
	touch $(STAMP)

clean:
	rm -rf build *.egg-info fastnas/_core*.so $(VENV)
