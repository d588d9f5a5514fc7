"""The local audio route: the console's devices <-> the active job over the wire.

Mic frames (engine thread) hop to the io loop and go to the active job as ``KIND_MIC``
frames; the job's agent audio goes to :meth:`AudioEngine.play`. The playout handshake: the job
says ``playback start`` / ``flush`` / ``clear`` for each segment; when the engine has played a
segment to the end (or was cleared) the job gets ``playout`` with the seconds heard, which is
what LiveKit's ``AudioOutput`` needs for interruptions and the transcript sync. Without an
engine (text only) a segment "plays" at once.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import protocol
from ..events import AgentSpeech, Audio, Error, Log, Playout, Recording, parse_event

if TYPE_CHECKING:
    from ..jobs import Job
    from ..media import RouteHost
    from .config import AudioConfig
    from .engine import AudioEngine

__all__ = ["WAV_SETTLE", "LocalAudioRoute", "open_engine"]

WAV_SETTLE = 0.4
"""Seconds the agent must have been listening before a held-back ``--input-wav`` starts."""


def open_engine(
    host: RouteHost,
    config: AudioConfig | None,
    on_mic_frame: Callable[[bytes], None],
    on_playout: Callable[[float, bool], None],
    on_heard: Callable[[float], None] | None = None,
    *,
    mic_on_engine_thread: bool = False,
) -> AudioEngine | None:
    """Open the audio engine; callbacks run on the io loop. None (after reporting) if no audio.

    With ``mic_on_engine_thread``, ``on_mic_frame`` is called on the engine's audio thread
    itself (it must be thread-safe): a hundred loop wake-ups a second fewer.

    When a device cannot be opened the engine is opened again without devices: the agent's
    audio is still paced in real time.
    """
    if config is None:
        return None
    from . import AudioEngine, AudioError

    loop = asyncio.get_running_loop()

    def on_status(status: dict[str, Any]) -> None:
        ev = parse_event({**status, "type": "audio"})
        if isinstance(ev, Audio):
            host.emit(ev)

    # the engine calls these on its own threads: hop to the io loop
    def mic_frame(pcm: bytes) -> None:
        loop.call_soon_threadsafe(on_mic_frame, pcm)

    def playout(played: float, interrupted: bool) -> None:
        loop.call_soon_threadsafe(on_playout, played, interrupted)

    def heard(t: float) -> None:
        if on_heard is not None:
            loop.call_soon_threadsafe(on_heard, t)

    for attempt in range(2):
        engine = AudioEngine(
            config,
            on_mic_frame=on_mic_frame if mic_on_engine_thread else mic_frame,
            on_playout=playout,
            on_status=on_status,
            on_heard=heard,
        )
        try:
            engine.start()
        except AudioError as exc:
            host.emit(Error(level="error", message=f"audio: {exc}", source="audio"))
            if attempt or not (config.use_input_device or config.use_output_device):
                return None
            config.use_input_device = config.use_output_device = False
            continue
        if engine.record_start is not None and config.record_dir is not None:
            zero = config.clock_start if config.clock_start is not None else engine.record_start
            start = round(engine.record_start - zero, 4)
            host.emit(Recording(dir=str(config.record_dir), audio_start=start))
        return engine
    return None


class LocalAudioRoute:
    """Local mode's :class:`~agentconsole.media.MediaRoute`: devices and the active job."""

    def __init__(self, host: RouteHost, config: AudioConfig | None) -> None:
        self._host = host
        self._config = config
        self._engine: AudioEngine | None = None
        self._job: Job | None = None
        self._segments: collections.deque[int] = collections.deque()
        self._agent_state = ""
        self._wav_timer: asyncio.TimerHandle | None = None

    async def open(self) -> bool:
        """Open the devices (never fatal: the console runs without audio)."""
        self._engine = open_engine(
            self._host,
            self._config,
            self._send_mic,
            self._on_playout,
            self._on_heard,
            mic_on_engine_thread=True,
        )
        return True

    def start_entry(self) -> dict[str, Any] | None:
        """No room."""
        return None

    def attach(self, job: Job | None) -> None:
        """A new active job: what was queued for the previous one is dropped."""
        self._job = job
        self._segments.clear()
        turns = getattr(self._host, "turns", None)
        if turns is not None:
            turns.reset()  # the new job numbers its segments from 1 again
        if self._engine is not None:
            self._engine.clear()

    def on_job_event(self, job: Job, ev: protocol.Event) -> bool:
        """The playback handshake; the agent's state for the WAV hold-back."""
        if job is not self._job:
            return False
        kind = ev.get("type")
        if kind == "playback":
            self._on_playback(job, str(ev.get("action")), int(ev.get("segment", 0)))
            return True
        if kind == "agent_state":
            self._agent_state = str(ev.get("state"))
        if kind in ("agent_state", "job_ready"):
            self._maybe_start_wav()
        return False

    def on_job_audio(self, job: Job, pcm: bytes) -> None:
        """Agent audio: to the speaker (or the real-time null sink)."""
        if self._engine is not None:
            self._engine.play(pcm)

    def after_job_exit(self, job: Job, error: str | None) -> bool:
        """Nothing to add to the usual policy."""
        if job is self._job:
            self.attach(None)
        return False

    def mute(self, on: bool) -> None:
        """Mute the microphone (the engine reports it; without one, say so here)."""
        if self._engine is not None:
            self._engine.set_muted(on)
        else:
            self._host.emit(Audio(muted=on))

    async def aclose(self) -> None:
        """Close the devices and finalise the recording."""
        if self._wav_timer is not None:
            self._wav_timer.cancel()
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()

    # -- internals --------------------------------------------------------------------------

    def _send_mic(self, pcm: bytes) -> None:
        # on the engine's audio thread: reads only, and a thread-safe send
        job = self._job
        if job is not None and job.started and not job.retired and not job.conn.closed:
            if job.blocked.is_set():
                return  # it would hear stale audio when it wakes up: skip what it cannot take
            job.conn.send_audio_from_thread(protocol.KIND_MIC, pcm)

    def _playout(self, job: Job, segment: int, played: float, interrupted: bool) -> None:
        ev = Playout(segment=segment, played=played, interrupted=interrupted)
        job.conn.send(ev.to_dict())

    def _on_heard(self, t: float) -> None:
        """A segment's first sample was played at ``time.monotonic()`` ``t`` (turn timeline)."""
        turns = getattr(self._host, "turns", None)
        if turns is not None:
            turns.on_heard(round(t - turns.origin, 4))

    def _on_playback(self, job: Job, action: str, segment: int) -> None:
        turns = getattr(self._host, "turns", None)
        if turns is not None and action == "start":
            turns.on_playback_start(segment, turns.now(), plays=self._engine is not None)
        elif turns is not None and action == "clear":
            turns.on_clear()
        if self._engine is None:
            # no audio at all: the segment "plays" instantly
            if action in ("flush", "clear"):
                self._playout(job, segment, 0.0, action == "clear")
            return
        if action == "start":
            self._segments.append(segment)
            self._host.emit(AgentSpeech(state="started"))
        elif action == "flush":
            self._engine.end_segment()
        elif action == "clear":
            self._engine.clear()

    def _on_playout(self, played: float, interrupted: bool) -> None:
        if not self._segments:
            return
        segment = self._segments.popleft()
        if self._job is not None:
            self._playout(self._job, segment, played, interrupted)
        self._host.emit(
            AgentSpeech(state="finished", played=round(played, 3), interrupted=interrupted)
        )

    def _maybe_start_wav(self) -> None:
        """Start a held-back ``--input-wav`` once the agent is ready and has been listening
        for a moment (its greeting is over): the file is the user's turn, not an interruption."""
        engine, config = self._engine, self._config
        if engine is None or config is None or not config.wav_waits:
            return
        if self._wav_timer is not None:
            self._wav_timer.cancel()
            self._wav_timer = None
        job = self._job
        if job is None or not job.ready or self._agent_state != "listening":
            return

        def start() -> None:
            if self._agent_state == "listening" and self._job is job:
                engine.start_wav()
                config.wav_waits = False
                self._host.emit(
                    Log(level="info", logger="agentconsole", message="input WAV started")
                )

        self._wav_timer = asyncio.get_running_loop().call_later(WAV_SETTLE, start)
