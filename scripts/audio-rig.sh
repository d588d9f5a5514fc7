#!/bin/bash
# Virtual audio rig for headless CI and tests: a private PulseAudio daemon with a virtual
# speaker (null sink "vspeaker", recorded through "vspeaker.monitor") and a virtual microphone
# ("vmic", fed by playing into the null sink "vmic_feed"), reachable from PortAudio through the
# ALSA pulse plugin. A user-space daemon needs no kernel module (snd-aloop) and no session
# manager (PipeWire), so it runs in containers and CI; docs/audio.md describes the rig.
#
#   scripts/audio-rig.sh [start]   install packages if missing, write config, start the daemon,
#                                  write $AUDIO_RIG_DIR/env.sh; prints the env.sh path last
#   scripts/audio-rig.sh stop      kill the daemon of $AUDIO_RIG_DIR and wait for it to exit
#
# Environment: AUDIO_RIG_DIR (default: a new temp dir), AUDIO_RIG_NO_INSTALL=1 (never apt-get).
# Then `. "$AUDIO_RIG_DIR/env.sh"` BEFORE starting any process that imports sounddevice:
# PortAudio enumerates devices once, and the ALSA pulse hook only applies if the daemon is up.
# Close every audio stream before `stop`: PortAudio busy-loops if its server disappears.
# This file is the single source of truth for the rig config (tests/audio/conftest.py runs it).
set -euo pipefail
ACTION=${1:-start}
RIG=${AUDIO_RIG_DIR:-}
if [ -z "$RIG" ]; then
  [ "$ACTION" = stop ] && { echo "audio-rig: set AUDIO_RIG_DIR to stop a rig" >&2; exit 2; }
  RIG=$(mktemp -d)/rig
fi
PULSE_PLUGIN=/usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_pulse.so

rig_env() {
  export XDG_RUNTIME_DIR="$RIG/xdg" PULSE_SERVER="unix:$RIG/xdg/pulse/native" \
         ALSA_CONFIG_PATH="/usr/share/alsa/alsa.conf:$RIG/asound.conf"
}

stop_rig() {
  rig_env
  local pidfile="$RIG/xdg/pulse/pid" pid=""
  [ -f "$pidfile" ] && pid=$(head -n1 "$pidfile" | tr -dc 0-9)
  pulseaudio --kill 2>/dev/null || true
  if [ -n "$pid" ]; then
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

if [ "$ACTION" = stop ]; then stop_rig; exit 0; fi
[ "$ACTION" = start ] || { echo "usage: $0 [start|stop]" >&2; exit 2; }

if ! command -v pulseaudio >/dev/null || ! command -v pactl >/dev/null \
   || ! ldconfig -p | grep libportaudio.so.2 >/dev/null || [ ! -e "$PULSE_PLUGIN" ]; then
  if [ -n "${AUDIO_RIG_NO_INSTALL:-}" ]; then
    echo "audio-rig: pulseaudio/pulseaudio-utils/libportaudio2/libasound2-plugins missing" >&2
    exit 3
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends libportaudio2 libasound2-plugins \
    pulseaudio pulseaudio-utils tmux
fi

mkdir -p "$RIG/xdg"; chmod 700 "$RIG/xdg"
cat > "$RIG/ci.pa" <<'PA'
load-module module-native-protocol-unix auth-anonymous=1
load-module module-null-sink sink_name=vspeaker sink_properties=device.description=VirtualSpeaker rate=48000 channels=2
load-module module-null-sink sink_name=vmic_feed sink_properties=device.description=VirtualMicFeed rate=48000 channels=1
load-module module-remap-source source_name=vmic master=vmic_feed.monitor source_properties=device.description=VirtualMic channels=1
set-default-sink vspeaker
set-default-source vmic
PA
cat > "$RIG/asound.conf" <<'AC'
pcm.vmic { type pulse device "vmic" hint { show on description "Virtual mic" } }
pcm.vspeaker { type pulse device "vspeaker" hint { show on description "Virtual speaker" } }
pcm.vspeaker_monitor { type pulse device "vspeaker.monitor" hint { show on description "Speaker monitor" } }
AC
rig_env
stop_rig  # only ever this rig's daemon: the pid file lives in its XDG_RUNTIME_DIR
pulseaudio --daemonize=yes --exit-idle-time=-1 --use-pid-file=yes \
  --log-target=file:"$RIG/pulse.log" -n -F "$RIG/ci.pa" 2>>"$RIG/pulse.stderr"
for _ in $(seq 100); do pactl info >/dev/null 2>&1 && break; sleep 0.05; done
pactl info >/dev/null 2>&1 || { echo "audio-rig: PulseAudio failed to start" >&2; tail -20 "$RIG/pulse.log" >&2; exit 1; }
cat > "$RIG/env.sh" <<ENV
export AUDIO_RIG_DIR=$RIG XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR PULSE_SERVER=$PULSE_SERVER ALSA_CONFIG_PATH=$ALSA_CONFIG_PATH
ENV
echo "$RIG/env.sh"
