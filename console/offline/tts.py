"""`EspeakTTS`: offline text-to-speech for LiveKit Agents, using espeak-ng via ctypes.

Non-streaming in the framework's sense (`synthesize()` takes whole text; `AgentSession` wraps it
in a sentence-by-sentence `tts.StreamAdapter`), but each synthesis streams: PCM chunks are pushed
to the `AudioEmitter` as espeak produces them, so the first audio is out in a few milliseconds.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass, replace

from livekit.agents import tts
from livekit.agents.types import (
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    APIConnectOptions,
    NotGivenOr,
)
from livekit.agents.utils import is_given

from . import espeak


@dataclass(frozen=True)
class _Options:
    voice: str
    rate: int


class EspeakTTS(tts.TTS):  # type: ignore[type-arg]  # generic only in newer 1.x
    """espeak-ng speech synthesis (22050 Hz mono), no network, no system packages.

    Args:
        voice: an espeak-ng voice name, e.g. "en-us", "en-gb", "en-us+f3".
        rate: speaking rate in words per minute (espeak-ng accepts about 80-450).
    """

    def __init__(self, *, voice: str = espeak.DEFAULT_VOICE, rate: int = espeak.DEFAULT_RATE):
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=espeak.SAMPLE_RATE,
            num_channels=1,
        )
        self._opts = _Options(voice=voice, rate=rate)

    @property
    def model(self) -> str:
        """Model name reported in metrics."""
        return f"espeak-ng/{self._opts.voice}"

    @property
    def provider(self) -> str:
        """Provider name reported in metrics."""
        return "espeak-ng"

    @property
    def voice(self) -> str:
        """The current espeak-ng voice name."""
        return self._opts.voice

    @property
    def rate(self) -> int:
        """The current speaking rate in words per minute."""
        return self._opts.rate

    def update_options(
        self, *, voice: NotGivenOr[str] = NOT_GIVEN, rate: NotGivenOr[int] = NOT_GIVEN
    ) -> None:
        """Change the voice and/or rate for the next syntheses."""
        if is_given(voice):
            self._opts = replace(self._opts, voice=voice)
        if is_given(rate):
            self._opts = replace(self._opts, rate=rate)

    def prewarm(self) -> None:
        """Framework hook: initialise espeak-ng now (a few ms)."""
        espeak.engine()

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> EspeakChunkedStream:
        """Synthesise `text`; the returned stream yields audio while espeak still works."""
        return EspeakChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class EspeakChunkedStream(tts.ChunkedStream):
    """One synthesis; audio chunks go out as espeak-ng produces them."""

    def __init__(self, *, tts: EspeakTTS, input_text: str, conn_options: APIConnectOptions):
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._opts = tts._opts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=uuid.uuid4().hex[:12],
            sample_rate=espeak.SAMPLE_RATE,
            num_channels=1,
            mime_type="audio/pcm",
        )
        loop = asyncio.get_running_loop()
        cancelled = threading.Event()

        def push(chunk: bytes) -> None:
            # Runs on the synthesis thread; the emitter lives on the event loop.
            loop.call_soon_threadsafe(output_emitter.push, chunk)

        def work() -> None:
            espeak.engine().synthesize(
                self.input_text,
                push,
                voice=self._opts.voice,
                rate=self._opts.rate,
                should_abort=cancelled.is_set,
            )

        fut = loop.run_in_executor(None, work)
        try:
            await asyncio.shield(fut)
        except asyncio.CancelledError:
            # Interrupted: stop espeak at its next chunk; the thread exits on its own.
            cancelled.set()
            fut.add_done_callback(_ignore_result)
            raise
        # Let the chunks scheduled by the last callbacks reach the emitter before end_input.
        await asyncio.sleep(0)


def _ignore_result(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()  # mark retrieved: SynthesisAborted is the expected outcome
