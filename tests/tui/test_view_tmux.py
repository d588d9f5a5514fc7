"""``agentconsole view DIR`` in a real terminal (tmux): the recorded conversation, the
timeline, scrubbing with the arrow keys, quitting with the terminal restored."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest
from test_tui_tmux import Tmux

sys.path.insert(0, str(Path(__file__).parents[1] / "replay"))
from view_helpers import make_recording

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]


def test_view_in_a_real_terminal(tmp_path: Path) -> None:
    rec = make_recording(tmp_path / "rec")
    after = tmp_path / "after.txt"
    command = (
        f"cd {ROOT} && {sys.executable} -m agentconsole view {rec}; "
        f"echo exit=$? > {after}; stty -a >> {after}; sleep 60"
    )
    session = Tmux(tmp_path / "tmux.sock", command)
    try:
        screen = session.wait_for("Conversation (recorded)", timeout=60)
        screen = session.wait_for("turn_on_lights", timeout=20)
        assert "Turn on the kitchen lights." in screen
        assert "0:14.9 / 0:14.9" in screen and "paused" in screen
        session.keys("Home")
        screen = session.wait_for("0:00.0 / 0:14.9", timeout=10)
        assert "turn_on_lights" not in screen and "Turn on the kitchen lights." not in screen
        for _ in range(10):
            session.keys("Right")
        screen = session.wait_for("0:10.0 / 0:14.9", timeout=10)
        assert "turn_on_lights" in screen and "Turn on the kitchen lights." in screen
        session.keys("q")
        deadline = time.monotonic() + 20
        while not after.exists() or "exit=" not in after.read_text():
            assert time.monotonic() < deadline, session.screen()
            time.sleep(0.2)
        state = after.read_text()
        assert state.startswith("exit=0")
        assert " icanon" in state and " echo" in state and "-icanon" not in state
    finally:
        session.close()
