"""Snapshots of the main states, from recorded event streams, with the clock frozen.

Update with ``pytest tests/tui --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streams
from textual.pilot import Pilot
from tui_support import INFO, FakeHost, caught_up, frozen_clock

from agentconsole.app import AgentConsoleApp

SIZE = (120, 40)
Compare = Callable[..., bool]


def until(events: list[dict[str, Any]], t: float) -> list[dict[str, Any]]:
    """The events of a stream up to time ``t`` (a moment in the middle of it)."""
    return [e for e in events if float(e["t"]) <= t]


def make_app(events: list[dict[str, Any]], theme: str = "tokyo-night") -> AgentConsoleApp:
    app = AgentConsoleApp(FakeHost(), INFO, clock=frozen_clock, theme=theme)
    app.feed_events(events)
    return app


async def _settle(pilot: Pilot[Any]) -> None:
    await caught_up(pilot)


def test_snapshot_idle(snap_compare: Compare) -> None:
    events = streams.session_start() + streams.vad_stretch(1.0, 8.0)
    assert snap_compare(make_app(events), terminal_size=SIZE, run_before=_settle)


def test_snapshot_user_speaking(snap_compare: Compare) -> None:
    app = make_app(until(streams.tool_turn(), 3.2))
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_snapshot_agent_streaming(snap_compare: Compare) -> None:
    app = make_app(until(streams.interrupted_turn(), 3.45))
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_snapshot_agent_interrupted(snap_compare: Compare) -> None:
    app = make_app(streams.interrupted_turn())
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_snapshot_tool_running(snap_compare: Compare) -> None:
    app = make_app(until(streams.tool_turn(), 4.7))
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_snapshot_tool_done(snap_compare: Compare) -> None:
    assert snap_compare(make_app(streams.tool_turn()), terminal_size=SIZE, run_before=_settle)


def test_snapshot_tool_failed(snap_compare: Compare) -> None:
    assert snap_compare(make_app(streams.tool_failed()), terminal_size=SIZE, run_before=_settle)


def test_snapshot_job_crashed(snap_compare: Compare) -> None:
    app = make_app(streams.crash_and_reload())
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_snapshot_logs_and_input(snap_compare: Compare) -> None:
    app = make_app(streams.session_start() + streams.logs())
    assert snap_compare(app, terminal_size=SIZE, press=["l", "t", *"hello"], run_before=_settle)


# --- any terminal (issue 15): small, large, light; the live settings panel --------------------

SETTINGS = {
    "type": "settings",
    "t": 9.0,
    "values": {
        "activation_threshold": 0.5,
        "deactivation_threshold": 0.35,
        "min_speech_duration": 0.05,
        "min_silence_duration": 0.55,
        "prefix_padding_duration": 0.5,
        "min_endpointing_delay": 0.8,
        "max_endpointing_delay": 3.0,
        "turn_detection": "vad",
        "min_interruption_duration": 0.5,
        "min_interruption_words": 0,
        "false_interruption_timeout": 2.0,
        "aec_warmup_duration": 3.0,
    },
    "overridden": ["min_endpointing_delay"],
    "code": ['AgentSession(turn_handling={"endpointing": {"min_delay": 0.8}})'],
}


def test_snapshot_80x24(snap_compare: Compare) -> None:
    app = make_app(streams.tool_turn())
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settle)


def test_snapshot_200x60(snap_compare: Compare) -> None:
    app = make_app(streams.tool_turn())
    assert snap_compare(app, terminal_size=(200, 60), run_before=_settle)


def test_snapshot_light_theme(snap_compare: Compare) -> None:
    app = make_app(streams.tool_turn(), theme="textual-light")
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_snapshot_light_theme_80x24_settings(snap_compare: Compare) -> None:
    app = make_app([*streams.tool_turn(), SETTINGS], theme="textual-light")
    assert snap_compare(app, terminal_size=(80, 24), press=["u"], run_before=_settle)


def test_snapshot_settings_80x24(snap_compare: Compare) -> None:
    app = make_app([*streams.tool_turn(), SETTINGS])
    # the panel open, the threshold raised once (the host records it; no job answers here)
    assert snap_compare(app, terminal_size=(80, 24), press=["u", "right"], run_before=_settle)


def test_snapshot_settings_120x40(snap_compare: Compare) -> None:
    app = make_app([*streams.tool_turn(), SETTINGS])
    assert snap_compare(app, terminal_size=SIZE, press=["u", "down"], run_before=_settle)
