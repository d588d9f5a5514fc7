"""Shape: a realtime model (speech in, speech out, turn detection in the model), as OpenAI
realtime or Gemini Live are, here scripted so that it runs with no network.

`ScriptedRealtimeModel` detects the user's speech by energy (its "server-side VAD"), then
reports a fixed transcript, calls the `lookup` tool, and answers the tool's output with text
and a tone as its audio. The session has no local VAD, STT or TTS.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli, function_tool, llm
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils import aio

TRANSCRIPT = "hello from the realtime model"
THRESHOLD_DB = -40.0
HANGOVER = 0.5  # seconds of quiet that end the user's turn
RATE = 24000


class ScriptedRealtimeModel(llm.RealtimeModel):
    def __init__(self) -> None:
        super().__init__(
            capabilities=llm.RealtimeCapabilities(
                message_truncation=False,
                turn_detection=True,
                user_transcription=True,
                auto_tool_reply_generation=False,
                audio_output=True,
                manual_function_calls=True,
            )
        )

    @property
    def model(self) -> str:
        return "scripted-realtime"

    @property
    def provider(self) -> str:
        return "agentconsole-tests"

    def session(self, **kwargs: Any) -> ScriptedRealtimeSession:
        return ScriptedRealtimeSession(self)

    async def aclose(self) -> None:
        pass


class ScriptedRealtimeSession(llm.RealtimeSession):
    def __init__(self, model: ScriptedRealtimeModel) -> None:
        super().__init__(model)
        self._chat_ctx = llm.ChatContext.empty()
        self._tools = llm.ToolContext.empty()
        self._speaking = False
        self._quiet = 0.0
        self._current: list[aio.Chan[Any]] = []

    @property
    def chat_ctx(self) -> llm.ChatContext:
        return self._chat_ctx.copy()

    @property
    def tools(self) -> llm.ToolContext:
        return self._tools.copy()

    async def update_instructions(self, instructions: str) -> None:
        pass

    async def update_chat_ctx(self, chat_ctx: llm.ChatContext) -> None:
        self._chat_ctx = chat_ctx.copy()

    async def update_tools(self, tools: list[Any]) -> None:
        self._tools = llm.ToolContext(tools)

    def update_options(self, *, tool_choice: NotGivenOr[Any] = NOT_GIVEN) -> None:
        pass

    def push_video(self, frame: rtc.VideoFrame) -> None:
        pass

    def commit_audio(self) -> None:
        pass

    def clear_audio(self) -> None:
        pass

    def truncate(self, **kwargs: Any) -> None:
        pass

    async def aclose(self) -> None:
        self.interrupt()

    def interrupt(self) -> None:
        for chan in self._current:
            chan.close()
        self._current = []

    # -- the "server": turn detection by energy -------------------------------------------

    def push_audio(self, frame: rtc.AudioFrame) -> None:
        pcm = np.frombuffer(frame.data, dtype=np.int16).astype(np.float32) / 32768.0
        rms = float(np.sqrt(np.mean(pcm**2))) if pcm.size else 0.0
        loud = 20 * np.log10(max(rms, 1e-6)) > THRESHOLD_DB
        if loud and not self._speaking:
            self._speaking, self._quiet = True, 0.0
            self.emit("input_speech_started", llm.InputSpeechStartedEvent())
        elif self._speaking:
            self._quiet = 0.0 if loud else self._quiet + frame.duration
            if self._quiet >= HANGOVER:
                self._speaking = False
                self._end_of_user_turn()

    def _end_of_user_turn(self) -> None:
        self.emit(
            "input_speech_stopped", llm.InputSpeechStoppedEvent(user_transcription_enabled=True)
        )
        item_id = f"item_{uuid.uuid4().hex[:8]}"
        self.emit(
            "input_audio_transcription_completed",
            llm.InputTranscriptionCompleted(item_id=item_id, transcript=TRANSCRIPT, is_final=True),
        )
        call = llm.FunctionCall(
            call_id=f"call_{uuid.uuid4().hex[:8]}", name="lookup", arguments="{}"
        )
        self.emit("generation_created", self._generation(None, call, user_initiated=False))

    # -- replies ----------------------------------------------------------------------------

    def generate_reply(self, **kwargs: Any) -> asyncio.Future[llm.GenerationCreatedEvent]:
        last = self._chat_ctx.items[-1] if self._chat_ctx.items else None
        if getattr(last, "type", None) == "function_call_output":
            text = f"The lookup says: {last.output}"  # type: ignore[union-attr]
        else:
            text = "Hello, I am a scripted realtime model."
        fut: asyncio.Future[llm.GenerationCreatedEvent] = asyncio.Future()
        fut.set_result(self._generation(text, None, user_initiated=True))
        return fut

    def _generation(
        self, text: str | None, call: llm.FunctionCall | None, *, user_initiated: bool
    ) -> llm.GenerationCreatedEvent:
        messages: aio.Chan[llm.MessageGeneration] = aio.Chan()
        functions: aio.Chan[llm.FunctionCall] = aio.Chan()
        self._current = [messages, functions]
        if text is not None:
            text_ch: aio.Chan[str] = aio.Chan()
            audio_ch: aio.Chan[rtc.AudioFrame] = aio.Chan()
            modalities: asyncio.Future[list[str]] = asyncio.Future()
            modalities.set_result(["audio", "text"])
            messages.send_nowait(
                llm.MessageGeneration(
                    message_id=f"msg_{uuid.uuid4().hex[:8]}",
                    text_stream=text_ch,
                    audio_stream=audio_ch,
                    modalities=modalities,  # type: ignore[arg-type]
                )
            )
            asyncio.get_running_loop().create_task(self._speak(text, text_ch, audio_ch))
            self._current += [text_ch, audio_ch]
        if call is not None:
            functions.send_nowait(call)
        messages.close()
        functions.close()
        return llm.GenerationCreatedEvent(
            message_stream=messages, function_stream=functions, user_initiated=user_initiated
        )

    async def _speak(self, text: str, text_ch: aio.Chan[str], audio_ch: aio.Chan[Any]) -> None:
        words = text.split(" ")
        t = np.arange(RATE // 5) / RATE
        tone = (0.1 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16).tobytes()
        for i, word in enumerate(words):  # one word and 200 ms of tone at a time
            if text_ch.closed:
                break
            text_ch.send_nowait(word if i == 0 else " " + word)
            audio_ch.send_nowait(rtc.AudioFrame(tone, RATE, 1, RATE // 5))
            await asyncio.sleep(0.05)
        text_ch.close()
        audio_ch.close()


class RealtimeAssistant(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You look things up.")

    @function_tool
    async def lookup(self) -> str:
        """Look something up."""
        return "found it"


async def entrypoint(ctx: JobContext) -> None:
    # vad=None: no local VAD at all (livekit-agents 1.8 would add its bundled Silero)
    session = AgentSession(llm=ScriptedRealtimeModel(), vad=None)
    await session.start(agent=RealtimeAssistant(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
