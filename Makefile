PY := .venv/bin/python
export TF_CPP_MIN_LOG_LEVEL := 2
# The checkout is the data directory (soundfonts/, effects/, user_data/, .cache/); an
# installed lofi uses the platform's user data folder instead (see lofi/core/paths.py).
export LOFI_HOME ?= $(CURDIR)

.PHONY: setup run test bench lint

setup:
	@bash scripts/setup.sh

run: setup
	$(PY) -m streamlit run streamlit_app.py --server.address 127.0.0.1 --server.headless true

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m lofi.tools.bench

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	.venv/bin/lint-imports
