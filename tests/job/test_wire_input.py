"""The mic as the session gets it (job/io.py): 16 kHz for VAD and STT pipelines, the wire's
24 kHz for a realtime model; resampled once, with nothing lost or reordered."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from livekit import rtc
from livekit.agents import AgentSession
from livekit.plugins import silero

from agentconsole import protocol
from agentconsole.job.io import STT_RATE, WireAudioInput, input_rate

AGENTS = Path(__file__).parents[1] / "agents"


def _corpus(name: str) -> object:
    spec = importlib.util.spec_from_file_location(f"corpus_{name}", AGENTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _drain(source: WireAudioInput) -> list[rtc.AudioFrame]:
    frames = []
    while not source._queue.empty():
        frames.append(source._queue.get_nowait())
    return frames


def test_a_pipeline_session_hears_16k_and_a_realtime_one_24k() -> None:
    realtime = _corpus("realtime")

    async def rates() -> tuple[int, int, int]:  # an AgentSession needs a running loop
        model = realtime.ScriptedRealtimeModel()  # type: ignore[attr-defined]
        pipeline = input_rate(AgentSession(vad=silero.VAD.load()))
        with_model = input_rate(AgentSession(llm=model))
        # the model given to the first agent rather than to the session (as
        # AgentSession.start has set it when the console attaches its IO)
        first_agent = input_rate(SimpleNamespace(_agent=SimpleNamespace(llm=model), llm=None))
        return pipeline, with_model, first_agent

    assert asyncio.run(rates()) == (STT_RATE, protocol.SAMPLE_RATE, protocol.SAMPLE_RATE)
    assert STT_RATE == 16000 and protocol.SAMPLE_RATE == 24000


def test_the_mic_is_resampled_once_to_16k_in_order() -> None:
    async def run() -> list[rtc.AudioFrame]:
        source = WireAudioInput(STT_RATE)
        t = np.arange(protocol.SAMPLE_RATE) / protocol.SAMPLE_RATE  # 1 s of a 440 Hz tone
        pcm = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        block = 6 * protocol.AUDIO_FRAME_SAMPLES  # the console's 60 ms blocks
        for i in range(0, pcm.size, block):
            source.push(pcm[i : i + block].tobytes())
        return _drain(source)

    frames = asyncio.run(run())
    assert {f.sample_rate for f in frames} == {16000}
    out = np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in frames])
    # all of it but the resampler's few ms of delay
    assert 16000 - 400 <= out.size <= 16000
    # the same tone, not stretched: its strongest frequency is still 440 Hz
    spectrum = np.abs(np.fft.rfft(out[-8000:].astype(np.float64)))
    assert abs(np.argmax(spectrum) * 16000 / 8000 - 440) <= 2


def test_the_wire_rate_passes_frames_through_untouched() -> None:
    async def run() -> list[rtc.AudioFrame]:
        source = WireAudioInput(protocol.SAMPLE_RATE)
        source.push(bytes(range(256)) * 3 + bytes(192))  # 20 ms
        return _drain(source)

    (frame,) = asyncio.run(run())
    assert frame.sample_rate == 24000 and frame.samples_per_channel == 480
    assert bytes(frame.data)[:256] == bytes(range(256))
