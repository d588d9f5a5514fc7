"""The wire between the console and the job process: framing (contract).

Pure Python: no Textual, no livekit, no numpy. Both processes import this module.

Framing: every frame is ``!IB`` (4-byte big-endian payload length, 1-byte kind) followed by the
payload. Kinds:

* ``KIND_JSON`` (``J``): a UTF-8 JSON object, either an event (has ``"type"``) or a command
  (has ``"cmd"``).
* ``KIND_MIC`` (``M``): console -> job, microphone audio, PCM16 mono at ``SAMPLE_RATE``: a
  whole number of 10 ms frames (a device's 60 ms block arrives as one).
* ``KIND_PLAY`` (``P``): job -> console, agent audio, PCM16 mono at ``SAMPLE_RATE`` (any length).

A JSON frame carries a plain dict; what the dicts hold (every event and command, their fields)
is defined once, as typed structures, in ``console/events.py`` (``docs/protocol.md``).
"""

from __future__ import annotations

import json
import struct
from typing import Any, Final

__all__ = [
    "AUDIO_FRAME_BYTES",
    "AUDIO_FRAME_SAMPLES",
    "FRAME_HEADER",
    "KIND_JSON",
    "KIND_MIC",
    "KIND_PLAY",
    "MAX_FRAME",
    "SAMPLE_RATE",
    "Event",
    "FrameDecoder",
    "ProtocolError",
    "decode_json",
    "encode_audio",
    "encode_json",
    "event",
]

SAMPLE_RATE: Final = 24000
"""Sample rate of every audio frame on the wire (both directions)."""
AUDIO_FRAME_SAMPLES: Final = SAMPLE_RATE // 100
"""Samples in one 10 ms microphone frame."""
AUDIO_FRAME_BYTES: Final = AUDIO_FRAME_SAMPLES * 2
"""Bytes in one 10 ms PCM16 mono microphone frame."""

FRAME_HEADER: Final = struct.Struct("!IB")
KIND_JSON: Final = ord("J")
KIND_MIC: Final = ord("M")
KIND_PLAY: Final = ord("P")
MAX_FRAME: Final = 16 * 1024 * 1024
"""Largest payload accepted; a bigger length means the stream is corrupt."""

Event = dict[str, Any]
"""An event or a command as it travels: a JSON object (typed: ``console/events.py``)."""


class ProtocolError(Exception):
    """The byte stream is not a valid sequence of frames."""


def event(type: str, **fields: Any) -> Event:
    """Build an event dict (``t`` is stamped by the console).

    Compatibility only: the supervisor still emits by type name until its split into a job
    pool and media routes lands; everything else builds events with ``console/events.py``.
    Remove once nothing calls it.
    """
    return {"type": type, **fields}


def encode_json(obj: Event) -> bytes:
    """Encode one JSON frame."""
    payload = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    return FRAME_HEADER.pack(len(payload), KIND_JSON) + payload


def encode_audio(kind: int, pcm: bytes) -> bytes:
    """Encode one audio frame (``KIND_MIC`` or ``KIND_PLAY``)."""
    return FRAME_HEADER.pack(len(pcm), kind) + pcm


def decode_json(payload: bytes) -> Event:
    """Decode a JSON frame payload into a dict."""
    try:
        obj = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"bad JSON frame: {exc}") from None
    if not isinstance(obj, dict):
        raise ProtocolError("a JSON frame must hold an object")
    return obj


class FrameDecoder:
    """Incremental decoder: feed bytes, get ``(kind, payload)`` frames back."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Add bytes read from the socket; return every complete frame."""
        self._buf += data
        frames: list[tuple[int, bytes]] = []
        head = FRAME_HEADER.size
        while len(self._buf) >= head:
            size, kind = FRAME_HEADER.unpack_from(self._buf)
            if size > MAX_FRAME or kind not in (KIND_JSON, KIND_MIC, KIND_PLAY):
                raise ProtocolError(f"corrupt frame header (size={size}, kind={kind})")
            if len(self._buf) < head + size:
                break
            frames.append((kind, bytes(self._buf[head : head + size])))
            del self._buf[: head + size]
        return frames
