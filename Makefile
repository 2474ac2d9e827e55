# Two entry points, each doing its own setup in a local virtual environment:
#   make demo   - the main job: GunPoint codes -> classifier, against PCA
#   make test   - the whole test suite (what .ci/run calls)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: demo test lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(PY) examples/demo_gunpoint.py

test: $(VENV)/.installed
	$(PY) -m ruff check sklearn_lstm_ae tests examples
	$(PY) -m pytest -n 2 --durations=10

clean:
	rm -rf $(VENV) build *.egg-info
