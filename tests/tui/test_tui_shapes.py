"""Agent shapes in the TUI (Pilot, synthetic event streams): text mode, handoffs, tasks,
uninterruptible speech, a VAD with no probability, a realtime model with no local VAD."""

from __future__ import annotations

import streams
from rich.color import Color as RichColor
from test_tui_app import SIZE, conversation_text, text_of
from textual.color import Color
from tui_support import FakeHost, caught_up, wait_for

from agentconsole.app import AgentConsoleApp
from agentconsole.state import Marker, SessionState
from agentconsole.widgets import ConversationView, HeaderBar, MarkerView, VadGraph


def _start() -> list[dict[str, object]]:
    return [
        *streams.session_start(),
        {"type": "agent_changed", "t": 1.0, "from": None, "to": "Greeter", "reason": "start"},
        {"type": "mode", "t": 1.0, "text": True, "reason": "no TTS", "turn_detection": "none"},
    ]


def test_state_follows_agents_tasks_and_mode() -> None:
    state = SessionState()
    state.apply_many(_start())
    assert state.text_mode is True and state.active_agent == "Greeter"
    assert not [i for i in state.items if isinstance(i, Marker)], "no divider at session start"
    state.apply_many(
        [
            {"type": "agent_changed", "t": 2, "from": "Greeter", "to": "Billing", "reason": "x"},
            {"type": "task_started", "t": 3, "name": "GetEmail"},
            {"type": "task_ended", "t": 4, "name": "GetEmail", "result": "a@b.c", "error": None},
            {"type": "agent_uninterruptible", "t": 5, "source": "say", "stopped": False},
            {"type": "agent_uninterruptible", "t": 6, "source": "say", "stopped": True},
        ]
    )
    state.apply({"type": "mode", "t": 7, "text": False, "reason": "switched to audio, but no TTS"})
    assert state.text_mode is False and state.notices[-1].level == "WARNING"
    texts = [i.text for i in state.items if isinstance(i, Marker)]
    assert texts[0] == "→ Billing" and state.active_agent == "Billing"
    assert texts[1:3] == ["task GetEmail started", "task GetEmail → a@b.c"]
    assert "allow_interruptions=False" in texts[3] and "forced" in texts[4]


def test_vad_without_probability() -> None:
    state = SessionState()
    state.apply({"type": "vad", "t": 1.0, "probability": None, "speaking": True})
    assert state.vad_total == 1 and not state.vad_has_probability and state.vad_speaking
    state.apply({"type": "vad", "t": 1.1, "probability": 0.7, "speaking": True})
    assert state.vad_has_probability and state.vad_probability == 0.7


async def test_header_divider_and_ctrl_t(app: AgentConsoleApp, host: FakeHost) -> None:
    app.feed_events(_start())
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        header = text_of(app.query_one(HeaderBar))
        assert "✎ text" in header and "Greeter" in header
        app.feed_event({"type": "agent_changed", "t": 2, "from": "Greeter", "to": "Billing"})
        await caught_up(pilot)
        assert "Billing" in text_of(app.query_one(HeaderBar))
        assert "→ Billing" in conversation_text(app)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: host.commands[-1] == {"cmd": "mode", "text": False})
        app.feed_event({"type": "mode", "t": 3, "text": False, "reason": "switched to audio"})
        await caught_up(pilot)
        assert "♪ audio" in text_of(app.query_one(HeaderBar))
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: host.commands[-1] == {"cmd": "mode", "text": True})


async def test_header_at_80_columns_keeps_state_mode_and_agent(app: AgentConsoleApp) -> None:
    """At 80x24 the header drops the devices (long names here) and the path before the job
    state, the text/audio mode or the active agent; a long agent name is cut, not the state."""
    app.feed_events(
        [
            *_start(),
            {"type": "agent_changed", "t": 2, "from": "Greeter", "to": "BillingSpecialistAgent"},
            {
                "type": "audio",
                "t": 2.0,
                "input": "Built-in Audio Analog Stereo Microphone",
                "output": "Built-in Audio Analog Stereo Speakers",
            },
        ]
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await caught_up(pilot)
        bar = app.query_one(HeaderBar)
        header = text_of(bar)
        assert "ready" in header and "✎ text" in header and "BillingSpecialistAg…" in header
        assert len(header.rstrip()) <= bar.size.width


async def test_vad_pane_for_a_realtime_model(app: AgentConsoleApp) -> None:
    app.feed_events(
        [
            *streams.session_start(),
            {"type": "mode", "t": 1, "text": False, "reason": "audio", "turn_detection": "model"},
        ]
    )
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        assert "turn detection runs in the realtime model" in text_of(app.query_one(VadGraph))


def shade(graph: VadGraph, variable: str, alpha: float) -> RichColor | None:
    """The colour of a theme variable at ``alpha`` over the graph's background."""
    color = Color.parse(graph.app.theme_variables[variable]).multiply_alpha(alpha)
    return (graph.background_colors[1] + color).rich_color


def cell_backgrounds(picture: object) -> set[RichColor | None]:
    """The background colours of a rendered graph's cells."""
    strips = getattr(picture, "strips")  # noqa: B009 - the graph's painted strips
    return {seg.style.bgcolor for strip in strips for seg in strip if seg.style}


async def test_vad_graph_shades_speech_without_probability(app: AgentConsoleApp) -> None:
    events = [
        {"type": "vad", "t": 1 + i * 0.032, "probability": None, "speaking": 40 <= i < 80}
        for i in range(120)
    ]
    app.feed_events(events)
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        graph = app.query_one(VadGraph)
        assert not graph.has_probability
        rendered = graph.render()
        assert "p   —" in str(rendered).splitlines()[-1]
        # the speech segment is shaded: some cells carry the success colour, at 25 % over the
        # graph's own background
        backgrounds = cell_backgrounds(rendered)
        assert shade(graph, "success", 0.25) in backgrounds, backgrounds


async def test_vad_graph_follows_a_theme_change(app: AgentConsoleApp) -> None:
    """The graph resolves its colours once per theme: a new theme repaints it in the new
    theme's colours, not the old ones."""
    app.feed_events(
        [
            {"type": "vad", "t": 1 + i * 0.032, "probability": 0.9, "speaking": True}
            for i in range(60)
        ]
    )
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        graph = app.query_one(VadGraph)
        before = shade(graph, "success", 0.25)
        assert before in cell_backgrounds(graph.render())
        paints = graph.paints
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await wait_for(pilot, lambda: graph.paints > paints, what="a repaint in the new theme")
        after = shade(graph, "success", 0.25)
        assert after != before
        backgrounds = cell_backgrounds(graph.render())
        assert after in backgrounds and before not in backgrounds, (before, after, backgrounds)


async def test_uninterruptible_speech_with_discarded_audio_on_an_events_only_vad(
    app: AgentConsoleApp,
) -> None:
    """Issue 9 with issue 10: an uninterruptible say keeps its divider, the speech withheld
    from the STT meanwhile is a note, and the probability-less VAD's graph shows both the
    speech shading and the discarded span."""
    events: list[dict[str, object]] = [
        {"type": "vad", "t": 1 + i * 0.032, "probability": None, "speaking": 40 <= i < 80}
        for i in range(120)
    ]
    events[60:60] = [
        {"type": "agent_uninterruptible", "t": 2.0, "source": "say", "stopped": False},
        {
            "type": "user_audio_discarded",
            "t": 2.6,
            "reason": "uninterruptible",
            "start": 2.3,
            "end": 2.6,
            "setting": "allow_interruptions=False, discard_audio_if_uninterruptible",
        },
    ]
    app.feed_events(events)
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        conversation = app.query_one(ConversationView)
        await wait_for(pilot, lambda: len(list(conversation.query(MarkerView))) >= 2)
        markers = list(conversation.query(MarkerView))
        divider = [m for m in markers if "allow_interruptions=False" in text_of(m)]
        notes = [m for m in markers if m.has_class("-note")]
        assert divider and not divider[0].has_class("-note"), [text_of(m) for m in markers]
        assert "─" in text_of(divider[0])
        assert len(notes) == 1 and "─" not in text_of(notes[0]), [text_of(m) for m in markers]
        graph = app.query_one(VadGraph)
        assert not graph.has_probability
        rendered = graph.render()
        assert "p   —" in str(rendered).splitlines()[-1]
        backgrounds = cell_backgrounds(rendered)
        assert shade(graph, "success", 0.25) in backgrounds  # the speech segment
        assert shade(graph, "error", 0.35) in backgrounds  # the discarded span
