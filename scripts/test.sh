#!/usr/bin/env bash
# Lint, type-check and test docverify inside .venv (created by scripts/setup.sh --dev).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k repair`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export PATH="$PWD/$VENV/bin:$PATH"
echo "== ruff"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
echo "== mypy"
mypy
echo "== pytest"
python -m pytest "$@"
