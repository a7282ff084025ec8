# The README's two commands are `make run` and `make test`; everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test install index lint eval bench browser-deps clean

# The app indexes the text itself in seconds and embeds in the background: `make run` never waits for vectors.
run: install
	$(BIN)/python app.py --host $(HOST) --port $(PORT)

# One embedding cache for the test fixtures, the apps they start and the eval index: the seeds are embedded once.
test: export QA_EMBED_CACHE_DIR := $(CURDIR)/.cache/embeddings
test: install browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# pytest exits 5 when it collected nothing: a suite that runs no test must fail, not pass quietly.
	@$(BIN)/pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status
	$(BIN)/python -m eval --check

install: $(STAMP)

# CPU torch first and pinned: an unpinned torch pulls gigabytes of CUDA wheels.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,postgres,ocr]'
	touch $(STAMP)

# Incremental: the text is searchable within seconds, then only new text is embedded (progress: qa index --status).
index: install
	$(BIN)/qa index

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

eval: install
	$(BIN)/python -m eval

bench: install
	$(BIN)/python -m bench

# The browser test drives Debian's Chromium; CJK fonts make Chinese render in its screenshots.
# Without root or apt the browser test skips with its reason instead of failing the build.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
		|| echo "warning: could not install chromium; the browser test will be skipped"; \
	fi

clean:
	rm -rf $(VENV) index/* .cache
