"""``agentconsole view``: space plays the recording from the cursor through a real sound
device (the PulseAudio rig), the cursor follows what is heard, space pauses. The speaker's
monitor is captured to check that sound really came out."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "replay"))

from view_helpers import make_recording

pytestmark = [pytest.mark.audio]


async def test_space_plays_from_the_cursor(audio_rig: dict[str, str], tmp_path: Path) -> None:
    from agentconsole.app.view import ViewApp
    from agentconsole.audio.devices import import_sounddevice, resolve_device
    from agentconsole.replay.audio_player import RecordingPlayer
    from agentconsole.replay.session_file import load_session
    from agentconsole.widgets.timeline import Timeline

    session = load_session(make_recording(tmp_path / "rec"))
    player = RecordingPlayer(session.audio_path, "vspeaker")
    sd = import_sounddevice()
    monitor = resolve_device("vspeaker_monitor", "input")
    heard: list[float] = []
    lock = threading.Lock()

    def capture(indata: np.ndarray, frames: int, _t: object, _s: object) -> None:
        with lock:
            heard.append(float(np.sqrt(np.mean(indata.astype(np.float64) ** 2))))

    app = ViewApp(session, player)
    with sd.InputStream(
        device=monitor.index, channels=1, samplerate=48000, dtype="int16", callback=capture
    ):
        async with app.run_test(size=(140, 40)) as pilot:
            # the cursor follows the audio (waited for, no fixed pause), and what is heard at
            # the cursor is on the screen: the first spoken turn (5.5-7.0 s) is underway. A
            # loaded machine can stall the app past the whole turn: then play it again
            inside: list[str] = []
            seen: list[tuple[float, str]] = []
            for _attempt in range(3):
                if player.playing:
                    await pilot.press("space")
                await pilot.press("home")
                # 3 s: 2 s before the user's tone (5.0, console time), so a slow start of the
                # output stream (a CI run jumped 2 s at once) is over before the turn
                for _ in range(3):
                    await pilot.press("right")
                assert app.cursor == 3.0
                with lock:
                    heard.clear()
                await pilot.press("space")
                assert player.playing
                assert "playing" in str(app.query_one(Timeline).render())
                seen = []
                for _ in range(200):
                    seen.append((app.cursor, app.state.user_state))
                    if app.cursor >= 6.5:
                        break
                    await pilot.pause(0.05)
                assert app.cursor >= 6.5, seen
                inside = [state for cursor, state in seen if 5.6 <= cursor <= 6.9]
                if inside:
                    break
            assert inside, f"the cursor never stopped inside the spoken turn: {seen}"
            assert set(inside) == {"speaking"}, seen
            with lock:
                loudest = max(heard, default=0.0)
            assert loudest > 1000, f"the speaker monitor heard nothing (rms {loudest:.0f})"
            await pilot.press("space")
            assert not player.playing
            paused_at = app.cursor
            await pilot.pause(0.1)
            assert app.cursor == paused_at  # the cursor stays where playback stopped
            assert "paused" in str(app.query_one(Timeline).render())
    player.stop()
