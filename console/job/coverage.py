"""Which framework session events the job forwards, and why the others are not (issue 10).

One table: every event name an ``AgentSession`` of a supported livekit-agents can emit
(``livekit.agents.voice.events.EventTypes``) maps to either the protocol event(s) it becomes
or the reason it is left out. ``tests/job/test_event_coverage.py`` compares this table with
the installed framework's list, so a new framework event fails CI until it is classified.

Protocol events that come from framework hooks rather than session events are not in this
table: ``agent_changed``, ``task_started`` and ``task_ended`` (``AgentActivity.start`` and
``resume``), ``user_audio_discarded`` (``AgentActivity.push_audio``), ``eot_prediction``
(``AgentActivity.on_eot_prediction``), ``vad`` (the VAD stream).

Pure Python: no livekit import here (the test and the bridge read the framework).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COVERAGE", "Coverage", "forwarded", "unclassified"]


@dataclass(frozen=True)
class Coverage:
    """How one framework session event is handled."""

    forwarded_as: tuple[str, ...]
    """Protocol event types it becomes (empty when it is not forwarded)."""
    reason: str
    """Why it is handled this way (for a forwarded event: what the protocol event adds)."""


COVERAGE: dict[str, Coverage] = {
    "user_state_changed": Coverage(("user_state",), "the user's state, as the framework has it"),
    "agent_state_changed": Coverage(("agent_state",), "the agent's state; ends a turn"),
    "user_input_transcribed": Coverage(("user_transcript",), "interim and final transcripts"),
    "user_transcription_timeout": Coverage(
        ("user_transcription_timeout",), "speech the STT never transcribed"
    ),
    "conversation_item_added": Coverage(
        ("agent_turn", "turn"),
        "committed messages; the user's opens a turn, the agent's ends it. A handoff's "
        "`AgentHandoff` item (1.8) is not forwarded: `agent_changed` comes from the activity "
        "switch itself, on every version (1.3 has no such item), before the new agent speaks",
    ),
    "agent_false_interruption": Coverage(
        ("false_interruption",), "the agent stopped for speech that was not a turn"
    ),
    "overlapping_speech": Coverage(
        ("overlapping_speech",), "the user spoke over the agent (interruption or backchannel)"
    ),
    "function_tools_executed": Coverage(("tool_ended",), "tool outputs and errors"),
    "tool_execution_updated": Coverage(("tool_started",), "a tool starts, before its body"),
    "metrics_collected": Coverage(
        ("metrics", "usage", "turn"), "tokens, characters and audio seconds per turn and session"
    ),
    "speech_created": Coverage(
        ("speech_created", "agent_uninterruptible"),
        "the agent scheduled a reply; one with allow_interruptions=False is marked as such "
        "(and, after a reload, a reply the agent starts by itself is not answered twice)",
    ),
    "error": Coverage(("error",), "session errors"),
    "close": Coverage(("log",), "the session closed (the job exits after it)"),
    "session_usage_updated": Coverage(
        (),
        "the same totals as `usage`, which is built from metrics_collected so that every "
        "supported version (1.3 has no session_usage_updated) reports them alike",
    ),
    "debug_message": Coverage(
        (),
        "a protobuf payload for LiveKit's remote session tooling; the console shows the same "
        "facts as typed events",
    ),
}
"""Every known session event name -> how it is handled."""


def forwarded() -> list[str]:
    """Session event names the bridge subscribes to."""
    return [name for name, c in COVERAGE.items() if c.forwarded_as]


def unclassified(framework_events: list[str]) -> list[str]:
    """Names in ``framework_events`` missing from the table (must be empty)."""
    return [name for name in framework_events if name not in COVERAGE]
