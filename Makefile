# Two commands on a fresh machine:
#   make run    set up .venv, build the index if missing or stale, open the chat UI
#   make test   set up .venv (+ Chromium for the browser tests) and run the whole test suite
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export HF_HUB_OFFLINE=1
export HF_HUB_DISABLE_TELEMETRY=1
export TRANSFORMERS_OFFLINE=1
export GRADIO_ANALYTICS_ENABLED=False
export ANONYMIZED_TELEMETRY=False
export TOKENIZERS_PARALLELISM=false

.PHONY: setup run test index eval bench lint chromium clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0            # first: the local CPU wheel, not the CUDA build
	$(BIN)/pip install -q -c constraints.txt -e ".[test]"
	$(BIN)/pip check
	touch $(STAMP)

setup: $(STAMP)

index: setup
	$(BIN)/assistant index

run: setup
	$(BIN)/assistant index
	$(BIN)/assistant serve --open

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null \
	  || { echo "could not install chromium (apt-get)"; exit 1; }; }

test: setup chromium
	$(BIN)/python -m pytest -q

eval: setup
	$(BIN)/assistant eval

bench: setup
	$(BIN)/assistant bench

lint: setup
	$(BIN)/ruff check assistant evals tests
	$(BIN)/mypy assistant

clean:
	rm -rf $(VENV) index/chroma index/CURRENT.json
