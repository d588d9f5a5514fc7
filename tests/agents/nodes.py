"""Shape: an agent overriding `stt_node`, `llm_node` and `tts_node` (each wraps the default
and leaves a trace: a log line, and a suffix on the reply)."""

import logging
from collections.abc import AsyncIterable
from typing import Any

from livekit import rtc
from livekit.agents import Agent, AgentSession, JobContext, ModelSettings, WorkerOptions, cli, llm
from livekit.plugins import silero

from agentconsole.offline import EspeakTTS, MoonshineSTT, ScriptedLLM, prewarm, vad_turn_detection

log = logging.getLogger("nodes-agent")


class Nodes(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You answer.")
        self._said: set[str] = set()

    def _once(self, what: str) -> None:
        if what not in self._said:
            self._said.add(what)
            log.info("%s override ran", what)

    async def stt_node(
        self, audio: AsyncIterable[rtc.AudioFrame], model_settings: ModelSettings
    ) -> Any:
        self._once("stt_node")
        async for ev in Agent.default.stt_node(self, audio, model_settings):
            yield ev

    async def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[Any], model_settings: ModelSettings
    ) -> Any:
        self._once("llm_node")
        async for chunk in Agent.default.llm_node(self, chat_ctx, tools, model_settings):
            yield chunk
        yield " (via llm_node)"

    async def tts_node(self, text: AsyncIterable[str], model_settings: ModelSettings) -> Any:
        self._once("tts_node")
        async for frame in Agent.default.tts_node(self, text, model_settings):
            yield frame


def prewarm_process(proc: Any) -> None:
    proc.userdata["vad"] = silero.VAD.load()
    prewarm(proc, background=False)


async def entrypoint(ctx: JobContext) -> None:
    session = AgentSession(
        vad=ctx.proc.userdata["vad"],
        stt=MoonshineSTT(),
        llm=ScriptedLLM(replies={r"\bhello\b": "Hello from the nodes agent."}),
        tts=EspeakTTS(),
        **vad_turn_detection(),
    )
    await session.start(agent=Nodes(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint, prewarm_fnc=prewarm_process))
