"""agentconsole.audio: the console's microphone, speaker, echo cancellation and recording.

Importing this package does not import sounddevice or livekit; they load on first use.
"""

from __future__ import annotations

from .config import DEFAULT_LATENCY, TUI_OUTPUT_LATENCY, AudioConfig
from .devices import (
    DeviceInfo,
    format_device_table,
    list_devices,
    rescan_devices,
    resolve_device,
)
from .engine import AudioEngine
from .errors import AudioError
from .wavfile import load_wav

__all__ = [
    "DEFAULT_LATENCY",
    "TUI_OUTPUT_LATENCY",
    "AudioConfig",
    "AudioEngine",
    "AudioError",
    "DeviceInfo",
    "format_device_table",
    "list_devices",
    "load_wav",
    "rescan_devices",
    "resolve_device",
]
