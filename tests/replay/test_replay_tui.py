"""``agentconsole replay DIR --tui`` in a real terminal (tmux): the replay runs on the
console's screen, then the TUI closes by itself and the diff is printed."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "tui"))
from test_tui_tmux import Tmux

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]


def test_replay_in_the_tui(recording: Path, tmp_path: Path) -> None:
    after = tmp_path / "after.txt"
    out = tmp_path / "out"
    command = (
        f"cd {ROOT} && {sys.executable} -m agentconsole replay {recording} --tui --out {out}"
        f"; echo exit=$? > {after}; sleep 60"
    )
    session = Tmux(tmp_path / "tmux.sock", command)
    try:
        session.wait_for("● ready", timeout=90)  # the 80x24 header keeps the state, not the pid
        screen = session.wait_for("The kitchen lights are on.", timeout=120)
        assert "turn_on_lights" in screen
        deadline = time.monotonic() + 60
        while not after.exists() or "exit=" not in after.read_text():
            assert time.monotonic() < deadline, session.screen()
            time.sleep(0.2)
        assert after.read_text().startswith("exit=0"), session.screen()
        # the TUI closed by itself; the diff is in the terminal
        session.wait_for("OK: every turn matches", timeout=10)
    finally:
        session.close()
