"""The console's side of a reload in the middle of a tool call (docs/reload.md)."""

from __future__ import annotations

import asyncio

import pytest

from agentconsole.midturn import ToolWatch, let_tools_finish

pytestmark = pytest.mark.timeout(30)


async def test_waits_for_the_history_sent_after_the_tool_not_one_sent_while_it_ran() -> None:
    watch = ToolWatch()
    watch.on_event({"type": "tool_started", "call_id": "c1"})
    waiting = asyncio.create_task(let_tools_finish(watch, grace=5.0))
    await asyncio.sleep(0.05)
    watch.on_event({"type": "history", "chat_ctx": {}})  # while the tool runs: not the one
    watch.on_event({"type": "tool_ended", "call_id": "c1"})
    await asyncio.sleep(0.2)
    # the tool's output is only in a history that comes after it ended
    assert not waiting.done()
    assert watch.draining
    watch.on_event({"type": "history", "chat_ctx": {}})
    assert await asyncio.wait_for(waiting, 1.0) is True


async def test_a_tool_that_just_ended_waits_for_its_history() -> None:
    # the reload comes between the tool's end and the history holding its output (livekit-agents
    # 1.3 reports a tool only once it has ended): without that history the next job would
    # answer the user's message again and call the tool a second time
    watch = ToolWatch()
    watch.on_event({"type": "tool_started", "call_id": "c1"})
    watch.on_event({"type": "tool_ended", "call_id": "c1"})
    waiting = asyncio.create_task(let_tools_finish(watch, grace=5.0))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    assert watch.draining
    watch.on_event({"type": "history", "chat_ctx": {}})
    assert await asyncio.wait_for(waiting, 1.0) is True


async def test_a_tool_that_outlasts_the_grace_is_cut() -> None:
    watch = ToolWatch()
    watch.on_event({"type": "tool_started", "call_id": "c1"})
    assert await let_tools_finish(watch, grace=0.2) is False


async def test_no_tool_running_means_no_wait() -> None:
    watch = ToolWatch()
    assert await asyncio.wait_for(let_tools_finish(watch, grace=5.0), 0.1) is True
    assert not watch.draining
