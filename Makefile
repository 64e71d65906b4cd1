# The two entry points named at the top of README.md. Each installs what it needs first.
PYTHON ?= python3

.PHONY: setup demo test test-cpp test-python bench experiments

setup:
	PYTHON=$(PYTHON) bash scripts/setup.sh

demo: setup
	$(PYTHON) -m dvfskit demo --out dvfskit-demo

test: setup
	ctest --test-dir build/wheel --output-on-failure
	$(PYTHON) -m pytest tests

bench: setup
	for b in benchmarks/bench_*.py; do $(PYTHON) $$b || exit 1; done

# Reproduce the literature's comparisons (experiments/RESULTS.md); QUICK=1 for the reduced grids.
experiments: setup
	$(PYTHON) experiments/run_all.py $(if $(QUICK),--quick) --out experiments/results
