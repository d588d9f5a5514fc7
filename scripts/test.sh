#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite, on real parts: a private PulseAudio
# rig (virtual mic and speaker), real Silero/Moonshine/espeak-ng, real job processes, the
# TUI through Pilot and in tmux. Extra arguments go to pytest.
#
#   scripts/test.sh             the suite on the installed livekit-agents (1.8)
#   scripts/test.sh --matrix    also the job-host and offline tests on livekit-agents 1.3
set -euo pipefail
cd "$(dirname "$0")/.."
MATRIX=0
if [ "${1:-}" = "--matrix" ]; then MATRIX=1; shift; fi
bash scripts/setup.sh --test
VENV=${AGENTCONSOLE_VENV:-.venv}
export PYTHONUNBUFFERED=1

# pytest exits 5 when it collected nothing: that is a failure here, not a pass.
run_pytest() {
  local py=$1; shift
  set +e
  timeout 2400 "$py" -m pytest "$@" 2>&1 | stdbuf -oL head -c 50000000
  local rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" = 5 ]; then echo "test.sh: no tests were collected" >&2; return 1; fi
  return "$rc"
}

run_pytest "$VENV/bin/python" tests -q "$@"

if [ "$MATRIX" = 1 ]; then
  # The lowest supported livekit-agents (docs/compatibility.md): its own virtualenv.
  LOW=.venv-lk13
  if [ ! -x "$LOW/bin/python" ]; then python3 -m venv "$LOW"; fi
  "$LOW/bin/python" -m pip install -q "livekit-agents==1.3.12" "livekit-plugins-silero==1.3.12" \
    "openai<3" click watchfiles sounddevice numpy textual moonshine-cpp==0.1.4 \
    espeakng-loader==0.2.4 "onnx>=1.16" pytest pytest-asyncio pytest-timeout psutil soundfile \
    2>&1 | grep -v "^WARNING: Location" || true
  "$LOW/bin/python" -m pip install -q --no-deps -e . 2>&1 | grep -v "^WARNING: Location" || true
  echo "== livekit-agents $("$LOW/bin/python" -c 'import importlib.metadata as m; print(m.version("livekit-agents"))')"
  PATH="$PWD/$LOW/bin:$PATH" run_pytest "$LOW/bin/python" tests/job tests/offline tests/agents -q
fi
