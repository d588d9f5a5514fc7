"""The TUI shows the agent's own mistakes (Pilot): the blocked-loop warning from a real job,
the gap in the VAD graph, a stuck tool card that ``i`` offers to cancel, quitting while the
agent's loop is blocked."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from watchdog_helpers import AGENTS, line_of

sys.path.insert(0, str(Path(__file__).parents[1] / "tui"))
from tui_support import FakeHost

from agentconsole.app import AgentConsoleApp, ConsoleInfo
from agentconsole.app.screens import CancelToolScreen
from agentconsole.state import AgentTurn, Blocked
from agentconsole.supervisor import HostConfig, Supervisor
from agentconsole.widgets import BlockedView, ConversationView, ErrorLineView, ToolCard, VadGraph
from agentconsole.widgets.vad_graph import gap_columns

SIZE = (120, 40)
WHERE = {
    "file": "agent.py",
    "path": "/a/agent.py",
    "line": 5,
    "function": "entrypoint",
    "code": "time.sleep(10)",
}


def text_of(widget: Any) -> str:
    return str(widget.render())


async def until(pilot: Pilot[Any], check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


@pytest.fixture
async def real(tmp_path: Path) -> AsyncIterator[tuple[AgentConsoleApp, Pilot[Any]]]:
    """The TUI on a real supervisor and job running the blocking-tool agent (no devices)."""
    from agentconsole.audio import AudioConfig

    config = HostConfig(
        agent_file=AGENTS / "blocking_tool.py",
        audio=AudioConfig(use_input_device=False, use_output_device=False),
        watch=False,
    )
    info = ConsoleInfo(agent_file=str(config.agent_file))
    supervisor = Supervisor(config, lambda ev: app.feed_event(ev))
    app = AgentConsoleApp(supervisor, info)
    supervisor.start()
    try:
        async with app.run_test(size=SIZE) as pilot:
            yield app, pilot
    finally:
        supervisor.stop()


@pytest.mark.slow
async def test_the_warning_points_at_the_tool_and_the_vad_graph_marks_the_gap(
    real: tuple[AgentConsoleApp, Pilot[Any]],
) -> None:
    app, pilot = real
    await until(pilot, lambda: app.state.job_state == "ready", 90, "the agent to be ready")
    await pilot.press("t")
    app.query_one("#prompt", Input).value = "look up paris"
    await pilot.press("enter")
    line = line_of("blocking_tool.py", "time.sleep(1.5)  # BLOCKING")

    def warned() -> bool:
        views = app.query_one(ConversationView).query(BlockedView)
        return any(f"blocking_tool.py:{line} in slow_lookup" in text_of(v) for v in views)

    await until(pilot, warned, 60, "the blocked-loop warning")

    def over() -> bool:
        return any(
            isinstance(i, Blocked) and i.where and i.where["line"] == line and not i.ongoing
            for i in app.state.items
        )

    await until(pilot, over, 30, "the block to end")
    blocked = [i for i in app.state.items if isinstance(i, Blocked) and i.where]
    assert any(b.where and b.where["line"] == line and b.longest >= 1.0 for b in blocked)
    view = next(
        v
        for v in app.query_one(ConversationView).query(BlockedView)
        if f"blocking_tool.py:{line}" in text_of(v)
    )
    assert "time.sleep(1.5)" in text_of(view)
    # the VAD graph shades the time the loop was blocked
    graph = app.query_one(VadGraph)
    cols = max(graph.size.width - 4, 1)
    assert gap_columns(app.state.gaps, app.state.now, graph.window, cols)
    assert "░" in text_of(graph)
    # the turn still completes
    await until(
        pilot,
        lambda: any(
            isinstance(i, AgentTurn) and "paris is a city" in (i.committed or "")
            for i in app.state.items
        ),
        60,
        "the reply",
    )


async def test_an_ongoing_block_says_so_far_and_q_quits_at_once() -> None:
    host = FakeHost()
    app = AgentConsoleApp(host, ConsoleInfo(agent_file="agent.py"))
    async with app.run_test(size=SIZE) as pilot:
        app.feed_event({"type": "job_ready", "pid": 1, "t": 1.0})
        fed = time.monotonic()
        app.feed_event(
            {
                "type": "loop_blocked",
                "duration": 3.2,
                "where": WHERE,
                "stack": [WHERE],
                "ongoing": True,
                "block": 1,
                "t": 4.2,
            }
        )
        await until(
            pilot,
            lambda: bool(app.query(BlockedView)),
            5,
            "the warning line",
        )
        text = text_of(app.query_one(BlockedView))
        # the block's length counts on from the event's 3.2 s with the wall clock (a loaded
        # machine may take a second to show it)
        shown = float(text.split("the agent's loop is blocked (", 1)[1].split(" s so far)")[0])
        assert 3.2 <= shown <= 3.2 + (time.monotonic() - fed) + 0.05, shown
        assert "s so far) at agent.py:5 in entrypoint" in text
        assert "time.sleep(10)" in text
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running, 5, "the app to exit")
    assert host.commands[-1] == {"cmd": "quit"}


async def test_i_on_a_stuck_tool_card_offers_to_cancel_it() -> None:
    host = FakeHost()
    app = AgentConsoleApp(host, ConsoleInfo(agent_file="agent.py"))
    where = {**WHERE, "line": 20, "function": "wait", "code": "await parcel.wait()"}
    async with app.run_test(size=SIZE) as pilot:
        app.feed_event(
            {"type": "tool_started", "call_id": "c7", "name": "wait", "arguments": "{}", "t": 1}
        )
        app.feed_event(
            {
                "type": "tool_stuck",
                "call_id": "c7",
                "name": "wait",
                "elapsed": 10.5,
                "where": where,
                "t": 11.5,
            }
        )
        await until(pilot, lambda: bool(app.query(ToolCard)), 5, "the card")
        card = app.query_one(ToolCard)
        await until(pilot, lambda: card.has_class("-stuck"), 5, "the stuck flag")
        assert "waiting at agent.py:20 in wait" in text_of(card)
        assert "i cancels" in str(card.border_subtitle)
        card.focus()
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, CancelToolScreen), 5, "the question")
        assert "interrupt" not in [c["cmd"] for c in host.commands]
        await pilot.press("y")
        await until(pilot, lambda: not isinstance(app.screen, CancelToolScreen), 5, "closing")
        assert host.commands[-1] == {"cmd": "cancel_tool", "call_id": "c7"}
        # once it has ended, i on the card interrupts as anywhere else
        app.feed_event(
            {
                "type": "tool_ended",
                "call_id": "c7",
                "name": "wait",
                "arguments": "{}",
                "output": None,
                "error": "cancelled",
                "duration": 11.0,
                "t": 12.0,
            }
        )
        await until(pilot, lambda: not card.has_class("-stuck"), 5, "the card to end")
        card.focus()
        await pilot.press("i")
        await pilot.pause()
        assert host.commands[-1] == {"cmd": "interrupt"}


async def test_a_swallowed_error_is_shown_in_the_conversation() -> None:
    app = AgentConsoleApp(FakeHost(), ConsoleInfo(agent_file="agent.py"))
    where = {**WHERE, "line": 14, "function": "refresh", "code": "raise RuntimeError('x')"}
    async with app.run_test(size=SIZE) as pilot:
        app.feed_event(
            {
                "type": "error",
                "level": "error",
                "message": "Task exception was never retrieved: RuntimeError: x (at agent.py:14)",
                "source": "task",
                "where": where,
                "t": 2.0,
            }
        )
        await until(pilot, lambda: bool(app.query(ErrorLineView)), 5, "the error line")
        text = text_of(app.query_one(ErrorLineView))
        assert "error in a task" in text and "agent.py:14 in refresh" in text
        assert "RuntimeError: x" in text and "raise RuntimeError('x')" in text
