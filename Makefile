# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv if missing and install torch (CPU build, pinned) before the rest.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= out/demo

.PHONY: install browser strace qda-tools ppi-reference demo test lint bench bench-options bench-align bench-learning clean-demo

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Debian packages some tests drive: installed when missing and apt-get can run as root; otherwise
# those tests skip with a reason. $(call debian,COMMAND,PACKAGE,WHICH TESTS)
define debian
	@command -v $(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's $(2) for $(3)"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; } \
	      || echo "could not install $(2): $(3) will be skipped"; \
	  else echo "$(2) is not installed and cannot be installed here: $(3) will be skipped"; fi; }
endef

# The report's browser tests open report.html in Debian's Chromium (no browser download).
browser:
	$(call debian,chromium,chromium,the browser tests)

# tests/privacy runs the pipeline under strace to prove nothing leaves the machine (native code
# included: onnxruntime, Ray's servers).
strace:
	$(call debian,strace,strace,the network guard tests)

# QualCoder (../shared/tools/qualcoder, a real QDA tool) is driven by tests/coders/test_qualcoder.py
# in its own environment, so PyQt6 never enters the product's. Without it those tests skip with a reason.
QC_VENV  := .venv-qualcoder
QC_STAMP := $(QC_VENV)/.installed
QC_PKGS  := PyQt6==6.11.0 qtawesome==1.4.2 pymupdf==1.26.7 Pillow==12.0.0
QC_QT_CHECK := $(QC_VENV)/bin/python -c "from PyQt6 import QtMultimedia, QtWidgets" 2>/dev/null

$(QC_STAMP): Makefile
	@if [ -d ../shared/tools/qualcoder/src ]; then \
	  { test -x $(QC_VENV)/bin/python || $(PYTHON) -m venv $(QC_VENV); } && \
	  $(QC_VENV)/bin/python -m pip install --quiet $(QC_PKGS) && \
	  { $(QC_QT_CHECK) || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    echo "installing Debian's libpulse0 for Qt Multimedia, which QualCoder imports" && \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpulse0 >/dev/null; } && \
	    $(QC_QT_CHECK); }; } && touch $(QC_STAMP) \
	  || echo "could not install QualCoder's packages or the system libraries Qt needs: the QualCoder tests will be skipped"; \
	else echo "../shared/tools/qualcoder is absent: the QualCoder tests will be skipped"; fi

qda-tools: $(QC_STAMP)

# The prevalence estimator is checked against the method authors' own ppi-python. Its wheel also
# installs a top-level `tests` package that would hide ours, so only its `ppi_py` folder is unpacked
# here, for tests/prevalence/test_estimator.py; without it that test skips with a reason.
PPI_DIR := .cache/ppi-python-0.2.3

$(PPI_DIR)/ppi_py/__init__.py: | $(STAMP)
	@$(PY) -m pip download --quiet --no-deps ppi-python==0.2.3 -d $(PPI_DIR)/wheel \
	  && $(PY) -c "import glob, zipfile; z = zipfile.ZipFile(glob.glob('$(PPI_DIR)/wheel/*.whl')[0]); \
	     [z.extract(n, '$(PPI_DIR)') for n in z.namelist() if n.startswith('ppi_py/')]" \
	  || echo "could not fetch ppi-python: the estimator's comparison with it will be skipped"

ppi-reference: $(PPI_DIR)/ppi_py/__init__.py

demo: $(STAMP)
	$(VENV)/bin/narratives run corpora/demo \
		--manifest corpora/demo/manifest.csv \
		--codebook configs/codebooks/physician-migration.yaml \
		--config configs/demo.yaml \
		--out $(DEMO_OUT) --force
	$(VENV)/bin/narratives export $(DEMO_OUT) --to qdpx --out $(DEMO_OUT)-review/project.qdpx --force
	$(VENV)/bin/narratives export $(DEMO_OUT) --to xlsx --out $(DEMO_OUT)-review/decisions.xlsx --coders coder-a,coder-b --force
	@echo
	@echo "Read the report: $(DEMO_OUT)/report.html  (file://$(abspath $(DEMO_OUT))/report.html)"

test: $(STAMP) browser strace qda-tools ppi-reference
	$(PY) -m pytest

# Speed (issue 17): 20 Newsgroups test posts, 100k sentences cold and warm, a codebook-only re-run at
# 15k and learning from 1,000 coded passages, beside stock BERTopic; under 30 minutes. Writes benchmarks/README.md.
bench: $(STAMP)
	$(PY) -m benchmarks.scale --write

# What each speed option costs in coding accuracy (issue 17), folds by session / participant on the
# shared coded sets; about 10 minutes. Writes benchmarks/README.md and benchmarks/results/speed_options.json.
bench-options: $(STAMP)
	cd benchmarks && ../$(PY) speed_options.py --write

bench-align: $(STAMP)
	$(PY) benchmarks/alignment.py --write

# Learning from coders: the first rounds of decisions (issue 29: 10 to all decisions, three ways of drawing
# them, simulated rounds; about 50 minutes, writes benchmarks/learning_curve.png), then the curves from
# 100 examples up with fine-tuning (issue 12; about an hour). Folds by session / participant. Writes
# benchmarks/README.md.
bench-learning: $(STAMP)
	$(PY) benchmarks/first_rounds.py --write
	$(PY) benchmarks/learning.py --write

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy src

clean-demo:
	rm -rf $(DEMO_OUT) $(DEMO_OUT)-review
