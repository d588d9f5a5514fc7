"""A small recording on disk for the viewer tests: the events of test_session_file (plus VAD)
and an ``audio.wav`` whose left channel (the user) and right channel (the agent) carry tones
where each spoke."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
from test_session_file import EVENTS

from agentconsole.replay.session_file import write_session

RATE = 24000


def _vad() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(0, 140):
        t = 1.0 + i * 0.1
        speaking = 5.5 <= t <= 7.0 or 8.6 <= t <= 9.9
        out.append(
            {
                "type": "vad",
                "t": round(t, 2),
                "probability": 0.9 if speaking else 0.05,
                "speaking": speaking,
            }
        )
    return out


def make_recording(folder: Path) -> Path:
    """Write events.jsonl, audio.wav and session.json into ``folder``; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    events = sorted([*EVENTS, *_vad()], key=lambda e: float(e["t"]))  # type: ignore[arg-type]
    with open(folder / "events.jsonl", "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
    start = 0.5  # the recording event's audio_start
    seconds = 15.0
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    left = np.zeros(n)
    right = np.zeros(n)
    for a, b in ((5.0, 7.0), (8.1, 9.9)):  # the user's speech, console time
        sl = slice(int((a - start) * RATE), int((b - start) * RATE))
        left[sl] = 0.3 * np.sin(2 * np.pi * 440 * t[sl])
    for a, b in ((1.4, 4.0), (7.8, 9.0), (12.9, 13.1)):  # the agent's
        sl = slice(int((a - start) * RATE), int((b - start) * RATE))
        right[sl] = 0.3 * np.sin(2 * np.pi * 660 * t[sl])
    stereo = np.empty(2 * n, dtype="<i2")
    stereo[0::2] = (left * 32767).astype(np.int16)
    stereo[1::2] = (right * 32767).astype(np.int16)
    with wave.open(str(folder / "audio.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(stereo.tobytes())
    write_session(folder, None, {})
    return folder
