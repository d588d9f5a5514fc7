"""The wire between the console and the job process, and the event/command schema (contract).

Pure Python: no Textual, no livekit, no numpy. Both processes import this module.

Framing: every frame is ``!IB`` (4-byte big-endian payload length, 1-byte kind) followed by the
payload. Kinds:

* ``KIND_JSON`` (``J``): a UTF-8 JSON object, either an event (has ``"type"``) or a command
  (has ``"cmd"``).
* ``KIND_MIC`` (``M``): console -> job, 10 ms of microphone audio, PCM16 mono at ``SAMPLE_RATE``.
* ``KIND_PLAY`` (``P``): job -> console, agent audio, PCM16 mono at ``SAMPLE_RATE`` (any length).

Events are plain dicts so they serialise as they are; ``docs/protocol.md`` lists every type and
field. The helpers below build them so that field names live in one place.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Final

__all__ = [
    "AGENT_STATES",
    "AUDIO_FRAME_BYTES",
    "AUDIO_FRAME_SAMPLES",
    "COMMANDS",
    "EVENT_TYPES",
    "FRAME_HEADER",
    "KIND_JSON",
    "KIND_MIC",
    "KIND_PLAY",
    "MAX_FRAME",
    "SAMPLE_RATE",
    "USER_STATES",
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
"""An event or a command: a JSON object."""

EVENT_TYPES: Final = frozenset(
    {
        # job lifecycle (emitted by the console's supervisor)
        "job_started",
        "job_ready",
        "job_exited",
        "reload",
        # session (emitted by the job)
        "vad",
        "user_state",
        "agent_state",
        "user_transcript",
        "agent_text",
        "agent_turn",
        "tool_started",
        "tool_ended",
        "metrics",
        "log",
        "error",
        # extensions beyond the design's minimum
        "agent_speech",  # playback of an agent message: started / finished (played position)
        "agent_spoken",  # agent text paced to playback: what the user has heard so far
        "audio",  # audio engine status: devices, mute, level, underruns, problems
        "hello",  # first event of a job process: pid, versions (internal, also shown)
        "history",  # the session's chat context, for carrying it over a reload (internal)
        "room",  # room-connect mode: connection state and participants
    }
)
"""Every event type a console may emit. ``docs/protocol.md`` documents the fields."""

COMMANDS: Final = frozenset(
    {"say", "user_text", "interrupt", "reload", "mute", "quit", "start", "shutdown", "playout"}
)
"""Commands. ``start``, ``shutdown`` and ``playout`` are console->job only."""

USER_STATES: Final = ("listening", "speaking", "away")
AGENT_STATES: Final = ("initializing", "idle", "listening", "thinking", "speaking")


class ProtocolError(Exception):
    """The byte stream is not a valid sequence of frames."""


def event(type: str, **fields: Any) -> Event:
    """Build an event dict. ``t`` is added by whoever stamps it with the console clock."""
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
