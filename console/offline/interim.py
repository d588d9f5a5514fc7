"""`MoonshineStreamingSTT`: Moonshine with VAD segmentation *and* interim transcripts.

Moonshine is not a streaming model, so interim results come from re-decoding the growing
utterance: while the VAD reports speech, every `interim_interval` seconds of new speech the whole
utterance so far is transcribed again and sent as an INTERIM_TRANSCRIPT. At most one interim
decode runs at a time (slow machines simply get fewer interims), and at end of speech a running
interim decode is aborted between decoding steps so the FINAL_TRANSCRIPT is not delayed.

The final transcript is decoded speculatively: as soon as the VAD has heard `speculate_after`
seconds of silence (long before its `min_silence_duration` ends the utterance), the utterance so
far is decoded; if no speech follows before the VAD's END_OF_SPEECH, that result is the final
transcript, so it arrives up to the silence window earlier. Speech that resumes aborts the
speculative decode, and the next silence starts another.

This relies on Silero's event stream (`START_OF_SPEECH` carries the buffered speech, later
`INFERENCE_DONE` events with `speaking=True` carry each new window and the silence heard so far
in `raw_accumulated_silence`). The plain `MoonshineSTT` plus the framework's `StreamAdapter` is
the simpler, final-only alternative.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from contextlib import suppress

from livekit import rtc
from livekit.agents import stt, utils, vad
from livekit.agents.types import (
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    APIConnectOptions,
    NotGivenOr,
)
from livekit.agents.utils import is_given

from . import moonshine
from .stt import MoonshineSTT, to_model_input, transcribe_padded, transcribe_stable


class MoonshineStreamingSTT(MoonshineSTT):
    """Moonshine STT that segments with a VAD and emits interim transcripts.

    Args:
        vad: the VAD used to find utterances (Silero: `silero.VAD.load()`).
        interim_interval: seconds of new speech between interim decodes; `None`: no interim
            transcripts (finals only, and no CPU spent re-decoding while the user speaks).
        max_interim_seconds: no interims for utterances longer than this (re-decoding a long
            buffer costs more than it shows); the final transcript still comes.
        speculate_after: seconds of VAD silence after which the final transcript is decoded
            speculatively (see the module docstring); `None` decodes at END_OF_SPEECH only.
    """

    def __init__(
        self,
        *,
        vad: vad.VAD,
        language: str = "en",
        interim_interval: float | None = 0.5,
        max_interim_seconds: float = 12.0,
        speculate_after: float | None = 0.1,
    ) -> None:
        super().__init__(language=language)
        self._capabilities = stt.STTCapabilities(
            streaming=True, interim_results=interim_interval is not None
        )
        self._vad = vad
        self.interim_interval = interim_interval
        self.max_interim_seconds = max_interim_seconds
        self.speculate_after = speculate_after

    def stream(
        self,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
    ) -> MoonshineRecognizeStream:
        """A recognition stream: push frames, read START/INTERIM/END/FINAL events."""
        lang = language if is_given(language) else self._language
        return MoonshineRecognizeStream(stt=self, language=lang, conn_options=conn_options)


class MoonshineRecognizeStream(stt.RecognizeStream):
    """VAD-segmented Moonshine recognition with re-decoded interim transcripts."""

    def __init__(
        self, *, stt: MoonshineStreamingSTT, language: str, conn_options: APIConnectOptions
    ) -> None:
        super().__init__(stt=stt, conn_options=conn_options)
        self._owner = stt
        self._language = language

    async def _run(self) -> None:
        vad_stream = self._owner._vad.stream()

        async def forward() -> None:
            async for item in self._input_ch:
                if isinstance(item, self._FlushSentinel):
                    vad_stream.flush()
                else:
                    vad_stream.push_frame(item)
            vad_stream.end_input()

        tasks = [asyncio.create_task(forward()), asyncio.create_task(self._recognize(vad_stream))]
        try:
            await asyncio.gather(*tasks)
        finally:
            await utils.aio.cancel_and_wait(*tasks)
            await vad_stream.aclose()

    async def _recognize(self, vad_stream: vad.VADStream) -> None:
        owner = self._owner
        speech: list[rtc.AudioFrame] = []
        speaking = False
        next_interim = 0.0
        interim: asyncio.Task[None] | None = None
        abort = threading.Event()
        # the speculative final decode, its abort flag and the silence heard when it started
        spec: asyncio.Task[tuple[str, int]] | None = None
        spec_abort = threading.Event()
        spec_silence = 0.0
        dropped: list[asyncio.Task[tuple[str, int]]] = []
        try:
            async for ev in vad_stream:
                if ev.type == vad.VADEventType.START_OF_SPEECH:
                    speaking, speech = True, list(ev.frames)
                    next_interim = owner.interim_interval or 0.0
                    spec = None
                    self._send(stt.SpeechEventType.START_OF_SPEECH)
                elif ev.type == vad.VADEventType.INFERENCE_DONE and speaking and ev.speaking:
                    speech.extend(ev.frames)
                    silence = ev.raw_accumulated_silence
                    if spec is not None and silence < spec_silence:
                        # speech resumed: the speculative result would miss it
                        spec_abort.set()
                        dropped.append(spec)
                        spec = None
                    if (
                        spec is None
                        and owner.speculate_after is not None
                        and silence >= owner.speculate_after
                    ):
                        abort.set()  # a running interim gives way to the final
                        spec_abort, spec_silence = threading.Event(), silence
                        spec = asyncio.create_task(self._decode(list(speech), spec_abort))
                        continue
                    if spec is not None or owner.interim_interval is None:
                        continue
                    seconds = sum(f.duration for f in speech)
                    busy = interim is not None and not interim.done()
                    short = seconds <= owner.max_interim_seconds
                    if seconds >= next_interim and not busy and short:
                        next_interim = seconds + owner.interim_interval
                        abort = threading.Event()
                        interim = asyncio.create_task(self._interim(list(speech), abort))
                elif ev.type == vad.VADEventType.END_OF_SPEECH:
                    speaking = False
                    abort.set()  # a running interim decode stops at its next step
                    if interim is not None:
                        await interim  # returns within one decoding step
                        interim = None
                    self._send(stt.SpeechEventType.END_OF_SPEECH)
                    result: tuple[str, int] | None = None
                    if spec is not None:
                        with suppress(moonshine.DecodeAborted):
                            result = await spec  # only silence followed: reuse it
                        spec = None
                    if result is None:
                        result = await self._decode(ev.frames)
                    text, samples = result
                    if text:
                        self._send(stt.SpeechEventType.FINAL_TRANSCRIPT, text, samples)
                    self._send_usage(samples)
                    for task in dropped:  # aborted within one decoding step
                        with suppress(moonshine.DecodeAborted):
                            await task
                    dropped.clear()
        finally:
            abort.set()
            spec_abort.set()
            pending = [t for t in (interim, spec, *dropped) if t is not None]
            if pending:
                await utils.aio.cancel_and_wait(*pending)

    @staticmethod
    async def _decode(
        frames: list[rtc.AudioFrame], abort: threading.Event | None = None, *, final: bool = True
    ) -> tuple[str, int]:
        """Transcribe frames in a worker thread (resampling included, off the event loop); a
        final is decoded so that it does not hinge on the segment's first sample."""
        transcribe = transcribe_stable if final else transcribe_padded

        def work() -> tuple[str, int]:
            audio = to_model_input(frames)
            text = transcribe(audio, abort.is_set if abort is not None else None)
            return text, audio.size

        return await asyncio.to_thread(work)

    async def _interim(self, frames: list[rtc.AudioFrame], abort: threading.Event) -> None:
        with suppress(moonshine.DecodeAborted):
            text, samples = await self._decode(frames, abort, final=False)
            if text and not abort.is_set():
                self._send(stt.SpeechEventType.INTERIM_TRANSCRIPT, text, samples)

    def _send_usage(self, samples: int) -> None:
        """The audio transcribed, for the session's STT metrics (what a non-streaming STT gets
        from the framework's `StreamAdapter`)."""
        self._event_ch.send_nowait(
            stt.SpeechEvent(
                type=stt.SpeechEventType.RECOGNITION_USAGE,
                request_id=uuid.uuid4().hex[:12],
                recognition_usage=stt.RecognitionUsage(
                    audio_duration=samples / moonshine.SAMPLE_RATE
                ),
            )
        )

    def _send(self, kind: stt.SpeechEventType, text: str = "", samples: int = 0) -> None:
        alternatives = []
        if text:
            alternatives.append(
                stt.SpeechData(
                    language=self._language,  # type: ignore[arg-type]  # str before 1.5
                    text=text,
                    end_time=samples / moonshine.SAMPLE_RATE,
                    confidence=1.0 if kind == stt.SpeechEventType.FINAL_TRANSCRIPT else 0.5,
                )
            )
        self._event_ch.send_nowait(
            stt.SpeechEvent(type=kind, request_id=uuid.uuid4().hex[:12], alternatives=alternatives)
        )
