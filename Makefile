# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8501

.PHONY: run test lint bench figure browser pdftools clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(PY) streamlit_app.py --server.port $(PORT)

# Debian's Chromium for the browser tests; Playwright drives it (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium' and try again."; exit 1; fi; }

# Debian's poppler-utils: the report tests read the PDF with pdftotext, pdftoppm and pdfimages.
pdftools:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	  else echo "poppler-utils is missing: run 'sudo apt-get install poppler-utils' (the report tests skip without it)."; fi; }

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

test: $(STAMP) browser pdftools lint
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) -m benchmarks.run

# Redraw docs/measurements.png (the README's measurement diagram) from the current analysis.
figure: $(STAMP)
	$(PY) docs/measurements_figure.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/artifacts
