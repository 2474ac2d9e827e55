# Two entry points, each doing its own setup in a local virtual environment:
#   make demo   - the main job: GunPoint codes -> classifier, against PCA
#   make test   - the whole test suite (what .ci/run calls)
#   make quick  - the suite without the slow tests (worker processes, clusters, benchmarks)
#   make floor  - the quick suite at the oldest versions declared (.ci/floor-constraints.txt)
#   make docs   - the Sphinx site with every gallery example run (docs/_build/html)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export TF_CPP_MIN_LOG_LEVEL ?= 3

FLOOR_VENV ?= .venv-floor
FLOOR_PY := $(FLOOR_VENV)/bin/python

.PHONY: demo test quick floor docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,docs]"
	touch $@

demo: $(VENV)/.installed
	$(PY) examples/demo_gunpoint.py

test: $(VENV)/.installed
	$(PY) -m ruff check sklearn_lstm_ae tests examples benchmarks
	$(PY) -m pytest -n 2 --dist loadscope -rs --durations=10

# Three workers on two cores: while one traces a graph in Python, the others
# keep both cores busy (about 5% faster than two). The full suite keeps two:
# its slow tests start worker processes and clusters of their own.
quick: $(VENV)/.installed
	$(PY) -m pytest -n 3 --dist loadscope -m "not slow" --durations=10

$(FLOOR_VENV)/.installed: pyproject.toml .ci/floor-constraints.txt
	$(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_PY) -m pip install --quiet --upgrade pip
	$(FLOOR_PY) -m pip install --quiet -c .ci/floor-constraints.txt -e ".[test]"
	touch $@

# The declared floors, tested: the quick suite with the oldest TensorFlow,
# Keras, scikit-learn, NumPy and scikeras that pyproject.toml allows.
floor: $(FLOOR_VENV)/.installed
	$(FLOOR_PY) -m pip list 2>/dev/null | grep -iE "^(tensorflow|keras|scikit-learn|numpy|scikeras) "
	$(FLOOR_PY) -m pytest -n 2 --dist loadscope -m "not slow" -p no:cacheprovider

docs: $(VENV)/.installed
	rm -rf docs/generated docs/auto_examples
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html
	@echo "Open docs/_build/html/index.html"

clean:
	rm -rf $(VENV) $(FLOOR_VENV) build *.egg-info docs/_build docs/generated docs/auto_examples
