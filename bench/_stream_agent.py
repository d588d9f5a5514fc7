"""The agent for bench_tui_soak.py: it speaks without pause while its LLM streams fast.

A real ``AgentSession`` (Silero VAD on the microphone, no STT) with two scripted plugins, in the
way livekit-agents' own test fakes script theirs:

* ``FloodLLM`` streams ``$STREAM_TOKENS`` tokens a second (default 2000), one ``ChatChunk`` per
  token, for ``$STREAM_REPLY_SECONDS`` per reply (default 10). Words, and every 50th token a
  marker ``§<n>`` (``n`` counts tokens over the whole run), so a screen capture tells how far
  the text on screen has got;
* ``ToneTTS``, a streaming TTS that turns each word it receives into ``1 / $STREAM_TOKENS``
  seconds of a pre-computed voice-like signal (harmonics of 140 Hz under a syllable-rate
  envelope that never falls silent), so the audio lasts as long as the text took to stream and
  any silent 10 ms block on the speaker inside a reply is a dropout. No synthesis per reply.

On entering, the agent replies (``generate_reply``) again and again, so it speaks for the whole
run with no microphone input. Each second the LLM appends ``{"t", "tokens"}`` and the TTS
``{"t", "audio"}`` (seconds pushed) to ``$STREAM_LOG``, stamped with ``time.monotonic()`` (one
clock for every process on the machine).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from typing import Any

import numpy as np
from livekit.agents import (
    DEFAULT_API_CONNECT_OPTIONS,
    Agent,
    AgentSession,
    APIConnectOptions,
    JobContext,
    JobProcess,
    WorkerOptions,
    cli,
    llm,
    tts,
)
from livekit.plugins import silero

RATE = float(os.environ.get("STREAM_TOKENS", "2000"))
REPLY_SECONDS = float(os.environ.get("STREAM_REPLY_SECONDS", "10"))
SAMPLE_RATE = 24000
MARK_EVERY = 50
WORDS = [" the", " light", " is", " on", " and", " a", " warm", " day", " in", " Paris"]


def log(**fields: Any) -> None:
    """Append one JSON line to $STREAM_LOG."""
    path = os.environ.get("STREAM_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"t": time.monotonic(), **fields}) + "\n")


def voice_like(seconds: float = 3.0) -> bytes:
    """Int16 PCM: a 140 Hz voice with a few harmonics, a slow vibrato and a 4 Hz syllable
    envelope between 0.4 and 1 (never silent, so a silent block on the speaker is a dropout)."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    phase = 2 * np.pi * np.cumsum(140 + 8 * np.sin(2 * np.pi * 0.7 * t)) / SAMPLE_RATE
    wave = sum(np.sin(k * phase) / k for k in (1, 2, 3, 4, 5))
    envelope = 0.4 + 0.6 * np.abs(np.sin(2 * np.pi * (4 / 2) * t))
    signal = 0.25 * wave * envelope / np.max(np.abs(wave))
    pcm: bytes = (signal * 32767).astype(np.int16).tobytes()
    return pcm


class FloodLLM(llm.LLM):  # type: ignore[type-arg]  # generic only in newer 1.x
    """Streams tokens at ``RATE`` a second for ``REPLY_SECONDS``, whatever the context."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        """Tokens streamed so far, over every reply."""

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[Any] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        **_: Any,
    ) -> FloodStream:
        """One reply."""
        return FloodStream(
            self, chat_ctx=chat_ctx, tools=list(tools or []), conn_options=conn_options
        )


class FloodStream(llm.LLMStream):
    """One reply: one ``ChatChunk`` per token, on a 10 ms tick, at ``RATE`` tokens a second."""

    def __init__(self, flood: FloodLLM, **kw: Any) -> None:
        super().__init__(flood, **kw)
        self._flood = flood

    async def _run(self) -> None:
        request_id = "flood-" + uuid.uuid4().hex[:8]
        start = time.monotonic()
        total = int(RATE * REPLY_SECONDS)
        done = 0
        next_log = start + 1.0
        while done < total:
            due = min(total, int((time.monotonic() - start) * RATE) + 1)
            for _ in range(due - done):
                n = self._flood.sent
                token = f" §{n}" if n % MARK_EVERY == 0 else WORDS[n % len(WORDS)]
                self._event_ch.send_nowait(
                    llm.ChatChunk(
                        id=request_id, delta=llm.ChoiceDelta(role="assistant", content=token)
                    )
                )
                self._flood.sent += 1
            done = due
            now = time.monotonic()
            if now >= next_log:
                log(tokens=self._flood.sent)
                next_log = now + 1.0
            await asyncio.sleep(0.01)
        log(tokens=self._flood.sent)


class ToneTTS(tts.TTS):  # type: ignore[type-arg]  # generic only in newer 1.x
    """A streaming TTS: ``1 / RATE`` seconds of ``voice_like()`` audio per word received."""

    def __init__(self) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=True),
            sample_rate=SAMPLE_RATE,
            num_channels=1,
        )
        self.pcm = voice_like()
        self.pos = 0
        """Where the next chunk starts in ``pcm`` (bytes), so the signal runs on across replies."""
        self.pushed = 0.0
        """Seconds of audio pushed so far, over every reply."""

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        """Not used: the session streams."""
        raise NotImplementedError

    def stream(
        self, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> ToneStream:
        """One reply's synthesis."""
        return ToneStream(tts=self, conn_options=conn_options)

    def take(self, samples: int) -> bytes:
        """The next ``samples`` of the looped signal."""
        size = samples * 2
        out = b""
        while len(out) < size:
            chunk = self.pcm[self.pos : self.pos + size - len(out)]
            out += chunk
            self.pos = (self.pos + len(chunk)) % len(self.pcm)
        self.pushed += samples / SAMPLE_RATE
        return out


class ToneStream(tts.SynthesizeStream):
    """Pushes audio in 20 ms pieces as words arrive; one segment per reply."""

    def __init__(self, *, tts: ToneTTS, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, conn_options=conn_options)
        self._tone = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=uuid.uuid4().hex[:12],
            sample_rate=SAMPLE_RATE,
            num_channels=1,
            mime_type="audio/pcm",
            stream=True,
        )
        output_emitter.start_segment(segment_id=uuid.uuid4().hex[:12])
        owed = 0.0  # samples due for the words received, not pushed yet
        piece = SAMPLE_RATE // 50
        next_log = time.monotonic() + 1.0
        async for data in self._input_ch:
            if isinstance(data, self._FlushSentinel):
                continue
            owed += len(data.split()) * SAMPLE_RATE / RATE
            if owed >= piece:
                n = int(owed)
                output_emitter.push(self._tone.take(n))
                owed -= n
            if time.monotonic() >= next_log:
                log(audio=round(self._tone.pushed, 3))
                next_log = time.monotonic() + 1.0
        if owed >= 1:
            output_emitter.push(self._tone.take(int(owed)))
        log(audio=round(self._tone.pushed, 3))
        output_emitter.end_segment()


class Speaker(Agent):
    """Replies again and again, from the moment it enters."""

    def __init__(self) -> None:
        super().__init__(instructions="Talk.")
        self._task: asyncio.Task[None] | None = None

    async def on_enter(self) -> None:
        self._task = asyncio.create_task(self._talk())

    async def _talk(self) -> None:
        while True:
            await self.session.generate_reply(instructions="Keep talking.")


def prewarm_process(proc: JobProcess) -> None:
    """Silero VAD, once per process."""
    proc.userdata["vad"] = silero.VAD.load()


async def entrypoint(ctx: JobContext) -> None:
    session: AgentSession[Any] = AgentSession(
        vad=ctx.proc.userdata["vad"], llm=FloodLLM(), tts=ToneTTS()
    )
    await session.start(agent=Speaker(), room=ctx.room)
    await ctx.connect()


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint, prewarm_fnc=prewarm_process))
