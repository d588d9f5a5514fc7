"""Shape: a VAD that signals speech with START_OF_SPEECH / END_OF_SPEECH only, as
livekit-agents' own test VAD does: its INFERENCE_DONE events carry no `speaking` flag and no
probability. Here it is a small energy detector; the rest of the pipeline is offline."""

import asyncio
import time

import numpy as np
from livekit import rtc
from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli
from livekit.agents import vad as lkvad

from agentconsole.offline import EspeakTTS, MoonshineSTT, ScriptedLLM, prewarm, vad_turn_detection

THRESHOLD_DB = -40.0
HANGOVER = 0.5  # seconds of quiet that end speech


class EventsOnlyVAD(lkvad.VAD):
    def __init__(self) -> None:
        super().__init__(capabilities=lkvad.VADCapabilities(update_interval=0.032))

    def stream(self) -> lkvad.VADStream:
        return EventsOnlyStream(self)


class EventsOnlyStream(lkvad.VADStream):
    async def _main_task(self) -> None:
        speaking = False
        quiet = 0.0
        speech = 0.0
        samples = 0
        frames: list[rtc.AudioFrame] = []
        async for frame in self._input_ch:
            if not isinstance(frame, rtc.AudioFrame):
                continue  # flush sentinel
            pcm = np.frombuffer(frame.data, dtype=np.int16).astype(np.float32) / 32768.0
            level = 20 * np.log10(max(float(np.sqrt(np.mean(pcm**2))) if pcm.size else 0.0, 1e-6))
            samples += frame.samples_per_channel
            loud = level > THRESHOLD_DB
            now = time.time()
            if speaking:
                frames.append(frame)
                speech += frame.duration
            if loud and not speaking:
                speaking, speech, quiet, frames = True, frame.duration, 0.0, [frame]
                self._send(lkvad.VADEventType.START_OF_SPEECH, samples, now, speech, 0.0, [frame])
            elif speaking:
                quiet = 0.0 if loud else quiet + frame.duration
                if quiet >= HANGOVER:
                    speaking = False
                    self._send(
                        lkvad.VADEventType.END_OF_SPEECH, samples, now, speech, quiet, frames
                    )
                    frames = []
            # an inference event with no probability and no speaking flag
            self._send(lkvad.VADEventType.INFERENCE_DONE, samples, now, speech, quiet, [frame])
            await asyncio.sleep(0)

    def _send(self, kind, samples, now, speech, silence, frames) -> None:  # type: ignore[no-untyped-def]
        self._event_ch.send_nowait(
            lkvad.VADEvent(
                type=kind,
                samples_index=samples,
                timestamp=now,
                speech_duration=speech,
                silence_duration=silence,
                frames=list(frames),
            )
        )


class Listener(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You listen.")


async def entrypoint(ctx: JobContext) -> None:
    prewarm(background=False)
    session = AgentSession(
        vad=EventsOnlyVAD(),
        stt=MoonshineSTT(),
        llm=ScriptedLLM(),
        tts=EspeakTTS(),
        **vad_turn_detection(),
    )
    await session.start(agent=Listener(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
