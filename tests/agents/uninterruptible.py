"""Shape: uninterruptible speech. The agent reads a notice with `allow_interruptions=False`."""

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli

from agentconsole.offline import EspeakTTS, ScriptedLLM

NOTICE = "This call may be recorded for quality and training purposes. " * 6


class Notice(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You read a notice first.")

    async def on_enter(self) -> None:
        self.session.say(NOTICE, allow_interruptions=False)


async def entrypoint(ctx: JobContext) -> None:
    session = AgentSession(llm=ScriptedLLM(), tts=EspeakTTS())
    await session.start(agent=Notice(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
