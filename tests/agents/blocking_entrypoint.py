"""Corpus: an entrypoint that polls with ``time.sleep`` forever after starting the session.

The session starts (the console says the agent is ready), then the loop never runs again:
no audio, no VAD, no replies. The console reports ``loop_blocked`` while it lasts, pointing
at the ``time.sleep`` line, and still quits at once.
"""

from __future__ import annotations

import time

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli

from agentconsole.offline import EspeakTTS, ScriptedLLM


def check_for_work() -> bool:
    return False


async def entrypoint(ctx: JobContext) -> None:
    session: AgentSession[None] = AgentSession(llm=ScriptedLLM(greeting="Ready."), tts=EspeakTTS())
    await session.start(agent=Agent(instructions="Be brief."), room=ctx.room)
    while not check_for_work():
        time.sleep(0.2)  # BLOCKING: the event loop never runs again


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
