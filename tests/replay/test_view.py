"""``agentconsole view`` under Textual's Pilot: scrubbing the timeline rebuilds the screen at
the cursor; tool cards (a mocked one is marked); the whole session's VAD and marks on the
timeline. The audio cursor with a real sound device is in tests/audio/test_view_audio.py."""

from __future__ import annotations

from pathlib import Path

from view_helpers import make_recording

from agentconsole.app.view import ViewApp
from agentconsole.replay.session_file import load_session
from agentconsole.widgets import AgentTurnView, ConversationView, ToolCard, UserTurnView, VadGraph
from agentconsole.widgets.timeline import Timeline


def kinds(app: ViewApp) -> list[str]:
    return [type(c).__name__ for c in app.query_one(ConversationView).children if c.id != "empty"]


async def test_scrub(tmp_path: Path) -> None:
    app = ViewApp(load_session(make_recording(tmp_path / "rec")))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert app.cursor == app.end  # opens on the whole conversation
        full = kinds(app)
        assert full[:4] == ["AgentTurnView", "UserTurnView", "ToolCard", "AgentTurnView"]
        assert full.count("UserTurnView") >= 2  # the typed turn at the end
        await pilot.press("home")
        assert app.cursor == 0.0 and kinds(app) == []
        for _ in range(5):
            await pilot.press("right")
        assert app.cursor == 5.0
        assert kinds(app) == ["AgentTurnView"]  # the greeting only
        greeting = app.query_one(AgentTurnView)
        assert "Hi!" in str(greeting.content)
        await pilot.press("shift+right")  # 10 s: the first turn, its tool, the cut reply
        assert app.cursor == 10.0
        assert kinds(app) == ["AgentTurnView", "UserTurnView", "ToolCard", "AgentTurnView"]
        await pilot.press("left", "left", "left")  # back to 7 s: before the final transcript
        assert app.cursor == 7.0
        assert kinds(app) == ["AgentTurnView"]
        assert app.state.user_state == "listening"
        # the VAD graph ends at the cursor
        assert app.query_one(VadGraph) is not None
        assert max(s.t for s in app.state.vad) <= 7.0
        await pilot.press("end")
        assert app.cursor == app.end and kinds(app) == full
        timeline = app.query_one(Timeline)
        text = str(timeline.render())
        assert "0:14.9 / 0:14.9" in text and "paused" in text
        assert "U" in text and "⚙" in text and "A" in text  # user, tool, agent marks


async def test_tool_card(tmp_path: Path) -> None:
    app = ViewApp(load_session(make_recording(tmp_path / "rec")))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        card = app.query_one(ToolCard)
        assert card.border_title == "⚙ turn_on_lights · mocked"
        assert card.has_class("-mocked") and card.has_class("-done")
        body = str(card.render())
        assert '"room": "kitchen"' in body and "→ on" in body
        # the live keys mean nothing without an agent
        await pilot.press("i", "t", "k")
        assert not app.query("#prompt-bar.-open")
        users = [str(u.render()) for u in app.query(UserTurnView)]
        assert any("kitchen lights" in u for u in users)


async def test_no_audio_says_so(tmp_path: Path) -> None:
    app = ViewApp(load_session(make_recording(tmp_path / "rec")), player=None)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert any("no audio.wav" in str(n.message) for n in app._notifications)
