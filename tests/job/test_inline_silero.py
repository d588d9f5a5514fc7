"""Silero's windows run on the job's event loop, everything else in the executor
(job/inline.py). Real Silero on a recorded utterance, a real event loop with the job's policy.
"""

from __future__ import annotations

import asyncio
import threading
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from livekit import rtc
from livekit.plugins import silero

from agentconsole.job import inline

UTTERANCE = Path(__file__).parents[1] / "offline" / "data" / "kitchen_recorded.wav"


def _frames(rate_out: int = 24000) -> list[rtc.AudioFrame]:
    """The utterance twice, with silence around, as 10 ms frames at the wire's rate."""
    with wave.open(str(UTTERANCE)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    silence = np.zeros(rate // 2, dtype=np.int16)
    pcm = np.concatenate([silence, pcm, silence, pcm, silence])
    resampler = rtc.AudioResampler(rate, rate_out, num_channels=1)
    whole = rtc.AudioFrame(pcm.tobytes(), rate, 1, pcm.size)
    pieces = [*resampler.push(whole), *resampler.flush()]
    out = np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in pieces])
    step = rate_out // 100
    return [
        rtc.AudioFrame(out[i : i + step].tobytes(), rate_out, 1, step)
        for i in range(0, out.size - step + 1, step)
    ]


class CountingExecutor(ThreadPoolExecutor):
    """The loop's default executor, counting what it is given."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.calls: list[str] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(type(fn).__qualname__)
        return super().submit(fn, *args, **kwargs)


def _run(install: bool) -> tuple[list[str], CountingExecutor, set[int]]:
    loop = asyncio.new_event_loop()
    executor = CountingExecutor()
    loop.set_default_executor(executor)
    if install:
        inline.install(loop)
    threads: set[int] = set()

    async def main() -> list[str]:
        vad = silero.VAD.load()
        stream = vad.stream()
        model_call = type(stream._model).__call__  # spied: which thread runs it

        def spy(model: Any, window: Any) -> float:
            threads.add(threading.get_ident())
            return float(model_call(model, window))

        type(stream._model).__call__ = spy  # type: ignore[method-assign]
        try:
            kinds: list[str] = []

            async def read() -> None:
                async for ev in stream:
                    kinds.append(ev.type.value)

            reader = asyncio.create_task(read())
            for f in _frames():
                stream.push_frame(f)
                await asyncio.sleep(0)
            stream.end_input()
            await reader
            await stream.aclose()
            return kinds
        finally:
            type(stream._model).__call__ = model_call  # type: ignore[method-assign]

    try:
        return loop.run_until_complete(main()), executor, threads
    finally:
        loop.close()
        executor.shutdown()


def test_silero_windows_run_on_the_loop_and_find_the_same_speech() -> None:
    kinds, executor, threads = _run(install=True)
    assert kinds.count("start_of_speech") == 2
    assert kinds.count("end_of_speech") == 2
    assert kinds.count("inference_done") > 100
    assert "OnnxModel" not in executor.calls
    assert threads == {threading.get_ident()}  # the loop's thread: this one

    kinds_before, executor_before, threads_before = _run(install=False)
    assert kinds_before.count("start_of_speech") == 2
    assert executor_before.calls.count("OnnxModel") == kinds_before.count("inference_done")
    assert threading.get_ident() not in threads_before


def test_other_work_still_goes_to_the_executor() -> None:
    async def run() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        inline.install(loop)
        worker = await loop.run_in_executor(None, threading.get_ident)
        return worker, threading.get_ident()

    loop = asyncio.new_event_loop()
    try:
        worker, main = loop.run_until_complete(run())
    finally:
        loop.close()
    assert worker != main


def test_an_error_in_the_model_reaches_the_awaiting_task() -> None:
    ran_on: list[int] = []

    class OnnxModel:
        def __call__(self, window: Any) -> float:
            ran_on.append(threading.get_ident())
            raise ValueError("bad window")

    # named as Silero's model, so it runs inline
    OnnxModel.__module__, OnnxModel.__qualname__ = "livekit.plugins.silero.onnx_model", "OnnxModel"
    assert inline.runs_inline(OnnxModel())

    async def run() -> None:
        loop = asyncio.get_running_loop()
        inline.install(loop)
        await loop.run_in_executor(None, OnnxModel(), None)

    loop = asyncio.new_event_loop()
    try:
        try:
            loop.run_until_complete(run())
        except ValueError as exc:
            assert str(exc) == "bad window"
        else:
            raise AssertionError("the error was lost")
    finally:
        loop.close()
    assert ran_on == [threading.get_ident()]
