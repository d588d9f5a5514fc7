"""Corpus: a tool that blocks the event loop with ``time.sleep`` (the classic async mistake).

Say or type "look up paris": the scripted LLM calls ``slow_lookup``, whose ``time.sleep(1.5)``
stalls the whole job (audio, VAD, everything). The console reports ``loop_blocked`` pointing
at that line; the turn still completes.
"""

from __future__ import annotations

import time

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli, function_tool

from agentconsole.offline import EspeakTTS, ScriptedLLM, ToolRule


class SlowAgent(Agent):
    """One tool, written the wrong way."""

    def __init__(self) -> None:
        super().__init__(instructions="Look things up when asked.")

    @function_tool
    async def slow_lookup(self, query: str) -> str:
        """Look something up.

        Args:
            query: what to look up.
        """
        time.sleep(1.5)  # BLOCKING: should be `await asyncio.sleep(1.5)`
        return f"{query} is a city."


async def entrypoint(ctx: JobContext) -> None:
    rules = [ToolRule(r"look up (\w+)", "slow_lookup", lambda m: {"query": m[1]})]
    session: AgentSession[None] = AgentSession(
        llm=ScriptedLLM(rules=rules, greeting="Ready."), tts=EspeakTTS()
    )
    await session.start(agent=SlowAgent(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
