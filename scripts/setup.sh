#!/usr/bin/env bash
# Set up agentconsole on this machine (idempotent): system libraries, a virtualenv in .venv,
# the package with its offline pipeline and dev tools.
#
#   scripts/setup.sh          what the demo needs (PortAudio for the microphone and speaker)
#   scripts/setup.sh --test   also what the test suite needs (PulseAudio rig, tmux)
#
# Environment: PYTHON (default python3, 3.10+), AGENTCONSOLE_VENV (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${AGENTCONSOLE_VENV:-.venv}
PY=${PYTHON:-python3}

packages=()
ldconfig -p 2>/dev/null | grep libportaudio.so.2 >/dev/null || packages+=(libportaudio2)
if [ "${1:-}" = "--test" ]; then
  command -v pulseaudio >/dev/null || packages+=(pulseaudio)
  command -v pactl >/dev/null || packages+=(pulseaudio-utils)
  [ -e /usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so ] \
    || [ -e /usr/lib/aarch64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so ] \
    || packages+=(libasound2-plugins)
  command -v tmux >/dev/null || packages+=(tmux)
  # deterministic speech for test fixtures (the pip espeak-ng library varies run to run)
  command -v espeak-ng >/dev/null || packages+=(espeak-ng)
fi
if [ ${#packages[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    echo "setup: installing ${packages[*]}" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
  else
    echo "setup: please install ${packages[*]} with your package manager" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -m pip install -q -e ".[offline,dev]" 2>&1 | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -c "import agentconsole.cli, agentconsole.offline" \
  || { echo "setup: the install did not work" >&2; exit 1; }
