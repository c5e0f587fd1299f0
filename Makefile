# The whole set-up: `make run` and `make test` create .venv when missing, install the project into
# it and run. Nothing has to be installed by hand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test test-slow bench bench-million workbook templates clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/insurance-xl run

# The suite, with a fixed sample of the hostile-file corpus (a few minutes on 2 cores; JOBS=1 for one)
JOBS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m "not slow"

# The long runs .ci/run adds: the whole corpus (≥ 500 files × every command), the writer killed
# at ≥ 50 points, a 30,000-vehicle demo store
test-slow: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m slow

bench: $(STAMP)
	$(BIN)/python -m bench

# The million-policy store of issue 19 (generated into bench/data/ on first use: minutes, ~3 GB RAM)
bench-million: $(STAMP)
	$(BIN)/python -m bench.bench_speed --million

templates: $(STAMP)
	$(BIN)/insurance-xl templates templates

# workbook/insurance.xlsm from registers.py, settings.py, insurance_xl/excel/ and macros/*.bas
# (the test extra installed by $(STAMP) includes the `workbook` tools)
workbook: $(STAMP)
	$(BIN)/python -m insurance_xl.excel.build workbook/insurance.xlsm

clean:
	rm -rf $(VENV) out bench/data .pytest_cache
