# segmenter — developer entry points. Only python3 and make are needed on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared
OUT    ?= out

.PHONY: help demo test test-fast fuzz lint eval bench bench-scale clean-venv

help:
	@echo "make demo   - create $(VENV), install segmenter, run the main job on fixtures/"
	@echo "make test   - create $(VENV) with the dev extra and run the whole test suite"
	@echo "make eval   - score split and dedup on $(SHARED)/data (when present)"
	@echo "make bench  - speed and memory benchmarks (make bench-scale: 1M documents through run --jobs 2)"
	@echo "make fuzz   - the hypothesis fuzzing campaign (long)"
	@echo "make lint   - ruff and mypy"

$(BIN)/segmenter: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

demo: $(BIN)/segmenter
	$(BIN)/segmenter run fixtures/ -o $(OUT)/demo --report $(OUT)/demo/report.html

$(VENV)/ftfy-test-cases.json: $(VENV)/.dev
	-$(BIN)/python scripts/fetch_ftfy_cases.py $@

test: $(VENV)/.dev $(VENV)/ftfy-test-cases.json
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest -q -m "not slow"

fuzz: $(VENV)/.dev
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -m "fuzz or hardening" -p no:cacheprovider

lint: $(VENV)/.dev
	$(BIN)/ruff check segmenter tests
	$(BIN)/mypy segmenter

eval: $(VENV)/.dev
	$(BIN)/python bench/eval.py --shared $(SHARED)

bench: $(VENV)/.dev
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python bench/run.py --shared $(SHARED) $(BENCH_ARGS)

bench-scale: $(VENV)/.dev
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python bench/bench_cli.py --shared $(SHARED) --scale --jobs 2

clean-venv:
	rm -rf $(VENV)
