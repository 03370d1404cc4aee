# Two commands for a newcomer (README): `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
export DVC_NO_ANALYTICS := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: install demo test speed reproduce

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## Install, then run every stage on the smoke profile in a scratch copy and print the report.
demo: install
	$(PY) -m pipelines.demo

## Lint, unit tests, the smoke pipeline end to end, and the regression gate on committed results.
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest
	$(PY) -m pipelines.gate

## Speed benchmark: prints ms per meta-iteration and peak memory by formulation.
## (`dvc repro speed` records the same table in results/speed/sinusoid.json.)
speed: install
	$(PY) -m benchmark.speed

## Every stage at the committed budgets; MiniImageNet's waits for your images (see README).
reproduce: install
	PATH=$(VENV)/bin:$$PATH dvc repro --keep-going
