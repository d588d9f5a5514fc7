"""The replay player: the recorded user's side, played into a live agent in step with it.

Each recorded user action (an audio span of the microphone, a typed turn, ``say``,
``interrupt``, ``mock_tool``) carries an anchor (``session_file``): how many user turns came
before it, and either how long after the agent started listening it happened, or how far into
the agent's speech (a barge-in). The player waits for the same point in the live session, not
for the same clock time, so a slower or faster agent stays in step:

* ``listening``: the live agent has produced the same number of user finals, has gone back to
  listening as often since the last one, is listening now, and has been for ``offset``;
* ``speech``: the live agent has started the same number of speech segments since the last
  final; the action comes ``offset`` into that segment (at once if the segment ends sooner).

A wait that lasts longer than ``timeout`` goes on anyway (and says so in ``replay_step``), so
an agent that stopped replying cannot hang a CI job.

Threads: events arrive on the supervisor's io thread (:meth:`Player.on_event`); the player runs
on its own thread; the microphone is read on the audio pacer thread (:class:`MicSource`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .session_file import AgentClock

__all__ = ["MicSource", "Player"]

_QUIET_END = 1.0  # seconds of a listening agent after the last turn before the replay ends
_TICK = 0.02
_PLAYED = ("audio", "text", "say", "interrupt", "mock_tool")
"""Steps a replay repeats. ``mute`` is not among them: the recorded microphone is already
silent where the user was muted."""


class MicSource:
    """The replayed microphone: PCM16 mono bytes queued by the player, read 10 ms at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buf = b""
        self._pos = 0

    def play(self, pcm: bytes) -> None:
        """Queue ``pcm`` after whatever is still playing."""
        with self._lock:
            self._buf = self._buf[self._pos :] + pcm
            self._pos = 0

    def read(self, nbytes: int) -> bytes:
        """The next ``nbytes`` (fewer or none: silence). Called on the audio pacer thread."""
        with self._lock:
            chunk = self._buf[self._pos : self._pos + nbytes]
            self._pos += len(chunk)
            return chunk

    @property
    def busy(self) -> bool:
        """True while queued audio has not been read yet."""
        with self._lock:
            return self._pos < len(self._buf)


class _Live(AgentClock):
    """What the player knows about the live session (updated from events, on its own clock)."""

    def __init__(self) -> None:
        super().__init__(start=time.monotonic())
        self.ready = False
        self.exited = False


class Player:
    """Plays ``user`` (``session.json``'s user side) into the session behind ``command``."""

    def __init__(
        self,
        user: list[dict[str, Any]],
        audio: Callable[[float, float], bytes],
        mic: MicSource,
        command: Callable[[dict[str, Any]], None],
        emit: Callable[..., None],
        *,
        final_count: int,
        end_listens: int = 1,
        timeout: float = 30.0,
    ) -> None:
        """``audio(start, end)`` gives the recorded microphone between two times of
        ``audio.wav``; ``command`` sends a command to the console; ``emit(type, **fields)``
        emits an event. ``final_count``: user finals in the recording; the replay ends after
        as many, once the agent went back to listening ``end_listens`` times (0 or 1) after
        the last step."""
        self._user = [u for u in user if u.get("kind") in _PLAYED]
        self._audio = audio
        self._mic = mic
        self._command = command
        self._emit = emit
        self._final_count = final_count
        self._end_listens = end_listens
        self._timeout = timeout
        self._live = _Live()
        self._cond = threading.Condition()
        self._stop = False
        self.done = threading.Event()
        """Set when every step was played and the agent answered the last one."""
        self.timeouts = 0
        self._thread = threading.Thread(target=self._run, name="agentconsole-replay", daemon=True)

    def start(self) -> None:
        """Start the player thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop waiting (the console is shutting down)."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)

    # -- events (io thread) -------------------------------------------------------------------

    def on_event(self, ev: dict[str, Any]) -> None:
        """Follow the live session. Called on the supervisor's io thread."""
        kind = ev.get("type")
        now = time.monotonic()
        with self._cond:
            live = self._live
            if kind == "job_ready":
                live.ready = True
            elif kind == "job_exited":
                live.exited = True
            elif not live.feed(ev, now):
                return
            self._cond.notify_all()

    # -- the player thread ----------------------------------------------------------------------

    def _wait(self, ready: Callable[[_Live, float], bool]) -> tuple[float, bool]:
        """Wait until ``ready(live, now)``; returns (seconds waited, timed out)."""
        began = time.monotonic()
        with self._cond:
            while not self._stop and not self._live.exited:
                now = time.monotonic()
                if ready(self._live, now):
                    return now - began, False
                if now - began > self._timeout:
                    self.timeouts += 1
                    return now - began, True
                self._cond.wait(_TICK)
        return time.monotonic() - began, False

    def _anchor_ready(self, step: dict[str, Any]) -> Callable[[_Live, float], bool]:
        finals = int(step.get("finals_before", 0))
        offset = float(step.get("offset", 0.0))
        mic = self._mic

        if step.get("anchor") == "speech":
            speeches = int(step.get("speeches", 1))

            def in_speech(live: _Live, now: float) -> bool:
                if mic.busy or not live.ready or live.finals < finals:
                    return False
                if live.speeches < speeches:
                    return False
                return not live.speaking or now - (live.speech_started or now) >= offset

            return in_speech

        listens = int(step.get("listens", 1))

        def listening(live: _Live, now: float) -> bool:
            if mic.busy or not live.ready or live.finals < finals:
                return False
            if not live.listening or live.listens < listens:
                return False
            return now - live.listening_base() >= offset

        return listening

    def _run(self) -> None:
        total = len(self._user)
        listens_at_last = 0
        for index, step in enumerate(self._user):
            waited, timed_out = self._wait(self._anchor_ready(step))
            if self._stop or self._live.exited:
                return
            kind = str(step.get("kind"))
            with self._cond:
                listens_at_last = self._live.listens_total
            if kind == "audio":
                start, end = step["audio"]
                self._mic.play(self._audio(float(start), float(end)))
            elif kind == "text":
                self._command({"cmd": "user_text", "text": str(step.get("text", ""))})
            elif kind == "say":
                self._command({"cmd": "say", "text": str(step.get("text", ""))})
            elif kind == "interrupt":
                self._command({"cmd": "interrupt"})
            elif kind == "mock_tool":
                args: dict[str, Any] = {
                    k: step[k] for k in ("name", "output", "clear") if k in step
                }
                self._command({"cmd": "mock_tool", **args})
            self._emit(
                "replay_step",
                turn=index,
                turns=total,
                kind=kind,
                waited=round(waited, 3),
                timed_out=timed_out,
            )
        # the end: the agent answered as many user turns as recorded and, when the recorded
        # agent did, went back to listening after the user's last action
        self._wait(
            lambda live, now: (
                not self._mic.busy
                and live.finals >= self._final_count
                and live.listens_total - listens_at_last >= self._end_listens
                and (self._end_listens == 0 or live.listening)
                and now - live.listening_base() >= _QUIET_END
            )
        )
        self.done.set()
