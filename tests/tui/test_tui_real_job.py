"""The TUI driven by a real supervisor and a real job on the offline example (Pilot).

The audio engine runs on its own threads with no devices (the WAV is the microphone and the
agent's audio is paced in real time), started outside Textual's loop as in the real command.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
from conftest_speech import speak

from agentconsole.app import AgentConsoleApp, ConsoleInfo
from agentconsole.audio import AudioConfig
from agentconsole.state import AgentTurn, ToolCall, UserTurn
from agentconsole.supervisor import HostConfig, Supervisor
from agentconsole.widgets import ToolCard, VadGraph

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SIZE = (120, 40)


async def until(pilot: Pilot[Any], check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[AgentConsoleApp, Pilot[Any]]]:
    wav = speak("turn on the kitchen lights", tmp_path / "kitchen.wav")
    config = HostConfig(
        agent_file=ROOT / "examples" / "offline_agent.py",
        audio=AudioConfig(
            input_wav=wav, wav_waits=True, use_input_device=False, use_output_device=False
        ),
        watch=False,
    )
    info = ConsoleInfo(agent_file=str(config.agent_file), input_device=wav.name)
    supervisor = Supervisor(config, lambda ev: app.feed_event(ev))
    app = AgentConsoleApp(supervisor, info)
    supervisor.start()
    try:
        async with app.run_test(size=SIZE) as pilot:
            yield app, pilot
    finally:
        supervisor.stop()


def _items(app: AgentConsoleApp, kind: type) -> list[Any]:
    return [i for i in app.state.items if isinstance(i, kind)]


async def test_spoken_turn_typed_turn_and_interrupt(
    running: tuple[AgentConsoleApp, Pilot[Any]],
) -> None:
    app, pilot = running
    # the WAV turn: transcript, tool card with arguments and result, streamed reply
    await until(
        pilot,
        lambda: any("kitchen lights" in t.final_text.lower() for t in _items(app, UserTurn)),
        120,
        "the spoken transcript",
    )
    await until(
        pilot, lambda: any(not c.running for c in _items(app, ToolCall)), 60, "the tool card"
    )
    await until(
        pilot,
        lambda: (
            bool(app.query(ToolCard))
            and "The kitchen lights are on." in str(app.query_one(ToolCard).render())
        ),
        10,
        "the tool card's result on screen",
    )
    body = str(app.query_one(ToolCard).render())
    assert '"room": "kitchen"' in body and "The kitchen lights are on." in body
    await until(
        pilot,
        lambda: any("kitchen lights are on" in (a.committed or "") for a in _items(app, AgentTurn)),
        60,
        "the agent's reply",
    )
    assert app.state.vad_total > 50  # the graph was fed the session's VAD
    graph = app.query_one(VadGraph)
    # what the graph draws: the session's VAD samples, and its readout is the latest inference
    await until(
        pilot,
        lambda: (
            graph.sample_count > 0
            and graph.paints > 0
            and f"{app.state.vad_probability:.2f}" in str(graph.render()).splitlines()[-1]
        ),
        10,
        "the VAD graph showing the latest inference",
    )

    # t: type as the user
    await pilot.press("t")
    assert isinstance(app.focused, Input)
    await pilot.press(*"hello there", "enter")
    await until(
        pilot,
        lambda: any("How can I help" in (a.committed or "") for a in _items(app, AgentTurn)),
        60,
        "the reply to the typed turn",
    )

    # s: make the agent say a long text, then i: interrupt it
    await pilot.press("s")
    prompt = app.query_one(Input)
    assert app.focused is prompt
    prompt.value = "one two three four five six seven eight nine ten " * 3  # (typing 150 keys
    await pilot.press("enter")  # through Pilot takes a minute; the submit path is the same)
    await until(
        pilot,
        lambda: app.state.agent_state == "speaking",
        60,
        "the agent to speak",
    )
    # interrupt once the user has heard part of it (the cut lands mid-speech)
    await until(
        pilot,
        lambda: any("two" in a.heard for a in _items(app, AgentTurn)),
        30,
        "the first words heard",
    )
    await pilot.press("i")
    await until(
        pilot,
        lambda: any(a.interrupted for a in _items(app, AgentTurn)),
        60,
        "the interrupted turn",
    )
