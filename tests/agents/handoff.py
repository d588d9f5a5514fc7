"""Shape: a handoff. A tool returns `(Billing(), "...")` and the session switches agents."""

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli, function_tool

from agentconsole.offline import ScriptedLLM, ToolRule


class Billing(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You handle billing.")

    async def on_enter(self) -> None:
        self.session.say("Billing here. How can I help with your invoice?")


class Greeter(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You greet and route callers.")

    @function_tool
    async def transfer_to_billing(self) -> tuple[Agent, str]:
        """Transfer the caller to the billing team."""
        return Billing(), "Transferring you to billing."


async def entrypoint(ctx: JobContext) -> None:
    rules = [ToolRule(r"\bbilling\b", "transfer_to_billing", lambda m: {})]
    session = AgentSession(llm=ScriptedLLM(rules=rules))
    await session.start(agent=Greeter(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
