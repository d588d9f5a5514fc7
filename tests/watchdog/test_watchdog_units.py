"""The watchdog's parts in-process: the sampler on a real loop, the wire's thread-safe send on
a real socketpair, the stuck-tool watch and the state reducer. No mocks."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
from pathlib import Path
from typing import Any

from agentconsole import protocol
from agentconsole.events import EVENTS, LoopBlocked, ToolStuck
from agentconsole.job.stuck import coroutine_frames
from agentconsole.job.watchdog import LoopWatchdog
from agentconsole.job.where import UserFiles, describe_frames
from agentconsole.state import Blocked, ErrorLine, SessionState, ToolCall
from agentconsole.wire import open_connection

HERE = Path(__file__).resolve()


def _line(text: str) -> int:
    for number, line in enumerate(HERE.read_text().splitlines(), start=1):
        if text in line and "_line(" not in line:
            return number
    raise AssertionError(text)


def block_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # the block under test


async def test_a_blocking_call_is_reported_once_it_ends_with_its_line() -> None:
    reports: list[dict[str, Any]] = []
    dog = LoopWatchdog(reports.append, str(HERE.parent), threshold=0.1)
    dog.start()
    try:
        await asyncio.sleep(0.1)
        block_the_loop(0.4)
        deadline = time.monotonic() + 5
        while not reports and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        dog.stop()
    assert len(reports) == 1
    ev = reports[0]
    assert ev["type"] == "loop_blocked" and ev["ongoing"] is False
    # a lower bound of the stall: the heartbeat ran this late (at most one period short)
    assert ev["duration"] >= 0.3
    assert ev["where"]["file"] == HERE.name
    assert ev["where"]["line"] == _line("time.sleep(seconds)  # the block under test")
    assert ev["where"]["function"] == "block_the_loop"
    # the stack is trimmed of the loop's machinery and ends at the line
    assert ev["stack"][-1]["function"] == "block_the_loop"
    assert all("base_events.py" not in f["path"] for f in ev["stack"])
    assert set(ev) - {"type"} == {f.name for f in dataclasses.fields(LoopBlocked)}


async def test_a_long_block_is_reported_while_it_lasts() -> None:
    reports: list[dict[str, Any]] = []
    dog = LoopWatchdog(reports.append, str(HERE.parent), threshold=0.05, first_report=0.2)
    dog.start()
    try:
        await asyncio.sleep(0.05)
        block_the_loop(0.5)
        await asyncio.sleep(0.2)
    finally:
        dog.stop()
    ongoing = [r for r in reports if r["ongoing"]]
    final = [r for r in reports if not r["ongoing"]]
    assert ongoing and ongoing[0]["duration"] >= 0.2
    assert ongoing[0]["where"]["function"] == "block_the_loop"
    assert len(final) == 1 and final[0]["block"] == ongoing[0]["block"]


async def test_an_idle_loop_reports_nothing() -> None:
    reports: list[dict[str, Any]] = []
    dog = LoopWatchdog(reports.append, str(HERE.parent), threshold=0.1)
    dog.start()
    try:
        for _ in range(10):
            await asyncio.sleep(0.03)
    finally:
        dog.stop()
    assert reports == []


async def test_send_from_thread_gets_through_while_the_loop_is_blocked() -> None:
    """The watchdog's send: whole frames on the socket while the loop cannot run, interleaved
    safely with the loop's own writes."""
    a, b = socket.socketpair()
    conn = await open_connection(a)
    b.settimeout(5)
    got: list[bytes] = []
    sent = threading.Event()

    def from_thread() -> None:
        conn.send_from_thread({"type": "log", "level": "info", "message": "from the thread"})
        sent.set()

    conn.send({"type": "log", "level": "info", "message": "before"})
    await conn.drain()
    threading.Thread(target=from_thread).start()
    assert sent.wait(5)  # the loop is blocked right here: the frame went out anyway
    got.append(b.recv(65536))
    conn.send({"type": "log", "level": "info", "message": "after"})
    await conn.drain()
    decoder = protocol.FrameDecoder()
    frames = decoder.feed(b"".join(got))
    while len(frames) < 3:
        frames += decoder.feed(b.recv(65536))
    messages = [protocol.decode_json(p)["message"] for _, p in frames]
    assert messages == ["before", "from the thread", "after"]
    await conn.close()
    b.close()


async def test_coroutine_frames_walk_the_await_chain() -> None:
    gate = asyncio.Event()

    async def inner() -> None:
        await gate.wait()  # suspended here

    async def outer() -> None:
        await inner()

    task = asyncio.create_task(outer())
    await asyncio.sleep(0)
    frames = coroutine_frames(task.get_coro())
    where, stack = describe_frames(frames, UserFiles(HERE.parent))
    assert where is not None and where["function"] == "inner"
    assert where["line"] == _line("await gate.wait()  # suspended here")
    assert [f["function"] for f in stack][:2] == ["outer", "inner"]
    gate.set()
    await task


def test_user_files_leave_out_installed_packages_and_agentconsole() -> None:
    files = UserFiles(HERE.parents[2])  # the repository: has .venv and the package inside
    assert str(HERE) in files
    assert asyncio.__file__ not in files
    import click

    import agentconsole.job.watchdog as dog

    assert dog.__file__ not in files
    assert click.__file__ not in files
    assert files.relative(click.__file__) == "click/__init__.py"


def _blocked(t: float, duration: float, block: int, ongoing: bool, line: int = 5) -> dict[str, Any]:
    where = {"file": "agent.py", "path": "/a/agent.py", "line": line, "function": "f", "code": "x"}
    ev = LoopBlocked(duration=duration, where=where, stack=[where], ongoing=ongoing, block=block)
    return {**ev.to_dict(), "t": t}


def test_state_one_line_per_block_updated_while_it_lasts_and_repeats_gathered() -> None:
    state = SessionState()
    state.apply(_blocked(10.0, 0.5, 1, True))
    assert isinstance(state.items[-1], Blocked) and state.blocked is state.items[-1]
    assert list(state.gaps) == [(9.5, None)]
    state.apply(_blocked(11.0, 1.5, 1, True))
    state.apply(_blocked(11.2, 1.7, 1, False))
    assert len(state.items) == 1 and state.blocked is None
    assert list(state.gaps) == [(9.5, 11.2)]
    # the same line again, nothing in between: gathered
    state.apply(_blocked(13.0, 0.2, 2, False))
    item = state.items[-1]
    assert isinstance(item, Blocked)
    assert len(state.items) == 1 and item.count == 2
    assert round(item.total, 3) == 1.9 and item.longest == 1.7
    # another line: a new item
    state.apply(_blocked(14.0, 0.2, 3, False, line=9))
    assert len(state.items) == 2


def test_state_errors_with_a_line_go_in_the_conversation_stuck_tools_on_their_card() -> None:
    state = SessionState()
    where = {"file": "agent.py", "path": "/a/agent.py", "line": 3, "function": "g", "code": "y"}
    state.apply({"type": "error", "level": "error", "message": "boom", "t": 1.0})
    assert not state.items  # a plain error: a notice, as before
    state.apply(
        {"type": "error", "level": "error", "message": "boom", "source": "task", "where": where}
    )
    assert isinstance(state.items[-1], ErrorLine) and state.items[-1].where == where
    state.apply({"type": "tool_started", "call_id": "c1", "name": "wait", "arguments": "{}"})
    stuck = ToolStuck(call_id="c1", name="wait", elapsed=12.0, where=where, stack=[where])
    state.apply(stuck.to_dict())
    call = state.tool("c1")
    assert isinstance(call, ToolCall) and call.stuck and call.stuck_where == where
    assert "loop_blocked" in EVENTS and "tool_stuck" in EVENTS
