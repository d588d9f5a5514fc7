"""Shape: what a deployment hands the agent: `ctx.job.metadata`, `ctx.wait_for_participant()`
and the participant's attributes (a SIP caller's phone number)."""

import json

from livekit import rtc
from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli

from agentconsole.offline import ScriptedLLM


async def entrypoint(ctx: JobContext) -> None:
    await ctx.connect()
    participant = await ctx.wait_for_participant()
    metadata = json.loads(ctx.job.metadata or "{}")
    kind = "sip" if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP else "standard"
    greeting = (
        f"Hello {participant.identity} ({kind}), calling from "
        f"{participant.attributes.get('sip.phoneNumber', 'nowhere')} "
        f"about order {metadata.get('order', 'none')}."
    )
    session = AgentSession(llm=ScriptedLLM())
    await session.start(agent=Agent(instructions="You help callers."), room=ctx.room)
    session.say(greeting)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
