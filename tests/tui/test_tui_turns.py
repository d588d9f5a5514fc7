"""The turn timeline in the TUI (issue 10): the Turn pane's waterfall, turn selection with the
arrows and the mouse, the inspector (``c``), discarded speech in the conversation and on the
VAD graph.

The stream is a recording of a real headless session (the offline example agent, the
kitchen-lights WAV, then a typed turn): ``recordings/kitchen_turns.jsonl``. Events the offline
pipeline cannot produce on this machine without the audio rig (discarded speech, a turn
detector's probability, a false interruption) are appended as the job sends them; the rig test
(tests/audio/test_audio_discard.py) produces a real one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tui_support import caught_up, wait_for

from agentconsole.app import AgentConsoleApp
from agentconsole.app.inspector import InspectorScreen
from agentconsole.widgets import ConversationView, MarkerView, UserTurnView, VadGraph
from agentconsole.widgets.vad_graph import column_overlays
from agentconsole.widgets.waterfall import Waterfall

SIZE = (120, 50)
RECORDING = Path(__file__).parent / "recordings" / "kitchen_turns.jsonl"


def recording() -> list[dict[str, Any]]:
    return [json.loads(line) for line in RECORDING.read_text(encoding="utf-8").splitlines()]


def text_of(widget: Any) -> str:
    return str(widget.render().plain if hasattr(widget.render(), "plain") else widget.render())


async def test_waterfall_follows_the_latest_turn_and_selection(app: AgentConsoleApp) -> None:
    events = recording()
    turns = [e for e in events if e["type"] == "turn"]
    assert [t["source"] for t in turns] == ["stt", "text"]
    app.feed_events(events)
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        waterfall = app.query_one(Waterfall)
        await wait_for(pilot, lambda: waterfall.turn is not None and waterfall.turn.id == 2)
        latest = text_of(waterfall)
        assert "turn 2 · latest" in latest
        assert "LLM TTFT" in latest and "tools" in latest and "TTS TTFB" in latest
        assert "313/0/28" in latest  # the session's usage (tokens in/cached/out)
        # select the spoken turn: up from nothing selects the last user turn, up again the first
        conversation = app.query_one(ConversationView)
        conversation.focus()
        await pilot.press("up", "up")
        await wait_for(pilot, lambda: waterfall.turn is not None and waterfall.turn.id == 1)
        first = text_of(waterfall)
        assert "turn 1 · selected" in first
        for label in ("VAD silence", "STT final", "end of turn", "playout"):
            assert label in first, first
        assert "min_silence_duration=0.55s" in first  # settings are shown when there is room
        users = list(conversation.query(UserTurnView))
        assert users[0].has_class("-selected") and not users[1].has_class("-selected")
        # down selects the next turn, the mouse the first one again
        await pilot.press("down")
        await wait_for(pilot, lambda: waterfall.turn is not None and waterfall.turn.id == 2)
        assert users[1].has_class("-selected") and not users[0].has_class("-selected")
        await pilot.click(users[0], offset=(4, 1))
        await wait_for(pilot, lambda: waterfall.turn is not None and waterfall.turn.id == 1)
        assert conversation.selected == users[0].item_id
        # the inspector shows what the LLM got for the selected turn
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        body = str(app.screen.query_one("#inspector-body").render())
        assert "Turn on the kitchen lights" in body
        assert "what is the weather in Paris" not in body  # that came later
        assert "turn_on_lights" in body and "get_weather" in body
        assert "You are a friendly voice assistant" in body
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, InspectorScreen))


async def test_discarded_speech_is_said_and_drawn(app: AgentConsoleApp) -> None:
    events = recording()
    end = events[-1]["t"]
    events += [
        {"type": "vad", "probability": 0.9, "speaking": True, "t": end + 0.1},
        {
            "type": "user_audio_discarded",
            "reason": "aec_warmup",
            "start": end + 0.1,
            "end": end + 1.2,
            "setting": "aec_warmup_duration=3s",
            "t": end + 1.2,
        },
        {"type": "eot_prediction", "probability": 0.2, "threshold": 0.5, "t": end + 1.3},
        {"type": "false_interruption", "resumed": True, "t": end + 1.4},
        {"type": "vad", "probability": 0.1, "speaking": False, "t": end + 1.5},
    ]
    app.feed_events(events)
    async with app.run_test(size=SIZE) as pilot:
        await caught_up(pilot)
        conversation = app.query_one(ConversationView)

        def notes() -> list[str]:
            return [text_of(m) for m in conversation.query(MarkerView)]

        await wait_for(pilot, lambda: len(notes()) >= 2)
        assert any(
            "you spoke during the agent's first 3 s (echo-cancellation warm-up): not heard" in n
            for n in notes()
        ), notes()
        assert any("the agent resumed" in n for n in notes())
        graph = app.query_one(VadGraph)
        cols = max(graph.size.width - 4, 1)
        discarded, eot, marks = column_overlays(
            end + 1.5, graph.window, cols, graph._discards, graph._eot, graph._marks
        )
        assert sum(discarded) >= cols * 1.0 / graph.window * 0.8  # about 1.1 s of columns
        assert any(p == 0.2 for p in eot if p is not None)
        assert "resumed" in marks
        picture = str(graph.render())
        assert "↺" in picture and "•" in picture
