"""MoonshineSTT on real espeak-ng speech: direct recognition, the VAD + StreamAdapter path with
10 ms frames, and a TTS -> VAD -> STT loopback. Assertions use normalised keywords."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import stt
from offline_helpers import contains_phrase, word_error_rate

from agentconsole.offline import EspeakTTS, MoonshineSTT
from agentconsole.offline.speech import synthesize_pcm
from agentconsole.offline.stt import to_model_input


def _frames(pcm: bytes, rate: int, ms: int = 10) -> Iterator[rtc.AudioFrame]:
    n = rate * ms // 1000
    for i in range(0, len(pcm) // 2, n):
        chunk = pcm[i * 2 : (i + n) * 2]
        chunk += b"\x00\x00" * (n - len(chunk) // 2)
        yield rtc.AudioFrame(data=chunk, sample_rate=rate, num_channels=1, samples_per_channel=n)


def _silence(seconds: float, rate: int) -> bytes:
    return b"\x00\x00" * int(seconds * rate)


async def _transcribe_stream(vad: Any, frames: Iterator[rtc.AudioFrame]) -> list[stt.SpeechEvent]:
    adapter = stt.StreamAdapter(stt=MoonshineSTT(), vad=vad)
    stream = adapter.stream()
    for frame in frames:
        stream.push_frame(frame)
    stream.end_input()
    events = [ev async for ev in stream]
    await stream.aclose()
    return events


def _finals(events: list[stt.SpeechEvent]) -> list[str]:
    return [
        e.alternatives[0].text for e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT
    ]


def test_model_input_downmixes_and_resamples() -> None:
    rate, seconds = 48000, 0.5
    t = np.arange(int(rate * seconds)) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
    stereo = np.stack([tone, tone], axis=1).reshape(-1)
    frame = rtc.AudioFrame(
        data=stereo.tobytes(), sample_rate=rate, num_channels=2, samples_per_channel=tone.size
    )
    audio = to_model_input([frame])
    assert audio.dtype == np.float32
    assert abs(audio.size - 8000) < 200  # 0.5 s at 16 kHz
    assert 0.15 < float(np.abs(audio).max()) < 0.3  # 8000 / 32768, amplitude kept


async def test_recognize_48k_utterance(moonshine_model: Any) -> None:
    pcm = synthesize_pcm("what is the weather in paris", sample_rate=48000, pad_seconds=0.2)
    frame = rtc.AudioFrame(
        data=pcm, sample_rate=48000, num_channels=1, samples_per_channel=len(pcm) // 2
    )
    model = MoonshineSTT()
    event = await model.recognize(frame)
    assert event.type == stt.SpeechEventType.FINAL_TRANSCRIPT
    assert contains_phrase(event.alternatives[0].text, "weather in paris")
    assert (model.model, model.provider) == ("moonshine-base-en", "moonshine-onnx")


async def test_vad_stream_adapter_10ms_frames(vad: Any, moonshine_model: Any) -> None:
    rate = 48000
    pcm = (
        _silence(0.5, rate)
        + synthesize_pcm("turn on the kitchen lights", sample_rate=rate)
        + _silence(1.2, rate)
    )
    events = await _transcribe_stream(vad, _frames(pcm, rate))
    kinds = [e.type for e in events]
    assert kinds.count(stt.SpeechEventType.START_OF_SPEECH) == 1
    assert kinds.count(stt.SpeechEventType.END_OF_SPEECH) == 1
    finals = _finals(events)
    assert len(finals) == 1 and contains_phrase(finals[0], "kitchen lights"), finals


async def test_loopback_tts_vad_stt(vad: Any, moonshine_model: Any) -> None:
    """The agent's own TTS output, fed back through VAD + STT, gives back the words."""
    tts = EspeakTTS()
    # espeak-ng adds random jitter, so runs differ slightly: assert a word error rate, as for
    # any real recogniser, plus the words a tool rule would need.
    sentences = ["Please call my mother.", "What is the weather in Paris?"]
    pcm = _silence(0.3, tts.sample_rate)
    for text in sentences:
        async with tts.synthesize(text) as stream:
            async for ev in stream:
                pcm += bytes(ev.frame.data)
        pcm += _silence(1.2, tts.sample_rate)
    finals = _finals(await _transcribe_stream(vad, _frames(pcm, tts.sample_rate)))
    assert len(finals) == 2, finals
    for final, sentence in zip(finals, sentences, strict=True):
        assert word_error_rate(final, sentence) <= 0.25, finals
    assert contains_phrase(finals[1], "weather in paris"), finals


def test_a_final_does_not_hinge_on_the_first_sample() -> None:
    """The kitchen-lights sentence as a console session recorded it (the mic channel, 24 kHz,
    0.7 s before the speech): one Moonshine decode reads it as "Turn on vacation lights." when
    the segment starts at one phase of a 24 ms cycle; the final decode reads every start
    right."""
    import wave
    from pathlib import Path

    from agentconsole.offline.stt import _resample, transcribe_padded, transcribe_stable

    path = Path(__file__).parent / "data" / "kitchen_recorded.wav"
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    once: list[str] = []
    stable: list[str] = []
    for lead_ms in range(403, 428):  # 0.7 s of lead in the file: cut to 0.403-0.427 s
        cut = pcm[int(0.7 * rate) - lead_ms * rate // 1000 :]
        audio = _resample(cut.copy(), rate).astype(np.float32) / 32768
        once.append(transcribe_padded(audio))
        stable.append(transcribe_stable(audio))
    assert "Turn on vacation lights." in once  # the fixture still shows what is guarded against
    assert set(stable) == {"Turn on the kitchen lights."}, stable


def test_two_agreeing_decodes_that_are_unsure_get_a_third() -> None:
    """The sentence spoken over the agent in a barge-in test (the STT's own 16 kHz segment).
    Cut 1 ms apart, single decodes read "vacation" for 9 of 40 cuts, and at some cuts the
    two decodes 5 ms apart both read it, less sure than the third reads it right; a
    majority vote of the three got 4 of these 30 cuts wrong. The final decode reads all."""
    import wave
    from pathlib import Path

    from agentconsole.offline.stt import transcribe_padded, transcribe_stable

    with wave.open(str(Path(__file__).parent / "data" / "kitchen_barge_in.wav")) as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    # the fixture still shows what is guarded against: cut 1 ms in, the first two decodes agree
    assert transcribe_padded(audio[16:]) == transcribe_padded(audio[16 + 80 :])
    assert transcribe_padded(audio[16:]) == "Turn on vacation lights."
    stable = [transcribe_stable(audio[ms * 16 :]) for ms in range(30)]
    assert set(stable) == {"Turn on the kitchen lights."}, stable
