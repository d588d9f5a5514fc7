#!/usr/bin/env bash
# Set up (first run only) and open the console on the bundled offline example agent.
# Extra arguments go to agentconsole, e.g. scripts/demo.sh --input-wav hello.wav
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec "${AGENTCONSOLE_VENV:-.venv}/bin/agentconsole" examples/offline_agent.py "$@"
