"""The player waits for the live agent, not for the clock: a spoken turn starts only once the
agent has gone back to listening as often as in the recording; a barge-in waits for the
agent's speech; a typed turn becomes a ``user_text`` command. Events are fed by hand here (the
end-to-end replay in test_replay_cli.py runs the real agent)."""

from __future__ import annotations

import threading
from typing import Any

from agentconsole.replay.player import MicSource, Player


class Sink:
    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.changed = threading.Condition()

    def command(self, cmd: dict[str, Any]) -> None:
        with self.changed:
            self.commands.append(cmd)
            self.changed.notify_all()

    def emit(self, type_: str, **fields: Any) -> None:
        with self.changed:
            self.steps.append({"type": type_, **fields})
            self.changed.notify_all()

    def wait(self, what: Any, timeout: float = 10.0) -> None:
        with self.changed:
            assert self.changed.wait_for(what, timeout), (self.commands, self.steps)


USER = [
    {
        "kind": "audio",
        "audio": [1.0, 1.5],
        "anchor": "listening",
        "listens": 2,
        "offset": 0.0,
        "finals_before": 0,
    },
    {
        "kind": "audio",
        "audio": [2.0, 2.5],
        "anchor": "speech",
        "speeches": 1,
        "offset": 0.0,
        "finals_before": 1,
    },
    {
        "kind": "mute",
        "on": True,
        "anchor": "listening",
        "listens": 0,
        "offset": 0.0,
        "finals_before": 2,
    },
    {
        "kind": "text",
        "text": "hello",
        "anchor": "listening",
        "listens": 0,
        "offset": 0.0,
        "finals_before": 2,
    },
]


def test_player_follows_the_agent() -> None:
    sink = Sink()
    mic = MicSource()
    cut: list[tuple[float, float]] = []

    def audio(start: float, end: float) -> bytes:
        cut.append((start, end))
        return b"\x01\x00" * 240  # 10 ms

    player = Player(USER, audio, mic, sink.command, sink.emit, final_count=3, timeout=30)
    player.start()
    try:
        player.on_event({"type": "job_ready"})
        player.on_event({"type": "agent_state", "state": "listening"})  # before the greeting
        player.on_event({"type": "agent_state", "state": "speaking"})
        assert not sink.steps  # one listening is not enough: the recording had two
        player.on_event({"type": "agent_state", "state": "listening"})  # the greeting is over
        sink.wait(lambda: len(sink.steps) == 1)
        assert cut == [(1.0, 1.5)] and sink.steps[0]["kind"] == "audio"
        assert mic.read(480) and not mic.busy  # the pacer reads it
        player.on_event({"type": "user_transcript", "text": "x", "final": True})
        player.on_event({"type": "agent_state", "state": "thinking"})
        assert len(sink.steps) == 1  # the barge-in waits for the agent's speech
        player.on_event({"type": "agent_speech", "state": "started"})
        sink.wait(lambda: len(sink.steps) == 2)
        assert cut[-1] == (2.0, 2.5)
        mic.read(480)
        player.on_event({"type": "user_transcript", "text": "y", "final": True})
        player.on_event({"type": "agent_state", "state": "listening"})
        sink.wait(lambda: sink.commands == [{"cmd": "user_text", "text": "hello"}])
        # mute is not replayed: the recorded microphone is already silent there
        assert [s["kind"] for s in sink.steps] == ["audio", "audio", "text"]
        assert not player.done.is_set()
        player.on_event({"type": "user_transcript", "text": "hello", "final": True})
        player.on_event({"type": "agent_state", "state": "thinking"})
        player.on_event({"type": "agent_state", "state": "listening"})
        assert player.done.wait(10)
        assert all(not s["timed_out"] for s in sink.steps)
    finally:
        player.stop()


def test_player_goes_on_after_the_timeout() -> None:
    sink = Sink()
    player = Player(
        USER[3:], lambda a, b: b"", MicSource(), sink.command, sink.emit, final_count=0, timeout=0.2
    )
    player.start()
    try:
        player.on_event({"type": "job_ready"})  # the agent never listens
        sink.wait(lambda: len(sink.steps) == 1)
        assert sink.steps[0]["timed_out"] is True and player.timeouts >= 1
    finally:
        player.stop()
