#!/usr/bin/env bash
# The test command: install what is missing, then lint, type-check and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check lambdaserve tests benchmarks examples
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
