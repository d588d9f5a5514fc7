"""The session's IO inside the job: audio in/out over the wire, and text taps.

* ``WireAudioInput``: microphone frames that arrive from the console, handed to the session at
  16 kHz (:func:`input_rate`).
* ``WireAudioOutput``: agent audio sent to the console, which plays it (or paces it when there
  is no speaker) and reports back how much of each segment was heard.
* ``TextTap``: a ``TextOutput`` that reports each piece of text and forwards it down the chain.
  Placed before the ``TranscriptSynchronizer`` it sees the LLM text as it streams; placed after
  it, the text as it is spoken.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from livekit import rtc
from livekit.agents.voice import io

from .. import protocol
from ..events import Playback
from ..wire import Connection

__all__ = ["STT_RATE", "TextTap", "WireAudioInput", "WireAudioOutput", "input_rate"]

STT_RATE = 16000
"""The rate the session hears the mic at, unless it talks to a realtime model."""

# After a clear, how long to wait for the console to say how much was heard before falling
# back to the wall-clock estimate (the console answers within a few ms when it is alive).
_CLEAR_REPORT_TIMEOUT = 0.5


def input_rate(session: Any) -> int:
    """The rate the session gets the mic at: :data:`STT_RATE`, the rate VADs and STTs run at,
    or the wire's 24 kHz when the session or its first agent uses a realtime model (which
    takes 24 kHz audio and would otherwise upsample it).

    Resampled once here, the audio reaches Silero's streams (the session's, and one that
    segments for a non-streaming STT) and a local STT at their own rate, so none of them
    runs a resampler of its own on every frame: at idle those resamplers were a fifth of the
    job's CPU (bench/README.md, "Lighter and quicker, tenth pass").
    """
    from livekit.agents import llm

    for owner in (getattr(session, "_agent", None), session):
        if isinstance(getattr(owner, "llm", None), llm.RealtimeModel):
            return protocol.SAMPLE_RATE
    return STT_RATE


class WireAudioInput(io.AudioInput):
    """Microphone audio pushed by the job's wire reader, handed on at ``rate``."""

    def __init__(self, rate: int = protocol.SAMPLE_RATE) -> None:
        super().__init__(label="agentconsole")
        self.rate = rate
        """The sample rate of the frames the session gets."""
        self._queue: asyncio.Queue[rtc.AudioFrame] = asyncio.Queue()
        self._attached = True
        self._resampler = (
            None
            if rate == protocol.SAMPLE_RATE
            else rtc.AudioResampler(protocol.SAMPLE_RATE, rate, num_channels=1)
        )

    def push(self, pcm: bytes) -> None:
        """Queue a block of PCM16 mic audio (10 or 20 ms; dropped while the input is detached)."""
        if not self._attached:
            return
        frame = rtc.AudioFrame(pcm, protocol.SAMPLE_RATE, 1, len(pcm) // 2)
        if self._resampler is None:
            self._queue.put_nowait(frame)
            return
        for out in self._resampler.push(frame):
            self._queue.put_nowait(out)

    async def __anext__(self) -> rtc.AudioFrame:
        return await self._queue.get()

    def on_attached(self) -> None:
        self._attached = True

    def on_detached(self) -> None:
        self._attached = False
        while not self._queue.empty():
            self._queue.get_nowait()


class WireAudioOutput(io.AudioOutput):
    """Agent audio to the console; playout is confirmed by the console's ``playout`` command.

    Segments are numbered; the console reports ``{"cmd": "playout", "segment": n,
    "played": seconds, "interrupted": bool}`` once segment ``n`` is heard in full or cut.
    """

    def __init__(self, conn: Connection) -> None:
        super().__init__(
            label="agentconsole",
            next_in_chain=None,
            sample_rate=protocol.SAMPLE_RATE,
            capabilities=io.AudioOutputCapabilities(pause=False),
        )
        self._conn = conn
        self._segment = 0
        self._pushed = 0.0
        self._capture_start = 0.0
        self._flush_task: asyncio.Task[None] | None = None
        self._cleared = False
        self._reports: dict[int, tuple[float, bool]] = {}
        self._report_event = asyncio.Event()
        self._resampler: rtc.AudioResampler | None = None
        self.on_segment_start: Callable[[int], None] | None = None
        """Called with the segment number when its first frame arrives (turn timeline)."""

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._flush_task and not self._flush_task.done():
            await self._flush_task
        if not self._pushed:
            self._segment += 1
            self._cleared = False
            self._capture_start = time.monotonic()
            self._conn.send(Playback(action="start", segment=self._segment).to_dict())
            self.on_playback_started(created_at=time.time())
            if self.on_segment_start is not None:
                self.on_segment_start(self._segment)
        self._pushed += frame.duration
        for out in self._resample(frame):
            self._conn.send_audio(protocol.KIND_PLAY, bytes(out.data))

    def _resample(self, frame: rtc.AudioFrame) -> list[rtc.AudioFrame]:
        if frame.sample_rate == protocol.SAMPLE_RATE and frame.num_channels == 1:
            return [frame]
        if self._resampler is None:
            self._resampler = rtc.AudioResampler(
                input_rate=frame.sample_rate,
                output_rate=protocol.SAMPLE_RATE,
                num_channels=frame.num_channels,
            )
        return list(self._resampler.push(frame))

    def flush(self) -> None:
        super().flush()
        if not self._pushed:
            return
        self._conn.send(Playback(action="flush", segment=self._segment).to_dict())
        self._flush_task = asyncio.create_task(self._wait_for_playout(self._segment))

    def clear_buffer(self) -> None:
        if not self._pushed or self._cleared:
            return
        self._cleared = True
        self._conn.send(Playback(action="clear", segment=self._segment).to_dict())

    def report_playout(self, segment: int, played: float, interrupted: bool) -> None:
        """The console's report that a segment finished playing or was cut."""
        self._reports[segment] = (played, interrupted)
        self._report_event.set()

    async def _wait_for_playout(self, segment: int) -> None:
        deadline: float | None = None
        while segment not in self._reports:
            if self._cleared and deadline is None:
                deadline = time.monotonic() + _CLEAR_REPORT_TIMEOUT
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._report_event.clear()
            try:
                await asyncio.wait_for(self._report_event.wait(), timeout=timeout or 0.05)
            except asyncio.TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    break
        played, interrupted = self._reports.pop(
            segment, (min(time.monotonic() - self._capture_start, self._pushed), True)
        )
        played = min(max(0.0, played), self._pushed)
        self._pushed = 0.0
        self.on_playback_finished(playback_position=played, interrupted=interrupted)


class TextTap(io.TextOutput):
    """Reports text pieces (``on_text``) and flushes (``on_flush``), then forwards them."""

    def __init__(
        self,
        *,
        on_text: Callable[[str], None],
        on_flush: Callable[[], None] | None = None,
        next_in_chain: io.TextOutput | None = None,
    ) -> None:
        super().__init__(label="agentconsole", next_in_chain=next_in_chain)
        self._on_text = on_text
        self._on_flush = on_flush

    async def capture_text(self, text: str) -> None:
        if text:
            self._on_text(text)
        if self.next_in_chain is not None:
            await self.next_in_chain.capture_text(text)

    def flush(self) -> None:
        if self._on_flush is not None:
            self._on_flush()
        if self.next_in_chain is not None:
            self.next_in_chain.flush()

    def on_attached(self) -> None:
        if self.next_in_chain is not None:
            self.next_in_chain.on_attached()

    def on_detached(self) -> None:
        if self.next_in_chain is not None:
            self.next_in_chain.on_detached()
