"""``k`` on a selected tool card mocks that tool with the card's result (issue 12): the app
sends ``mock_tool``; ``k`` again sends ``clear``; a mocked call's card is marked."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from agentconsole.app import AgentConsoleApp
from agentconsole.widgets import ToolCard


async def until(pilot: Pilot[Any], check: Any) -> None:
    """Pause until ``check()`` holds (the conversation repaints at most 10 times a second)."""
    for _ in range(200):
        try:
            if check():
                return
        except Exception:
            pass
        await pilot.pause(0.05)
    raise AssertionError("the screen never showed what was expected")


def tool(call_id: str, t: float, output: str, mocked: bool = False) -> list[dict[str, object]]:
    args = '{"room": "kitchen"}'
    return [
        {
            "type": "tool_started",
            "call_id": call_id,
            "name": "turn_on_lights",
            "arguments": args,
            "t": t,
        },
        {
            "type": "tool_ended",
            "call_id": call_id,
            "name": "turn_on_lights",
            "arguments": args,
            "output": output,
            "error": None,
            "duration": 0.01,
            "mocked": mocked,
            "t": t + 0.01,
        },
    ]


async def test_mock_key_on_a_tool_card(app: AgentConsoleApp, host: Any) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        app.feed_events(tool("c1", 1.0, "The kitchen lights are on."))
        await until(pilot, lambda: app.query(ToolCard) and not app.query_one(ToolCard).call.running)
        await pilot.press("k")  # no card selected: nothing is sent
        assert "mock_tool" not in host.names()
        app.query_one(ToolCard).focus()
        await pilot.press("k")
        assert host.commands[-1] == {
            "cmd": "mock_tool",
            "name": "turn_on_lights",
            "output": "The kitchen lights are on.",
        }
        # the next call comes back mocked: its card says so
        app.feed_events(tool("c2", 2.0, "The kitchen lights are on.", mocked=True))
        await until(pilot, lambda: len(app.query(ToolCard)) == 2)
        second = list(app.query(ToolCard))[1]
        await until(pilot, lambda: second.has_class("-mocked"))
        assert second.border_title == "⚙ turn_on_lights · mocked"
        assert not list(app.query(ToolCard))[0].has_class("-mocked")
        await pilot.press("k")
        assert host.commands[-1] == {"cmd": "mock_tool", "name": "turn_on_lights", "clear": True}
