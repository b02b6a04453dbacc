# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv if missing and install torch (CPU build, pinned) before the rest.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= out/demo

.PHONY: install demo test lint bench-align clean-demo

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/narratives run corpora/demo \
		--manifest corpora/demo/manifest.csv \
		--codebook configs/codebooks/physician-migration.yaml \
		--config configs/demo.yaml \
		--out $(DEMO_OUT) --force
	$(VENV)/bin/narratives export $(DEMO_OUT) --to qdpx --out $(DEMO_OUT)-review/project.qdpx --force
	$(VENV)/bin/narratives export $(DEMO_OUT) --to xlsx --out $(DEMO_OUT)-review/decisions.xlsx --coders coder-a,coder-b --force

test: $(STAMP)
	$(PY) -m pytest

bench-align: $(STAMP)
	$(PY) benchmarks/alignment.py --write

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy src

clean-demo:
	rm -rf $(DEMO_OUT) $(DEMO_OUT)-review
