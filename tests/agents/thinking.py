"""Shape: a slow LLM (a token every 0.2 s), for a reload while the agent is thinking."""

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli

from agentconsole.offline import ScriptedLLM

REPLY = "Once upon a time there was a console that never lost a message, even on reload."


async def entrypoint(ctx: JobContext) -> None:
    llm = ScriptedLLM(replies={r"\bstory\b": REPLY}, token_delay=0.2)
    session = AgentSession(llm=llm)
    await session.start(agent=Agent(instructions="You tell stories."), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
