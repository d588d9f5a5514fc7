"""Synthetic event streams shaped like the console's real ones (see docs/protocol.md).

Each builder returns a list of event dicts with ``t`` stamps, in the order the supervisor would
deliver them: a session start, VAD at ~31 Hz while someone talks, interim then final
transcripts, tokens, tool calls, metrics, interruptions, reloads and crashes.
"""

from __future__ import annotations

import json
from typing import Any

Event = dict[str, Any]

VAD_RATE = 31.25
"""Silero runs on 32 ms windows: ~31 inferences a second."""

TRACEBACK = """Traceback (most recent call last):
  File "/home/dev/agent/agent.py", line 42, in entrypoint
    await session.start(agent=Assistant(), room=ctx.room)
  File "/home/dev/agent/agent.py", line 17, in __init__
    super().__init__(instructions=load_prompt("prompt.md"))
  File "/home/dev/agent/agent.py", line 9, in load_prompt
    return open(path).read()
FileNotFoundError: [Errno 2] No such file or directory: 'prompt.md'
"""


def session_start(t: float = 0.0, pid: int = 4242) -> list[Event]:
    """The supervisor starts a job, it says hello and becomes ready."""
    return [
        {"type": "job_started", "t": t, "pid": pid},
        {
            "type": "hello",
            "t": t + 0.4,
            "pid": pid,
            "agents_version": "1.8.9",
            "python": "3.11.7",
        },
        {
            "type": "audio",
            "t": t + 0.5,
            "input": "vmic",
            "output": "vspeaker",
            "muted": False,
            "aec": True,
            "level": -100.0,
            "underruns": 0,
            "problem": None,
        },
        {"type": "job_ready", "t": t + 0.9, "pid": pid},
        {"type": "agent_state", "t": t + 1.0, "state": "listening"},
    ]


def vad_stretch(
    start: float, duration: float, speech: tuple[float, float] | None = None
) -> list[Event]:
    """VAD inferences from ``start`` for ``duration`` s; ``speech`` = (from, to) is loud."""
    out: list[Event] = []
    n = int(duration * VAD_RATE)
    for i in range(n):
        t = start + i / VAD_RATE
        p = 0.04 + 0.03 * ((i * 7) % 5) / 4
        speaking = False
        if speech is not None and speech[0] <= t < speech[1]:
            # A voiced stretch with a dip between words.
            p = 0.93 - 0.35 * (1 if (i % 11) in (5, 6) else 0)
            speaking = True
        elif speech is not None and speech[1] <= t < speech[1] + 0.5:
            # The VAD keeps "speaking" during min_silence_duration after the voice stops.
            speaking = True
        out.append({"type": "vad", "t": round(t, 4), "probability": p, "speaking": speaking})
    return out


def user_says(start: float, words: str, interim_every: int = 2) -> list[Event]:
    """Interim transcripts growing word by word, then the final one."""
    out: list[Event] = [{"type": "user_state", "t": start, "state": "speaking"}]
    parts = words.split()
    for i in range(interim_every, len(parts), interim_every):
        out.append(
            {
                "type": "user_transcript",
                "t": start + 0.25 * i,
                "text": " ".join(parts[:i]),
                "final": False,
            }
        )
    end = start + 0.25 * len(parts)
    out.append({"type": "user_state", "t": end + 0.3, "state": "listening"})
    out.append({"type": "user_transcript", "t": end + 0.4, "text": words, "final": True})
    return out


def tokens(start: float, text: str, rate: float = 40.0) -> list[Event]:
    """``agent_text`` deltas, one per word (with its trailing space)."""
    out: list[Event] = []
    words = text.split(" ")
    for i, word in enumerate(words):
        delta = word if i == len(words) - 1 else word + " "
        out.append({"type": "agent_text", "t": start + i / rate, "delta": delta})
    return out


def tool_turn(t0: float = 0.0) -> list[Event]:
    """A full tool turn: user asks, the agent calls get_weather, then answers."""
    question = "what's the weather like in Paris today"
    answer = "It's sunny in Paris today, twenty-one degrees with a light breeze."
    evs: list[Event] = []
    evs += session_start(t0)
    evs += vad_stretch(t0 + 1.0, 4.0, speech=(t0 + 1.6, t0 + 3.6))
    evs += user_says(t0 + 1.6, question)
    evs += [
        {"type": "agent_state", "t": t0 + 4.1, "state": "thinking"},
        {
            "type": "tool_started",
            "t": t0 + 4.4,
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": json.dumps({"city": "Paris", "unit": "celsius"}),
        },
        {
            "type": "tool_ended",
            "t": t0 + 4.82,
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": json.dumps({"city": "Paris", "unit": "celsius"}),
            "output": json.dumps({"sky": "sunny", "temperature": 21, "wind_kmh": 9}),
            "error": None,
            "duration": 0.42,
        },
    ]
    evs += tokens(t0 + 5.0, answer)
    evs += [
        {"type": "agent_state", "t": t0 + 5.3, "state": "speaking"},
        {"type": "agent_speech", "t": t0 + 5.3, "state": "started", "played": 0.0},
        {
            "type": "metrics",
            "t": t0 + 5.3,
            "eou_delay": 0.52,
            "transcription_delay": 0.11,
            "llm_ttft": 0.34,
            "tts_ttfb": 0.19,
            "e2e": 1.58,
        },
        {
            "type": "agent_speech",
            "t": t0 + 9.2,
            "state": "finished",
            "played": 3.9,
            "interrupted": False,
        },
        {"type": "agent_turn", "t": t0 + 9.2, "text": answer, "interrupted": False},
        {"type": "agent_state", "t": t0 + 9.3, "state": "listening"},
    ]
    evs += vad_stretch(t0 + 5.0, 4.5)
    return sorted(evs, key=lambda e: e["t"])


def interrupted_turn(t0: float = 0.0) -> list[Event]:
    """The agent talks; the user barges in; the committed text is what was spoken."""
    answer = (
        "Sure. The museum opens at nine in the morning and closes at six, except on "
        "Tuesdays when it is closed all day for maintenance."
    )
    spoken = "Sure. The museum opens at nine in the morning"
    evs: list[Event] = []
    evs += session_start(t0)
    evs += user_says(t0 + 1.0, "when does the museum open")
    evs += tokens(t0 + 3.0, answer)
    evs += [
        {"type": "agent_state", "t": t0 + 3.3, "state": "speaking"},
        {
            "type": "metrics",
            "t": t0 + 3.3,
            "eou_delay": 0.41,
            "transcription_delay": 0.09,
            "llm_ttft": 0.28,
            "tts_ttfb": 0.17,
            "e2e": 0.74,
        },
        {"type": "user_state", "t": t0 + 5.0, "state": "speaking"},
        {"type": "user_transcript", "t": t0 + 5.3, "text": "wait", "final": False},
        {
            "type": "agent_speech",
            "t": t0 + 5.4,
            "state": "finished",
            "played": 2.1,
            "interrupted": True,
        },
        {"type": "agent_turn", "t": t0 + 5.4, "text": spoken, "interrupted": True},
        {"type": "agent_state", "t": t0 + 5.4, "state": "listening"},
        {"type": "user_transcript", "t": t0 + 5.9, "text": "wait, and on Sunday?", "final": True},
        {"type": "user_state", "t": t0 + 6.0, "state": "listening"},
    ]
    evs += vad_stretch(t0 + 1.0, 5.5, speech=(t0 + 5.0, t0 + 5.9))
    return sorted(evs, key=lambda e: e["t"])


def crash_and_reload(t0: float = 0.0) -> list[Event]:
    """A saved file reloads the job; the new code crashes on import (traceback shown)."""
    evs: list[Event] = []
    evs += session_start(t0)
    evs += [
        {"type": "user_transcript", "t": t0 + 1.5, "text": "hello there", "final": True},
        {"type": "agent_turn", "t": t0 + 2.5, "text": "Hi! How can I help?", "interrupted": False},
        {"type": "reload", "t": t0 + 4.0, "files": ["/home/dev/agent/agent.py"], "reason": "file"},
        {"type": "job_exited", "t": t0 + 4.1, "pid": 4242, "code": 0, "error": None},
        {"type": "job_started", "t": t0 + 4.2, "pid": 4300},
        {
            "type": "log",
            "t": t0 + 4.6,
            "level": "INFO",
            "logger": "stderr",
            "message": "Traceback (most recent call last):",
        },
        {"type": "job_exited", "t": t0 + 4.7, "pid": 4300, "code": 1, "error": TRACEBACK},
        {
            "type": "error",
            "t": t0 + 4.7,
            "level": "ERROR",
            "message": "job crashed: FileNotFoundError",
        },
    ]
    return evs


def tool_failed(t0: float = 0.0) -> list[Event]:
    """A tool call that raises."""
    evs: list[Event] = []
    evs += session_start(t0)
    evs += user_says(t0 + 1.0, "book a table for two at eight")
    args = json.dumps({"party_size": 2, "time": "20:00", "restaurant": "Chez Nous"})
    evs += [
        {"type": "agent_state", "t": t0 + 3.0, "state": "thinking"},
        {
            "type": "tool_started",
            "t": t0 + 3.2,
            "call_id": "call_9",
            "name": "book_table",
            "arguments": args,
        },
        {
            "type": "tool_ended",
            "t": t0 + 5.2,
            "call_id": "call_9",
            "name": "book_table",
            "arguments": args,
            "output": None,
            "error": "TimeoutError: reservation service did not answer in 2.0 s",
            "duration": 2.0,
        },
    ]
    evs += vad_stretch(t0 + 1.0, 4.5, speech=(t0 + 1.0, t0 + 2.8))
    return sorted(evs, key=lambda e: e["t"])


def logs(t0: float = 0.0) -> list[Event]:
    """Log records of every level and job stdout/stderr lines."""
    return [
        {
            "type": "log",
            "t": t0 + 0.1,
            "level": "DEBUG",
            "logger": "livekit.agents",
            "message": "vad ready",
        },
        {
            "type": "log",
            "t": t0 + 0.2,
            "level": "INFO",
            "logger": "agent",
            "message": "session started",
        },
        {
            "type": "log",
            "t": t0 + 0.3,
            "level": "WARNING",
            "logger": "livekit.agents",
            "message": "slow tts",
        },
        {
            "type": "log",
            "t": t0 + 0.4,
            "level": "ERROR",
            "logger": "agent",
            "message": "db unreachable",
        },
        {
            "type": "log",
            "t": t0 + 0.5,
            "level": "INFO",
            "logger": "stdout",
            "message": "print from agent",
        },
    ]
