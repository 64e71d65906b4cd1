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

.PHONY: setup demo test test-sanitize fuzz fuzz-short fuzz-build fuzz-python bench experiments

setup:
	PYTHON=$(PYTHON) bash scripts/setup.sh

demo:
	DVFSKIT_FUZZ=0 PYTHON=$(PYTHON) bash scripts/setup.sh
	$(PYTHON) -m dvfskit demo --out dvfskit-demo

test: setup
	ctest --test-dir build/wheel --output-on-failure
	$(MAKE) test-sanitize
	$(MAKE) fuzz-short
	$(PYTHON) -m pytest tests

test-sanitize:
	cmake -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDVFSKIT_BUILD_PYTHON=OFF \
		-DDVFSKIT_BUILD_TESTS=ON -DDVFSKIT_SANITIZE=ON
	cmake --build $(SANITIZE_DIR) --parallel $(JOBS)
	$(SANITIZE_ENV) ctest --test-dir $(SANITIZE_DIR) --output-on-failure

$(FUZZ_DIR)/fuzz_expression: tests/fuzz/fuzz_expression.cpp cpp/src/expression.cpp cpp/include/dvfskit/expression.hpp
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

bench: setup
	for b in benchmarks/bench_*.py; do $(PYTHON) $$b || exit 1; done

# Reproduce the literature's comparisons (experiments/RESULTS.md); QUICK=1 for the reduced grids.
experiments:
	DVFSKIT_FUZZ=0 PYTHON=$(PYTHON) bash scripts/setup.sh
	$(PYTHON) experiments/run_all.py $(if $(QUICK),--quick) --out experiments/results
