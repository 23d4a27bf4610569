PY := .venv/bin/python
export TF_CPP_MIN_LOG_LEVEL := 2
# Run from the checkout, lofi keeps its data here (soundfonts/, effects/, user_data/, .cache/)
# without LOFI_HOME; `python -m lofi where` prints the folder (see lofi/core/paths.py).

.PHONY: setup run test bench lint

setup:
	@bash scripts/setup.sh

run: setup
	$(PY) -m streamlit run streamlit_app.py --server.address 127.0.0.1 --server.headless true

# Every test, on every core (at most 4 workers); tests/conftest.py groups and orders them.
test: setup
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist loadgroup --no-loadscope-reorder

bench: setup
	$(PY) -m lofi.tools.bench --report

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	.venv/bin/lint-imports
