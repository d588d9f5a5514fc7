"""Shape: a tool with a side effect, for reload in the middle of a turn. `record` appends a
line to `ledger.txt` beside this file, then waits (up to 30 s) for `release` to exist: the
window in which a test reloads the agent."""

import asyncio
from pathlib import Path

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli, function_tool

from agentconsole.offline import ScriptedLLM, ToolRule

HERE = Path(__file__).parent


class Bookkeeper(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You keep the ledger.")

    @function_tool
    async def record(self, item: str) -> str:
        """Record an item in the ledger.

        Args:
            item: what to record.
        """
        with open(HERE / "ledger.txt", "a", encoding="utf-8") as ledger:
            ledger.write(item + "\n")
        for _ in range(300):
            if (HERE / "release").exists():
                break
            await asyncio.sleep(0.1)
        return f"Recorded {item}."


async def entrypoint(ctx: JobContext) -> None:
    rules = [ToolRule(r"record (\w+)", "record", lambda m: {"item": m[1]})]
    session = AgentSession(llm=ScriptedLLM(rules=rules, tool_reply="Done. {output}"))
    await session.start(agent=Bookkeeper(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
