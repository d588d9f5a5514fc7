"""PortAudio device discovery and selection (sounddevice, imported lazily).

``import sounddevice`` loads PortAudio and enumerates devices once; it raises ``OSError`` when
the library is missing. Everything here turns such failures into :class:`AudioError` with one
line the CLI can print as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from .errors import AudioError

__all__ = [
    "DeviceInfo",
    "display_name",
    "format_device_table",
    "import_sounddevice",
    "list_devices",
    "rescan_devices",
    "resolve_device",
]

Kind = Literal["input", "output"]

_alsa_handler: Any = None  # keeps the ctypes callback alive for the life of the process


def import_sounddevice() -> ModuleType:
    """Import sounddevice, quieting alsa-lib; raise :class:`AudioError` if PortAudio is absent."""
    try:
        import sounddevice
    except OSError as exc:
        raise AudioError(
            f"PortAudio is not available ({exc}); install it (Debian/Ubuntu: apt install "
            "libportaudio2, macOS: brew install portaudio) or run with --input-wav/--no-audio"
        ) from None
    _silence_alsa()
    module: ModuleType = sounddevice
    return module


def _silence_alsa() -> None:
    """Route alsa-lib's own error lines (written straight to fd 2) to a no-op handler.

    They would scribble over a full-screen terminal UI (research/audio-rig.md, gotcha 5).
    PortAudio's own "Expression ... failed" lines are not covered; the engine's watchdog
    limits those by stopping a stream whose server went away.
    """
    global _alsa_handler
    if _alsa_handler is not None:
        return
    name = ctypes.util.find_library("asound") or "libasound.so.2"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        _alsa_handler = False  # not Linux/ALSA: nothing to silence
        return
    err_t = ctypes.CFUNCTYPE(
        None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
    )
    _alsa_handler = err_t(lambda *_: None)
    lib.snd_lib_error_set_handler(_alsa_handler)


@dataclass(frozen=True)
class DeviceInfo:
    """One row of the device table."""

    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    default_input: bool
    default_output: bool


def list_devices() -> list[DeviceInfo]:
    """Every PortAudio device, with the default input/output marked."""
    sd = import_sounddevice()
    try:
        devs = sd.query_devices()
        apis = [a["name"] for a in sd.query_hostapis()]
        default_in, default_out = (int(x) for x in sd.default.device)
    except sd.PortAudioError as exc:
        raise AudioError(f"cannot list audio devices: {exc}") from None
    return [
        DeviceInfo(
            index=int(d["index"]),
            name=str(d["name"]),
            hostapi=apis[d["hostapi"]] if 0 <= d["hostapi"] < len(apis) else "?",
            max_input_channels=int(d["max_input_channels"]),
            max_output_channels=int(d["max_output_channels"]),
            default_samplerate=float(d["default_samplerate"]),
            default_input=int(d["index"]) == default_in,
            default_output=int(d["index"]) == default_out,
        )
        for d in devs
    ]


def format_device_table(devices: list[DeviceInfo] | None = None) -> str:
    """A plain-text table of devices for ``--list-devices`` (no colour, fits 80 columns)."""
    rows = list_devices() if devices is None else devices
    if not rows:
        return (
            "No audio devices found (PortAudio sees none: is PulseAudio/PipeWire running?).\n"
            "Run without devices with --input-wav FILE or --no-audio."
        )
    width = min(44, max(len(r.name) for r in rows))
    lines = [f"{'ID':>3}  {'Name':<{width}}  {'In':>3}  {'Out':>3}  {'Rate':>6}  Default"]
    for r in rows:
        flags = (("input", r.default_input), ("output", r.default_output))
        marks = ",".join(m for m, on in flags if on)
        name = r.name if len(r.name) <= width else r.name[: width - 1] + "…"
        lines.append(
            f"{r.index:>3}  {name:<{width}}  {r.max_input_channels:>3}  "
            f"{r.max_output_channels:>3}  {r.default_samplerate:>6.0f}  {marks}".rstrip()
        )
    return "\n".join(lines)


def resolve_device(spec: str | int | None, kind: Kind) -> DeviceInfo:
    """Find the device for ``spec`` (None: the default, an index, or a name substring)."""
    devs = list_devices()
    what = "microphone" if kind == "input" else "speaker"
    usable = [d for d in devs if _channels(d, kind) > 0]
    if not usable:
        raise AudioError(
            f"no {what} found: PortAudio sees no {kind} device "
            "(is PulseAudio/PipeWire running? try --input-wav/--no-audio)"
        )
    if spec is None:
        for d in usable:
            if d.default_input if kind == "input" else d.default_output:
                return d
        return usable[0]
    if isinstance(spec, int) or spec.strip().isdigit():
        idx = int(spec)
        for d in devs:
            if d.index == idx:
                if _channels(d, kind) == 0:
                    raise AudioError(f"device {idx} ({d.name}) has no {kind} channels")
                return d
        raise AudioError(f"no audio device with index {idx} (see --list-devices)")
    needle = spec.strip().lower()
    exact = [d for d in usable if d.name.lower() == needle]
    hits = exact or [d for d in usable if needle in d.name.lower()]
    if not hits:
        raise AudioError(f"no {kind} device matches {spec!r} (see --list-devices)")
    if len(hits) > 1:
        listed = ", ".join(f"{d.index} {d.name!r}" for d in hits)
        raise AudioError(f"{kind} device {spec!r} matches several devices: {listed}; use the ID")
    return hits[0]


def rescan_devices() -> None:
    """Re-enumerate devices (e.g. after the sound server started). Close all streams first."""
    sd = import_sounddevice()
    sd._terminate()
    sd._initialize()


def _channels(d: DeviceInfo, kind: Kind) -> int:
    return d.max_input_channels if kind == "input" else d.max_output_channels


# ALSA devices that stand for the sound server's default device rather than naming one
_SERVER_ALIASES = frozenset({"default", "pulse", "sysdefault", "pipewire"})


def display_name(dev: DeviceInfo, kind: Kind) -> str:
    """The name to show for ``dev``: for ALSA's ``default``/``pulse`` (the sound server's
    default device), the name of the device the server really uses; otherwise ``dev.name``."""
    if dev.name.lower() not in _SERVER_ALIASES:
        return dev.name
    return _server_default(kind) or dev.name


def _server_default(kind: Kind) -> str | None:
    """The PulseAudio/PipeWire default source or sink's description (``pactl``), if any."""
    import shutil
    import subprocess

    if shutil.which("pactl") is None:
        return None
    try:
        info = subprocess.run(
            ["pactl", "info"], capture_output=True, text=True, timeout=2, check=False
        ).stdout
        label = "Default Source:" if kind == "input" else "Default Sink:"
        name = next(
            (ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith(label)), ""
        )
        if not name:
            return None
        listing = subprocess.run(
            ["pactl", "list", "sources" if kind == "input" else "sinks"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = False
    for line in listing.splitlines():
        text = line.strip()
        if text.startswith("Name:"):
            found = text.split(":", 1)[1].strip() == name
        elif found and text.startswith("Description:"):
            return text.split(":", 1)[1].strip() or name
    return name
