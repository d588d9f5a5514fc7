"""`MoonshineStreamingSTT`: Moonshine with VAD segmentation *and* interim transcripts.

Moonshine is not a streaming model, so interim results come from re-decoding the growing
utterance: while the VAD reports speech, every `interim_interval` seconds of new speech the whole
utterance so far is transcribed again and sent as an INTERIM_TRANSCRIPT. At most one interim
decode runs at a time (slow machines simply get fewer interims), and at end of speech a running
interim decode is aborted between decoding steps so the FINAL_TRANSCRIPT is not delayed.

This relies on Silero's event stream (`START_OF_SPEECH` carries the buffered speech, later
`INFERENCE_DONE` events with `speaking=True` carry each new window). The plain `MoonshineSTT`
plus the framework's `StreamAdapter` is the simpler, final-only alternative.
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
from .stt import MoonshineSTT, to_model_input, transcribe_padded


class MoonshineStreamingSTT(MoonshineSTT):
    """Moonshine STT that segments with a VAD and emits interim transcripts.

    Args:
        vad: the VAD used to find utterances (Silero: `silero.VAD.load()`).
        interim_interval: seconds of new speech between interim decodes.
        max_interim_seconds: no interims for utterances longer than this (re-decoding a long
            buffer costs more than it shows); the final transcript still comes.
    """

    def __init__(
        self,
        *,
        vad: vad.VAD,
        language: str = "en",
        interim_interval: float = 0.5,
        max_interim_seconds: float = 12.0,
    ) -> None:
        super().__init__(language=language)
        self._capabilities = stt.STTCapabilities(streaming=True, interim_results=True)
        self._vad = vad
        self.interim_interval = interim_interval
        self.max_interim_seconds = max_interim_seconds

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
        speech: list[rtc.AudioFrame] = []
        speaking = False
        next_interim = 0.0
        interim: asyncio.Task[None] | None = None
        abort = threading.Event()
        try:
            async for ev in vad_stream:
                if ev.type == vad.VADEventType.START_OF_SPEECH:
                    speaking, speech = True, list(ev.frames)
                    next_interim = self._owner.interim_interval
                    self._send(stt.SpeechEventType.START_OF_SPEECH)
                elif ev.type == vad.VADEventType.INFERENCE_DONE and speaking and ev.speaking:
                    speech.extend(ev.frames)
                    seconds = sum(f.duration for f in speech)
                    busy = interim is not None and not interim.done()
                    if (
                        seconds >= next_interim
                        and not busy
                        and seconds <= self._owner.max_interim_seconds
                    ):
                        next_interim = seconds + self._owner.interim_interval
                        abort = threading.Event()
                        interim = asyncio.create_task(self._interim(list(speech), abort))
                elif ev.type == vad.VADEventType.END_OF_SPEECH:
                    speaking = False
                    abort.set()  # a running interim decode stops at its next step
                    if interim is not None:
                        await interim  # returns within one decoding step
                        interim = None
                    self._send(stt.SpeechEventType.END_OF_SPEECH)
                    audio = to_model_input(ev.frames)
                    text = await asyncio.to_thread(transcribe_padded, audio)
                    if text:
                        self._send(stt.SpeechEventType.FINAL_TRANSCRIPT, text, audio.size)
        finally:
            abort.set()
            if interim is not None:
                await utils.aio.cancel_and_wait(interim)

    async def _interim(self, frames: list[rtc.AudioFrame], abort: threading.Event) -> None:
        audio = to_model_input(frames)
        with suppress(moonshine.DecodeAborted):
            text = await asyncio.to_thread(transcribe_padded, audio, abort.is_set)
            if text and not abort.is_set():
                self._send(stt.SpeechEventType.INTERIM_TRANSCRIPT, text, audio.size)

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
