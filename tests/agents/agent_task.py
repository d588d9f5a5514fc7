"""Shape: an `AgentTask`. A tool awaits `GetEmail()`, which runs as the active agent until its
own tool completes it with a result."""

from livekit.agents import (
    Agent,
    AgentSession,
    AgentTask,
    JobContext,
    WorkerOptions,
    cli,
    function_tool,
)

from agentconsole.offline import ScriptedLLM, ToolRule


class GetEmail(AgentTask[str]):
    def __init__(self) -> None:
        super().__init__(instructions="Ask for the caller's email address.")

    async def on_enter(self) -> None:
        self.session.say("What is your email address?")

    @function_tool
    async def record_email(self, email: str) -> None:
        """Record the caller's email address.

        Args:
            email: the address.
        """
        self.complete(email)


class Assistant(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You help callers.")

    @function_tool
    async def collect_email(self) -> str:
        """Collect the caller's email address."""
        email = await GetEmail()
        return f"Got the email {email}."


async def entrypoint(ctx: JobContext) -> None:
    rules = [
        ToolRule(r"\bcollect\b", "collect_email", lambda m: {}),
        ToolRule(r"email is (\S+)", "record_email", lambda m: {"email": m[1]}),
    ]
    session = AgentSession(llm=ScriptedLLM(rules=rules))
    await session.start(agent=Assistant(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
