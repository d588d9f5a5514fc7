"""`MoonshineSTT`: offline, non-streaming speech-to-text for LiveKit Agents.

Moonshine transcribes a whole utterance at once, so the STT declares `streaming=False`;
`AgentSession` (given a `vad=`) or `stt.StreamAdapter(stt=..., vad=...)` segments the audio and
calls `recognize()` once per utterance. The model loads lazily on first use; call
`agentconsole.offline.prewarm()` (or `MoonshineSTT.load()`) from an agent's prewarm function to
pay the ~1 s load before the first user turn.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from livekit import rtc
from livekit.agents import stt, utils
from livekit.agents.types import (
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    APIConnectOptions,
    NotGivenOr,
)
from livekit.agents.utils import is_given

from . import moonshine

# Silence added around each utterance: Moonshine tends to repeat the last words of audio that
# ends abruptly (measured: "Turn on the kitchen lights. Turn on" without it).
_PAD_SECONDS = 0.2


class MoonshineSTT(stt.STT):  # type: ignore[type-arg]  # generic only in newer 1.x
    """Moonshine base-en (English) speech recognition, fully offline.

    Uses the ORT weights bundled in the `moonshine-cpp` wheel, run with onnxruntime
    (see `agentconsole.offline.moonshine`). Inference runs in a worker thread, one utterance at
    a time per process.
    """

    def __init__(self, *, language: str = "en") -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self._language = language
        self._lock = asyncio.Lock()
        self._warm_thread: threading.Thread | None = None

    @property
    def model(self) -> str:
        """Model name reported in metrics."""
        return moonshine.MODEL_NAME

    @property
    def provider(self) -> str:
        """Provider name reported in metrics."""
        return "moonshine-onnx"

    @staticmethod
    def load() -> None:
        """Load the model now (blocking, ~1 s); safe to call from an agent's prewarm function."""
        moonshine.load_model()

    def prewarm(self) -> None:
        """Framework hook (livekit-agents >= 1.2): start loading the model without blocking.

        The framework calls this on the event loop, so the load goes to a background thread.
        """
        if moonshine.is_loaded() or self._warm_thread is not None:
            return
        self._warm_thread = threading.Thread(
            target=moonshine.load_model, name="moonshine-prewarm", daemon=True
        )
        self._warm_thread.start()

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
    ) -> stt.SpeechEvent:
        audio = to_model_input(buffer)
        async with self._lock:
            text = await asyncio.to_thread(transcribe_stable, audio)
        lang = language if is_given(language) else self._language
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            request_id=uuid.uuid4().hex[:12],
            alternatives=[
                stt.SpeechData(
                    language=lang,  # type: ignore[arg-type]  # str before 1.5; converted after
                    text=text,
                    start_time=0.0,
                    end_time=audio.size / moonshine.SAMPLE_RATE,
                    confidence=1.0 if text else 0.0,
                )
            ],
        )


def transcribe_padded(
    audio: npt.NDArray[np.float32], should_abort: Callable[[], bool] | None = None
) -> str:
    """Blocking transcription of model-ready audio, with silence padding at both ends."""
    return _transcribe_scored(audio, should_abort).text


def _transcribe_scored(
    audio: npt.NDArray[np.float32], should_abort: Callable[[], bool] | None
) -> moonshine.Transcript:
    pad = np.zeros(int(_PAD_SECONDS * moonshine.SAMPLE_RATE), dtype=np.float32)
    return moonshine.load_model().transcribe_scored(
        np.concatenate([pad, audio, pad]), should_abort=should_abort
    )


_SHIFT = moonshine.SAMPLE_RATE // 200  # 5 ms
_SURE = -0.12
"""A decode's confidence (mean token log-probability) at or above which two agreeing decodes
are taken as they are. Measured on the recorded kitchen-lights utterances: right readings
scored -0.05 to -0.18, "vacation" -0.10 to -0.18."""


def transcribe_stable(
    audio: npt.NDArray[np.float32], should_abort: Callable[[], bool] | None = None
) -> str:
    """A final transcript that does not hinge on where the segment starts.

    Moonshine's greedy decode is sensitive to the exact first sample: the kitchen-lights
    sentence as console sessions recorded it (24 utterances, each cut 35 ways 1 ms apart)
    came out as "Turn on vacation lights." for 5.4 % of the cuts, and for up to 9 of 40 cuts
    of one utterance. The segment is decoded twice, 5 ms apart. When the two agree and one
    of them is sure (:data:`_SURE`), that is the transcript; otherwise a third decode, 5 ms
    further, is made and the most confident of the three wins. On those 840 cuts: 0 wrong,
    with a third decode for 12 % of them (a majority vote of three: 7 wrong; the most
    confident of three only when the first two disagree: 3 wrong, as two agreeing decodes
    can both be wrong, each less sure than the right one). The CPU of two decodes for most
    finals, three for the rest.
    """
    first = _transcribe_scored(audio, should_abort)
    if audio.size <= 4 * _SHIFT:
        return first.text
    second = _transcribe_scored(audio[_SHIFT:], should_abort)
    if second.text == first.text and max(first.confidence, second.confidence) >= _SURE:
        return first.text
    third = _transcribe_scored(audio[2 * _SHIFT :], should_abort)
    return max((first, second, third), key=lambda t: t.confidence).text


def to_model_input(buffer: utils.AudioBuffer) -> npt.NDArray[np.float32]:
    """Merge, down-mix and resample an audio buffer to Moonshine's 16 kHz mono float32."""
    frame = utils.merge_frames(buffer) if isinstance(buffer, list) else buffer
    if frame.samples_per_channel == 0:
        return np.zeros(0, dtype=np.float32)
    pcm = np.frombuffer(frame.data, dtype=np.int16)
    if frame.num_channels > 1:
        pcm = pcm.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
    if frame.sample_rate != moonshine.SAMPLE_RATE:
        pcm = _resample(pcm, frame.sample_rate)
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32)


def _resample(pcm: npt.NDArray[np.int16], rate: int) -> npt.NDArray[np.int16]:
    resampler = rtc.AudioResampler(
        rate, moonshine.SAMPLE_RATE, num_channels=1, quality=rtc.AudioResamplerQuality.MEDIUM
    )
    mono = rtc.AudioFrame(
        data=pcm.tobytes(), sample_rate=rate, num_channels=1, samples_per_channel=pcm.size
    )
    out = [*resampler.push(mono), *resampler.flush()]
    if not out:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in out])
