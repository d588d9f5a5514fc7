"""The live settings panel (``u``): keys change the session's settings.

The first test drives a real supervisor and a real job on the offline example (real Silero VAD):
the threshold the graph draws comes from the job's ``settings`` report, read back from the VAD
after the change. The others use the recording host to check the commands the keys send.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from tui_support import INFO, FakeHost, caught_up, frozen_clock, wait_for

from agentconsole.app import AgentConsoleApp, ConsoleInfo
from agentconsole.audio import AudioConfig
from agentconsole.supervisor import HostConfig, Supervisor
from agentconsole.widgets import SettingsPanel, VadGraph

ROOT = Path(__file__).resolve().parents[2]

SETTINGS = {
    "type": "settings",
    "t": 1.0,
    "values": {
        "activation_threshold": 0.5,
        "deactivation_threshold": 0.35,
        "min_endpointing_delay": 0.5,
        "turn_detection": "vad",
        "false_interruption_timeout": 2.0,
    },
    "overridden": [],
    "code": [],
}


def threshold_row(graph: VadGraph) -> int:
    """The line of the graph's picture that carries the threshold label."""
    lines = str(graph.render()).splitlines()
    label = f"{graph.threshold:.2f}".lstrip("0")[:3]
    rows = [i for i, line in enumerate(lines) if line.startswith(label)]
    assert len(rows) == 1, lines
    return rows[0]


@pytest.fixture
async def running() -> AsyncIterator[tuple[AgentConsoleApp, Pilot[Any]]]:
    config = HostConfig(
        agent_file=ROOT / "examples" / "offline_agent.py",
        audio=AudioConfig(use_input_device=False, use_output_device=False),
        watch=False,
    )
    info = ConsoleInfo(agent_file=str(config.agent_file))
    supervisor = Supervisor(config, lambda ev: app.feed_event(ev))
    app = AgentConsoleApp(supervisor, info)
    supervisor.start()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            yield app, pilot
    finally:
        supervisor.stop()


@pytest.mark.slow
async def test_the_panel_moves_the_threshold_of_the_running_vad(
    running: tuple[AgentConsoleApp, Pilot[Any]],
) -> None:
    app, pilot = running
    await wait_for(pilot, lambda: "activation_threshold" in app.state.settings, 90, "settings")
    graph = app.query_one(VadGraph)
    assert app.state.settings["activation_threshold"] == graph.threshold == 0.5
    row_before = threshold_row(graph)

    await pilot.press("u")
    panel = app.query_one(SettingsPanel)
    await wait_for(pilot, lambda: app.focused is panel, 5, "the panel to take the focus")
    assert panel.selected_name == "activation_threshold"
    await pilot.press("right", "right", "right", "right")  # 0.50 -> 0.70
    # the job applied it to the session's Silero VAD and read it back
    await wait_for(
        pilot, lambda: app.state.settings.get("activation_threshold") == 0.7, 30, "the job's report"
    )
    assert app.state.overridden == ["activation_threshold"]
    # Silero's default deactivation (activation - 0.15) followed, as VAD.load() would do
    assert app.state.settings["deactivation_threshold"] == pytest.approx(0.55)
    await wait_for(pilot, lambda: graph.threshold == 0.7, 10, "the graph's threshold")
    assert threshold_row(graph) < row_before  # the line moved up
    assert "threshold 0.7" in str(app.query_one("#vad-box").border_subtitle)
    assert app.state.settings_code == ["silero.VAD.load(activation_threshold=0.7)"]
    assert "silero.VAD.load(activation_threshold=0.7)" in str(panel.render())

    # x: back to the code's value
    await pilot.press("x")
    await wait_for(pilot, lambda: not app.state.overridden, 30, "the reset")
    assert app.state.settings["activation_threshold"] == 0.5
    await wait_for(pilot, lambda: graph.threshold == 0.5, 10, "the graph's threshold")
    assert threshold_row(graph) == row_before


async def test_keys_send_set_and_reset() -> None:
    host = FakeHost()
    app = AgentConsoleApp(host, INFO, clock=frozen_clock)
    app.feed_event(SETTINGS)
    async with app.run_test(size=(80, 24)) as pilot:
        await caught_up(pilot)
        await pilot.press("u")
        panel = app.query_one(SettingsPanel)
        await wait_for(pilot, lambda: app.focused is panel, 5, "the panel's focus")
        assert panel.names[0] == "activation_threshold"
        await pilot.press("down", "down", "right")  # min_endpointing_delay 0.5 -> 0.6
        await pilot.press("down", "left")  # turn_detection vad -> auto (None)
        await pilot.press("down", "left", "left", "left", "left")  # 2.0 -> 0.5 -> off
        assert host.commands == [
            {"cmd": "set", "name": "min_endpointing_delay", "value": 0.6},
            {"cmd": "set", "name": "turn_detection", "value": None},
            {"cmd": "set", "name": "false_interruption_timeout", "value": 1.5},
            {"cmd": "set", "name": "false_interruption_timeout", "value": 1.0},
            {"cmd": "set", "name": "false_interruption_timeout", "value": 0.5},
            {"cmd": "set", "name": "false_interruption_timeout", "value": None},
        ]
        assert "off" in str(panel.render())
        await pilot.press("x")
        assert host.commands[-1] == {"cmd": "reset", "name": "false_interruption_timeout"}
        # u again (or esc) closes the panel; the conversation has the focus back
        await pilot.press("escape")
        assert not app.query_one("#right").has_class("-settings")
        await pilot.press("u", "u")
        assert not app.query_one("#right").has_class("-settings")


async def test_no_mic_shows_off_and_the_layout_keeps_60_percent() -> None:
    info = ConsoleInfo(agent_file="examples/a_rather_long_agent_file_name.py")
    app = AgentConsoleApp(FakeHost(), info, clock=frozen_clock)
    app.feed_event({"type": "audio", "t": 0.5, "input": None, "output": None, "muted": False})
    app.feed_event({"type": "job_ready", "t": 1.0, "pid": 4242})
    for width, height in ((80, 24), (100, 30), (119, 40), (120, 40), (200, 60)):
        async with app.run_test(size=(width, height)) as pilot:
            await caught_up(pilot)
            conversation = app.query_one("#left").size.width
            if width < 120:
                assert conversation >= 0.6 * width, (width, conversation)
            header = str(app.query_one("#header").render())
            assert "ready" in header and "local" in header, header
            assert "in off" in header, header
            session = str(app.query_one("#session").render())
            assert " off " in session and "live" not in session
            # the footer composes its keys on a later turn of the loop than the events
            await wait_for(pilot, lambda a=app: a.query("FooterKey"), what="the footer's keys")
            footer_keys = [k.key for k in app.query("FooterKey") if k.region.right <= width]
            assert "q" in footer_keys, (width, footer_keys)
        app = AgentConsoleApp(FakeHost(), info, clock=frozen_clock)
        app.feed_event({"type": "audio", "t": 0.5, "input": None, "output": None})
        app.feed_event({"type": "job_ready", "t": 1.0, "pid": 4242})
