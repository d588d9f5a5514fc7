"""Corpus: errors nobody sees. A background task raises and nobody awaits it; a tool raises.

After the session starts, the entrypoint fires a task that fails ("Task exception was never
retrieved" in a log nobody reads). Typing "check the order" calls ``check_order``, which
raises: the framework logs it and carries on. The console turns both into ``error`` events
naming the agent's line.
"""

from __future__ import annotations

import asyncio

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli, function_tool

from agentconsole.offline import EspeakTTS, ScriptedLLM, ToolRule


async def refresh_cache() -> None:
    await asyncio.sleep(0.1)
    raise RuntimeError("cache server unreachable")


class OrderAgent(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="Check orders when asked.")

    @function_tool
    async def check_order(self) -> str:
        """Check the user's order."""
        orders: dict[str, str] = {}
        return orders["latest"]


async def entrypoint(ctx: JobContext) -> None:
    rules = [ToolRule(r"check the order", "check_order", lambda m: {})]
    session: AgentSession[None] = AgentSession(
        llm=ScriptedLLM(rules=rules, greeting="Ready."), tts=EspeakTTS()
    )
    await session.start(agent=OrderAgent(), room=ctx.room)
    asyncio.create_task(refresh_cache())  # nobody awaits it, nobody keeps it


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
