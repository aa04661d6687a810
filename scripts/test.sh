#!/usr/bin/env bash
# The whole test suite: lint (ruff), types (mypy), tests (pytest). Run from the repository root
# inside the environment that has the test extras installed (see README, Quick start).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff"; ruff check src tests benchmarks
echo "== mypy"; mypy
echo "== pytest"; python -m pytest "$@"
