# The two commands a fresh machine needs:
#   make demo   set up, then run the pipeline on the sample submissions (embedded defaults)
#   make test   set up, then run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_HOME ?= psp-demo

PSP_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

.PHONY: setup system-deps demo test test-fast test-postgres forms screenshots clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[test,postgres]'
	touch $@

# pdf-lib, as agencies' web tools fill forms with it (test data: samples/pdf_tools.py), from the
# lock file. Without npm the tests that need it skip, except in CI.
samples/pdflib/node_modules/.installed: samples/pdflib/package.json samples/pdflib/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix samples/pdflib --no-audit --no-fund --silent && touch $@; \
	else echo "setup: no npm here; the pdf-lib renditions are skipped"; [ "$$CI" != "true" ]; fi

# Debian packages the project needs beyond Python: chromium for the browser tests (add yours to
# the list). Each is installed only when missing, with apt-get as root (as CI runs); elsewhere
# this says what to run. Without chromium the browser tests skip, except in CI (CI=true).
# LibreOffice (headless Writer), qpdf and the fonts make the renditions the reading tests read
# (samples/renditions.py: Word saved as PDF or re-saved, flattened PDFs); pdftk-java, poppler-utils
# (pdftocairo) and Ghostscript fill, print and re-distil forms as agencies do (samples/pdf_tools.py).
# Without them those tests skip, except in CI. dovecot-imapd is the IMAP server the mail intake's
# tests start on 127.0.0.1 (tests/mailserver.py), as the same user, with a throwaway config.
# Tesseract with its English and orientation data reads scans, faxes and photos (pipeline/extract/ocr);
# URW's Z003 (fonts-urw-base35) signs the test data's forms by hand (samples/scans.py).
SYSTEM_PACKAGES ?= chromium libreoffice-writer-nogui qpdf fonts-liberation fonts-dejavu-core pdftk-java poppler-utils ghostscript \
	dovecot-imapd tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd fonts-urw-base35

system-deps:
	@missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "system-deps: no apt-get here; install$$missing yourself"; [ "$$CI" != "true" ]; exit $$?; \
	fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "system-deps: missing$$missing; run 'sudo make system-deps'"; [ "$$CI" != "true" ]; exit $$?; fi; \
	echo "system-deps: installing$$missing"; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing

# The program's own modules compiled ahead, as pip compiles what it installs: with
# PYTHONDONTWRITEBYTECODE set (as on some servers and CI), every command would compile them again,
# about 0.3 s of each start (benchmarks/run_by_hand.py). Up-to-date files are skipped.
setup: system-deps $(VENV)/.installed samples/pdflib/node_modules/.installed
	@$(BIN)/python -m compileall -q -j 0 pipeline cli flows schemas >/dev/null

demo: setup
	rm -rf $(DEMO_HOME)
	$(BIN)/psp-pipeline init --home $(DEMO_HOME)
	$(BIN)/python samples/stage.py $(DEMO_HOME)/inbox
	$(BIN)/psp-pipeline run --home $(DEMO_HOME)
	@echo "Open the report: $(DEMO_HOME)/reports/latest.html"

# Prefect keeps state and caches in PREFECT_HOME: a fresh one per test session keeps runs apart.
# The slowest tests are listed at the end (CI's time is budgeted: 45 minutes for both passes).
test: setup
	PREFECT_HOME=$$(mktemp -d) PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 \
		$(BIN)/python -m pytest --durations=30 $(PYTEST_ARGS)

# The suite without its slowest parts, for while you work: the crash tests (marked `crash`: a real
# process killed at a fault point), the Prefect flow tests (`flow`) and the browser tests
# (`browser`). `make test` runs them all.
test-fast: setup
	PREFECT_HOME=$$(mktemp -d) PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 \
		$(BIN)/python -m pytest -m "not crash and not flow and not browser" $(PYTEST_ARGS)

# The suite's store tests with the tracking store on PostgreSQL: a database is created for the run
# and dropped after it (PSP_TEST_POSTGRES_URL names the server; CI runs this after `make test`).
# Tests that open no store are left out (tests/conftest.py): they would run as on SQLite.
test-postgres: setup
	PSP_TEST_POSTGRES_URL=$(PSP_TEST_POSTGRES_URL) PREFECT_HOME=$$(mktemp -d) \
		PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 $(BIN)/python -m pytest --durations=30 $(PYTEST_ARGS)

# Rebuild the official blank forms and the sample submissions from the specification.
forms: setup
	$(BIN)/python samples/make_forms.py
	$(BIN)/python samples/make_submissions.py

# The README's pictures of the run report (docs/report*.png) and of the coordinator overview
# (docs/overview.png), taken in headless Chromium from the demo.
screenshots: setup
	$(BIN)/python docs/make_screenshots.py

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache
