"""Corpus: a tool that never returns (it awaits an event nothing sets).

Typing "wait for the delivery" calls ``wait_for_delivery``; with ``--tool-threshold 1`` the
console flags the card as stuck, pointing at the ``await`` line, and ``cancel_tool`` (``i`` on
the card) cancels it.
"""

from __future__ import annotations

import asyncio

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli, function_tool

from agentconsole.offline import EspeakTTS, ScriptedLLM, ToolRule


class DeliveryAgent(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="Track deliveries.")
        self.delivered = asyncio.Event()

    @function_tool
    async def wait_for_delivery(self) -> str:
        """Wait until the parcel is delivered."""
        await self.delivered.wait()  # nothing ever sets it
        return "delivered"


async def entrypoint(ctx: JobContext) -> None:
    rules = [ToolRule(r"wait for the delivery", "wait_for_delivery", lambda m: {})]
    session: AgentSession[None] = AgentSession(
        llm=ScriptedLLM(rules=rules, greeting="Ready."), tts=EspeakTTS()
    )
    await session.start(agent=DeliveryAgent(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
