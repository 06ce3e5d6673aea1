#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then runs lint, types and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

ruff check src tests
ruff format --check src tests
mypy
python3 -m pytest "$@"
