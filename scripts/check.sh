#!/usr/bin/env bash
# Lint and type-check: ruff (lint + format) and mypy --strict on the package.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${AGENTCONSOLE_VENV:-.venv}
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
# mypy cannot follow setuptools' package-dir mapping in an editable install: give it a tree
# in which `agentconsole` is the package as installed (console/ with widgets/ inside).
SHIM=$(mktemp -d)
trap 'rm -rf "$SHIM"' EXIT
mkdir "$SHIM/agentconsole"
for entry in console/*; do ln -s "$PWD/$entry" "$SHIM/agentconsole/$(basename "$entry")"; done
ln -s "$PWD/widgets" "$SHIM/agentconsole/widgets"
(cd "$SHIM" && "$OLDPWD/$VENV/bin/mypy" --config-file "$OLDPWD/pyproject.toml" -p agentconsole)
