"""The mic meter end to end: a tone played into the rig's virtual microphone, captured by the
real audio engine, reported as ``audio`` events (dBFS) and drawn by the TUI (Pilot)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from audio_helpers import paplay, tone, write_wav
from textual.geometry import Region
from textual.pilot import Pilot

from agentconsole.app import AgentConsoleApp, ConsoleInfo
from agentconsole.audio import AudioConfig, AudioEngine
from agentconsole.widgets import SessionPanel

pytestmark = [pytest.mark.audio, pytest.mark.usefixtures("audio_rig")]


class _Host:
    def command(self, cmd: dict[str, Any]) -> None:
        pass


def meter_cells(panel: SessionPanel) -> list[str]:
    """The colour of each cell of the mic meter, as painted (first line of the panel)."""
    (strip,) = panel.render_lines(Region(0, 0, panel.size.width, 1))
    colours: list[str] = []
    for segment in strip:
        if "━" in segment.text:
            style = segment.style
            colour = str(style.color) if style is not None else ""
            colours += [colour] * segment.text.count("━")
    return colours


def lit(panel: SessionPanel, empty: str) -> int:
    """How many meter cells are not painted in the empty colour."""
    return sum(1 for colour in meter_cells(panel) if colour != empty)


async def wait_for(
    pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float, what: str
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def test_a_tone_in_the_microphone_moves_the_meter(tmp_path: Path) -> None:
    wav = tmp_path / "tone.wav"
    # RMS 0.28 = -11 dBFS: most of the meter (-60 dBFS empty .. 0 dBFS full)
    write_wav(wav, tone(440, 2.0, 0.4, 48000), 48000)
    start = time.monotonic()
    app = AgentConsoleApp(_Host(), ConsoleInfo(agent_file="agent.py", input_device="vmic"))
    levels: list[float] = []

    def on_status(ev: dict[str, Any]) -> None:
        levels.append(float(ev["level"]))
        app.feed_event({**ev, "t": round(time.monotonic() - start, 4)})

    engine = AudioEngine(
        AudioConfig(input_device="vmic", use_output_device=False, aec=False),
        on_mic_frame=lambda pcm: None,
        on_playout=lambda played, interrupted: None,
        on_status=on_status,
    )
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            engine.start()
            panel = app.query_one(SessionPanel)
            # silence: the engine reports the floor and every cell has the same colour
            await wait_for(pilot, lambda: len(levels) >= 3, 10, "the engine's status")
            cells = meter_cells(panel)
            assert len(cells) > 20 and len(set(cells)) == 1, cells
            empty = cells[0]

            player = threading.Thread(target=paplay, args=(wav,))
            player.start()
            await wait_for(pilot, lambda: lit(panel, empty) >= len(cells) * 0.6, 10, "a lit meter")
            # the level on the wire stayed dBFS; the meter is the only place it becomes a bar
            assert -20 < max(levels) < 0
            await wait_for(pilot, lambda: not player.is_alive(), 15, "the tone to end")
            player.join()
            await wait_for(pilot, lambda: lit(panel, empty) == 0, 10, "the meter to fall")
    finally:
        engine.close()
