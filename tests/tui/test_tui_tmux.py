"""The real command in a real terminal: tmux runs ``agentconsole`` and we read the screen.

What a user sees: the header, the spoken turn from a WAV microphone, the tool card, the
reply; a typed turn; quitting restores the terminal (stty) and leaves no process behind.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
from conftest_speech import speak

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
ROOT = Path(__file__).resolve().parents[2]


class Tmux:
    """A private tmux server with one 80x24 window (a common default terminal)."""

    def __init__(self, socket: Path, command: str) -> None:
        self.base = ["tmux", "-S", str(socket)]
        self.wav = Path()
        subprocess.run(
            [
                *self.base,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                "80",
                "-y",
                "24",
            ],
            check=True,
        )
        # start the command once the window has its size (a program started with the session
        # can read tmux's initial 80x24)
        time.sleep(0.3)
        self.keys("-l", command)
        self.keys("Enter")

    def screen(self) -> str:
        out = subprocess.run(
            [*self.base, "capture-pane", "-p", "-t", "t"], capture_output=True, text=True
        )
        return out.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", "-t", "t", *keys], check=True)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared on screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    wav = speak("turn on the kitchen lights", tmp_path / "kitchen.wav")
    after = tmp_path / "after.txt"
    console = (
        f"cd {ROOT} && {sys.executable} -m agentconsole examples/offline_agent.py "
        f"--no-watch --input-wav {wav}; echo exit=$? > {after}; stty -a >> {after}; sleep 60"
    )
    session = Tmux(tmp_path / "tmux.sock", console)
    session.wav = wav
    try:
        yield session, after
    finally:
        session.close()


def test_a_user_session_in_a_real_terminal(tmux: tuple[Tmux, Path]) -> None:
    session, after = tmux
    # 80x24: the header keeps the job state, the audio/text mode and the active agent (the
    # file name goes first), the footer every key up to Quit. The agent is named as the session
    # starts, a moment before the job reports ready: wait for both.
    session.wait_for("OfflineAssistant", timeout=90)
    screen = session.wait_for("● ready", timeout=60)
    header, footer = screen.splitlines()[0], screen.rstrip().splitlines()[-1]
    assert "● ready" in header and "local" in header and "♪ audio" in header
    assert "in kitchen.wav (WAV)" in header  # the input the console really uses
    assert "i Interrupt" in footer and "u Set" in footer and "q Quit" in footer
    screen = session.wait_for("turn_on_lights", timeout=120)
    screen = session.wait_for("The kitchen lights are on.", timeout=60)
    assert '"room": "kitchen"' in screen
    assert "kitchen lights" in screen.lower()

    session.keys("t")
    session.wait_for("type as the user", timeout=10)  # the input line is open and focused
    session.keys("-l", "hello there")
    session.keys("Enter")
    session.wait_for("How can I help you today?", timeout=60)

    # u: the settings panel; right raises the VAD threshold on the running session, and the
    # graph's subtitle follows the job's report
    session.keys("u")
    session.wait_for("activation_threshold", timeout=10)
    session.keys("Right")
    screen = session.wait_for("threshold 0.55", timeout=20)
    assert "silero.VAD.load(" in screen  # the code to paste
    session.keys("u")
    session.wait_for("Latency", timeout=10)

    consoles = [
        p
        for p in psutil.process_iter(["cmdline"])
        if "--input-wav" in (p.info["cmdline"] or [])
        and str(session.wav) in (p.info["cmdline"] or [])
    ]
    console_pids = [c.pid for proc in consoles for c in proc.children(recursive=True)]
    assert console_pids, "no job process while the console runs"
    session.keys("q")
    deadline = time.monotonic() + 20
    while not after.exists() or "exit=" not in after.read_text():
        assert time.monotonic() < deadline, session.screen()
        time.sleep(0.2)
    time.sleep(0.5)
    state = after.read_text()
    assert state.startswith("exit=0")
    # the terminal is back in its normal mode
    assert " icanon" in state and " echo" in state and "-icanon" not in state
    deadline = time.monotonic() + 10
    while any(psutil.pid_exists(p) for p in console_pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in console_pids if psutil.pid_exists(p)], "a job outlived the console"
