"""``session.json``: a recording as data (the user's side, per-turn summaries, the set-up).

``--record DIR`` writes ``audio.wav`` (left: the microphone after AEC, right: the agent) and
``events.jsonl`` while the session runs; when it ends, :func:`write_session` reads the events
back and writes ``session.json`` beside them. The file has:

* ``agent``: the agent file and its sha256 at the end of the session;
* ``versions``: agentconsole, livekit-agents, Python;
* ``options``: how the console was started (input WAV, mock tools, ...);
* ``audio``: ``audio.wav`` and ``start``, the console time of its sample 0;
* ``user``: the user's side in order: ``audio`` (a span ``[start, end]`` of ``audio.wav``,
  seconds), ``text`` (a typed turn), and the commands ``say``, ``interrupt``, ``mute``,
  ``mock_tool``. Each carries when it happened relative to the agent (``anchor``), which a
  replay uses to stay in step with an agent that is slower or faster than the recorded one;
* ``turns``: one summary per user turn (what the user said, the tool calls, the reply, the
  heard latency), turn 0 being what the agent said before the user's first turn;
* ``turn_events``: the console's own ``turn`` events, verbatim, when it emitted them.

Pure Python and numpy-free: the viewer, the replay and the exporter all read it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT",
    "SessionFile",
    "SessionFileError",
    "build_session",
    "load_events",
    "load_session",
    "summarize_turns",
    "write_session",
]

FORMAT = 1
SESSION_JSON = "session.json"
EVENTS_JSONL = "events.jsonl"
AUDIO_WAV = "audio.wav"

_SPEECH_PAD = 0.5
"""Seconds of microphone kept before the VAD said "speaking": Silero needs some speech before
it fires, so the recorded span starts a little earlier than the event."""


class SessionFileError(Exception):
    """The folder is not a usable recording (one-line message)."""


@dataclass
class SessionFile:
    """A loaded ``session.json`` (or one built from ``events.jsonl``)."""

    dir: Path
    data: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def agent_file(self) -> Path | None:
        """The recorded agent file, or None when unknown."""
        path = (self.data.get("agent") or {}).get("file")
        return Path(path) if path else None

    @property
    def user(self) -> list[dict[str, Any]]:
        """The user's side: audio spans, typed turns and commands, in order."""
        return list(self.data.get("user") or [])

    @property
    def turns(self) -> list[dict[str, Any]]:
        """Per-turn summaries (turn 0: the agent before the user's first turn)."""
        return list(self.data.get("turns") or [])

    @property
    def audio_path(self) -> Path:
        """The stereo recording (left: microphone, right: agent)."""
        return self.dir / str((self.data.get("audio") or {}).get("file") or AUDIO_WAV)

    @property
    def audio_start(self) -> float:
        """Console time (s) of sample 0 of ``audio.wav``."""
        return float((self.data.get("audio") or {}).get("start") or 0.0)


def load_events(dir: Path) -> list[dict[str, Any]]:
    """The events of the last session recorded in ``dir/events.jsonl`` (the file is appended
    to: a folder recorded twice holds two sessions; the clock restarting marks the second)."""
    path = dir / EVENTS_JSONL
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SessionFileError(f"{dir}: no {EVENTS_JSONL} (not a --record folder)") from None
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    events: list[dict[str, Any]] = []
    last_t = -1.0
    for line in lines:
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a crash
        if not isinstance(ev, dict):
            continue
        t = float(ev.get("t") or 0.0)
        if t < last_t - 1.0 or ev.get("type") == "recording":
            events = []  # a new session starts here
        last_t = t
        events.append(ev)
    return events


def load_session(dir: Path) -> SessionFile:
    """Load ``dir/session.json``; without it, build the same data from ``events.jsonl``."""
    dir = Path(dir)
    if not dir.is_dir():
        raise SessionFileError(f"{dir}: no such folder")
    events = load_events(dir)
    path = dir / SESSION_JSON
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SessionFileError(f"{path}: not a readable session file ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SessionFileError(f"{path}: unknown session file format")
        return SessionFile(dir, data, events)
    return SessionFile(dir, build_session(events, None, {}), events)


def write_session(
    dir: Path, agent_file: Path | None, options: dict[str, Any] | None = None
) -> SessionFile:
    """Build ``session.json`` from ``dir/events.jsonl`` and write it. Returns it."""
    events = load_events(dir)
    data = build_session(events, agent_file, options or {})
    path = Path(dir) / SESSION_JSON
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return SessionFile(Path(dir), data, events)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _versions(events: list[dict[str, Any]]) -> dict[str, Any]:
    from .. import __version__

    agents = next((e.get("agents_version") for e in events if e.get("type") == "hello"), None)
    python = next((e.get("python") for e in events if e.get("type") == "hello"), None)
    return {
        "agentconsole": __version__,
        "livekit_agents": agents,
        "python": python or sys.version.split()[0],
    }


def build_session(
    events: list[dict[str, Any]], agent_file: Path | None, options: dict[str, Any]
) -> dict[str, Any]:
    """The ``session.json`` object for one session's events."""
    audio_start = next(
        (float(e.get("audio_start") or 0.0) for e in events if e.get("type") == "recording"),
        0.0,
    )
    user = _user_side(events, audio_start)
    return {
        "format": FORMAT,
        "agent": {
            "file": None if agent_file is None else str(agent_file),
            "sha256": None if agent_file is None else _sha256(agent_file),
        },
        "versions": _versions(events),
        "options": options,
        "audio": {"file": AUDIO_WAV, "start": audio_start, "rate": 24000, "channels": 2},
        "duration": round(max((float(e.get("t") or 0) for e in events), default=0.0), 3),
        "user": user,
        "turns": summarize_turns(events, audio_start),
        "turn_events": [e for e in events if e.get("type") == "turn"],
    }


# -- the user's side ------------------------------------------------------------------------


class AgentClock:
    """Follows the agent through the events: where a user action falls relative to it.

    The recorder walks a finished session with it (times from the events' ``t``); the replay
    player follows a live one (times from its own clock).
    """

    def __init__(self, start: float = 0.0) -> None:
        self.finals = 0  # user final transcripts so far
        self.ref_t = start  # time of the last final (or the session start)
        self.listens = 0  # agent -> listening transitions since ref_t
        self.listens_total = 0  # agent -> listening transitions in the whole session
        self.listening_since: float | None = None
        self.speeches = 0  # agent speech segments started since ref_t
        self.speech_started: float | None = None
        self.speaking = False
        self.listening = False

    def feed(self, ev: dict[str, Any], t: float | None = None) -> bool:
        """Take one event (at ``t``, default its ``t`` field); False when it says nothing here."""
        kind = ev.get("type")
        if t is None:
            t = float(ev.get("t") or 0.0)
        if kind == "user_transcript" and ev.get("final"):
            self.finals += 1
            self.ref_t = t
            self.listens = self.speeches = 0
        elif kind == "agent_state":
            listening = ev.get("state") == "listening"
            if listening and not self.listening:
                self.listens += 1
                self.listens_total += 1
                self.listening_since = t
            self.listening = listening
        elif kind == "agent_speech":
            if ev.get("state") == "started":
                self.speeches += 1
                self.speech_started = t
                self.speaking = True
            else:
                self.speaking = False
        else:
            return False
        return True

    def listening_base(self) -> float:
        """When the current wait began: the agent's last turn to listening, or the last final."""
        since = self.listening_since if self.listening_since is not None else self.ref_t
        return max(since, self.ref_t)

    def anchor(self, t: float) -> dict[str, Any]:
        """Where ``t`` falls: during the agent's speech (offset into it) or after the agent
        started listening (offset since then), plus the counts a replay waits for."""
        base: dict[str, Any] = {"finals_before": self.finals}
        if self.speaking and self.speech_started is not None:
            base.update(
                anchor="speech",
                speeches=self.speeches,
                offset=round(max(0.0, t - self.speech_started), 3),
            )
        else:
            base.update(
                anchor="listening",
                listens=self.listens,
                offset=round(max(0.0, t - self.listening_base()), 3),
            )
        return base


def _user_side(events: list[dict[str, Any]], audio_start: float) -> list[dict[str, Any]]:
    """The user's actions in order: speech spans of the microphone, typed turns, commands."""
    clock = AgentClock()
    out: list[dict[str, Any]] = []
    speaking_since: float | None = None
    anchor: dict[str, Any] = {}
    last_end = 0.0
    for ev in events:
        kind = ev.get("type")
        t = float(ev.get("t") or 0.0)
        if kind == "user_state":
            if ev.get("state") == "speaking" and speaking_since is None:
                speaking_since = max(t - _SPEECH_PAD, last_end, audio_start)
                anchor = clock.anchor(speaking_since)
            elif ev.get("state") != "speaking" and speaking_since is not None:
                out.append(
                    {
                        "kind": "audio",
                        "t": round(speaking_since, 3),
                        "audio": [
                            round(speaking_since - audio_start, 3),
                            round(t - audio_start, 3),
                        ],
                        **anchor,
                    }
                )
                last_end = t
                speaking_since = None
        elif kind == "command":
            name = str(ev.get("cmd"))
            args = dict(ev.get("args") or {})
            entry: dict[str, Any] = {"kind": "text" if name == "user_text" else name, "t": t}
            entry.update(args)
            entry.update(clock.anchor(t))
            out.append(entry)
        clock.feed(ev)
    return out


# -- per-turn summaries ---------------------------------------------------------------------


def _new_turn(index: int, user_text: str | None, source: str | None, t: float) -> dict[str, Any]:
    return {
        "index": index,
        "user_text": user_text,
        "source": source,
        "t": round(t, 3),
        "tools": [],
        "reply": "",
        "replies": [],
        "interrupted": False,
        "heard_latency": None,
        "e2e": None,
        "segments": [],
    }


def summarize_turns(events: list[dict[str, Any]], audio_start: float = 0.0) -> list[dict[str, Any]]:
    """One summary per user turn, from the events that exist in every version: a final
    ``user_transcript`` (spoken or typed) opens a turn; tool calls, agent messages, metrics
    and the first agent speech after it belong to it. Turn 0 is what came before the user's
    first turn (the greeting). ``heard_latency``: from the end of the user's speech (the VAD's
    "listening") or the typed turn, to the agent's first audio of the reply."""
    turns = [_new_turn(0, None, None, 0.0)]
    speech_end: float | None = None
    speaking_since: float | None = None
    spans: list[list[float]] = []
    for ev in events:
        kind = ev.get("type")
        t = float(ev.get("t") or 0.0)
        cur = turns[-1]
        if kind == "user_state":
            if ev.get("state") == "speaking" and speaking_since is None:
                speaking_since = t
            elif ev.get("state") != "speaking" and speaking_since is not None:
                start = max(speaking_since - _SPEECH_PAD, audio_start)
                spans.append([round(start - audio_start, 3), round(t - audio_start, 3)])
                speech_end, speaking_since = t, None
        elif kind == "user_transcript" and ev.get("final"):
            source = str(ev.get("source") or "stt")
            cur = _new_turn(len(turns), str(ev.get("text") or ""), source, t)
            cur["segments"], spans = spans, []
            cur["_heard_from"] = t if source == "text" or speech_end is None else speech_end
            turns.append(cur)
        elif kind == "tool_ended":
            try:
                arguments = json.loads(str(ev.get("arguments") or "{}"))
            except json.JSONDecodeError:
                arguments = ev.get("arguments")
            cur["tools"].append(
                {
                    "name": ev.get("name"),
                    "arguments": arguments,
                    "output": ev.get("output"),
                    "error": ev.get("error"),
                    "mocked": bool(ev.get("mocked", False)),
                }
            )
        elif kind == "agent_turn":
            text = str(ev.get("text") or "")
            if text:
                cur["replies"].append(text)
                cur["reply"] = " ".join(cur["replies"])
            cur["interrupted"] = cur["interrupted"] or bool(ev.get("interrupted"))
        elif kind == "agent_speech" and ev.get("state") == "started":
            start_from = cur.pop("_heard_from", None)
            if start_from is not None and cur["heard_latency"] is None:
                cur["heard_latency"] = round(t - float(start_from), 3)
        elif kind == "metrics" and ev.get("e2e") is not None and cur["e2e"] is None:
            cur["e2e"] = round(float(ev["e2e"]), 3)
    for turn in turns:
        turn.pop("_heard_from", None)
    return turns
