"""Shape: tools that fail. `charge_card` raises `ToolError` (a message for the LLM);
`explode` raises an unexpected exception. The session goes on after both."""

from livekit.agents import (
    Agent,
    AgentSession,
    JobContext,
    ToolError,
    WorkerOptions,
    cli,
    function_tool,
)

from agentconsole.offline import ScriptedLLM, ToolRule


class Shop(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You sell things.")

    @function_tool
    async def charge_card(self, amount: str) -> str:
        """Charge the caller's card.

        Args:
            amount: the amount.
        """
        raise ToolError(f"card declined for {amount}")

    @function_tool
    async def explode(self) -> str:
        """Something that fails unexpectedly."""
        raise RuntimeError("the warehouse is on fire")


async def entrypoint(ctx: JobContext) -> None:
    rules = [
        ToolRule(r"charge (\w+)", "charge_card", lambda m: {"amount": m[1]}),
        ToolRule(r"\bexplode\b", "explode", lambda m: {}),
    ]
    session = AgentSession(llm=ScriptedLLM(rules=rules, replies={r"\bhello\b": "Still here."}))
    await session.start(agent=Shop(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
