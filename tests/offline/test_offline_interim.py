"""MoonshineStreamingSTT: interim transcripts from re-decoding, then one final, with audio
pushed at real-time pace (interims only exist while speech is still arriving)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from livekit import rtc
from livekit.agents import stt
from offline_helpers import contains_phrase, word_error_rate, words

from agentconsole.offline import MoonshineStreamingSTT
from agentconsole.offline.speech import synthesize_pcm

RATE = 16000
SENTENCE = "please turn on the kitchen lights and then tell me the weather in paris"
# Audio is pushed at half real-time speed: the CPU is shared (2 cores, other test runs), and a
# slower "speaker" leaves room for interim decodes without changing what the VAD sees.
PACE = 2.0


async def _push_realtime(stream: stt.RecognizeStream, pcm: bytes) -> None:
    step = RATE // 10  # 100 ms per push keeps the pacing cheap
    for i in range(0, len(pcm) // 2, step):
        chunk = pcm[i * 2 : (i + step) * 2]
        n = len(chunk) // 2
        stream.push_frame(
            rtc.AudioFrame(data=chunk, sample_rate=RATE, num_channels=1, samples_per_channel=n)
        )
        await asyncio.sleep(PACE * n / RATE)
    stream.end_input()


@pytest.mark.slow
async def test_interims_then_final(vad: Any, moonshine_model: Any) -> None:
    speech = synthesize_pcm(SENTENCE, sample_rate=RATE, rate=150)  # ~3.8 s of speech
    pcm = b"\x00\x00" * (RATE // 2) + speech + b"\x00\x00" * int(RATE * 1.2)
    model = MoonshineStreamingSTT(vad=vad, interim_interval=0.5)
    assert model.capabilities.streaming and model.capabilities.interim_results
    stream = model.stream()
    pusher = asyncio.create_task(_push_realtime(stream, pcm))
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    timed = [(loop.time() - t0, ev) async for ev in stream]
    events = [ev for _, ev in timed]
    trace = [(round(t, 2), ev.type.value, [a.text for a in ev.alternatives]) for t, ev in timed]
    await pusher
    await stream.aclose()

    usage = [e for e in events if e.type == stt.SpeechEventType.RECOGNITION_USAGE]
    assert usage and usage[-1].recognition_usage is not None
    assert usage[-1].recognition_usage.audio_duration > 3.0  # the STT metrics' audio seconds
    kinds = [e.type for e in events if e.type != stt.SpeechEventType.RECOGNITION_USAGE]
    interims = [e.alternatives[0].text for e in events if e.type == kinds[0].INTERIM_TRANSCRIPT]
    finals = [e.alternatives[0].text for e in events if e.type == kinds[0].FINAL_TRANSCRIPT]
    assert kinds[0] == stt.SpeechEventType.START_OF_SPEECH
    assert kinds[-2:] == [stt.SpeechEventType.END_OF_SPEECH, stt.SpeechEventType.FINAL_TRANSCRIPT]
    assert len(finals) == 1 and word_error_rate(finals[0], SENTENCE) <= 0.25, finals
    assert contains_phrase(finals[0], "kitchen lights"), finals
    assert interims, trace
    # Interims grow with the utterance and are made of the sentence's words.
    assert len(words(interims[-1])) >= len(words(interims[0]))
    assert set(words(interims[0])) & set(words(SENTENCE)), interims


async def _finals(model: MoonshineStreamingSTT, pcm: bytes) -> list[stt.SpeechData]:
    stream = model.stream()
    pusher = asyncio.create_task(_push_realtime(stream, pcm))
    events = [ev async for ev in stream]
    await pusher
    await stream.aclose()
    return [e.alternatives[0] for e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT]


@pytest.mark.slow
async def test_speculative_final_is_the_speech_before_the_silence(
    vad: Any, moonshine_model: Any
) -> None:
    # The speculative decode starts at 0.1 s of silence, so the final it gives covers the
    # speech plus ~0.1 s; decoded at END_OF_SPEECH it covers the whole 0.55 s silence window.
    speech = synthesize_pcm("turn on the kitchen lights", sample_rate=RATE)
    pcm = b"\x00\x00" * (RATE // 2) + speech + b"\x00\x00" * int(RATE * 1.2)
    spec = await _finals(MoonshineStreamingSTT(vad=vad, interim_interval=None), pcm)
    late = await _finals(
        MoonshineStreamingSTT(vad=vad, interim_interval=None, speculate_after=None), pcm
    )
    assert len(spec) == 1 and len(late) == 1, (spec, late)
    assert contains_phrase(spec[0].text, "kitchen lights"), spec
    assert words(spec[0].text) == words(late[0].text)
    assert spec[0].end_time < late[0].end_time - 0.3, (spec[0].end_time, late[0].end_time)


@pytest.mark.slow
async def test_speech_after_a_short_pause_drops_the_speculative_final(
    vad: Any, moonshine_model: Any
) -> None:
    # 0.3 s pause: longer than speculate_after (a decode starts), shorter than the VAD's
    # min_silence_duration (the utterance goes on): the final must hold both halves.
    first = synthesize_pcm("turn on the kitchen lights", sample_rate=RATE)
    second = synthesize_pcm("what is the weather in paris", sample_rate=RATE)
    pause = b"\x00\x00" * int(RATE * 0.3)
    pcm = b"\x00\x00" * (RATE // 2) + first + pause + second + b"\x00\x00" * int(RATE * 1.2)
    finals = await _finals(MoonshineStreamingSTT(vad=vad, interim_interval=None), pcm)
    assert len(finals) == 1, [f.text for f in finals]
    assert contains_phrase(finals[0].text, "kitchen lights"), finals[0].text
    assert contains_phrase(finals[0].text, "weather in paris"), finals[0].text
