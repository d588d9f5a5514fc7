"""Shape: an LLM-only agent (no STT, no TTS, no VAD): how many people start.

The console runs it in text mode: typed turns get text replies, committed as `agent_turn`.
It reads `notes.md` beside it (a file it reads: saving it reloads the agent).
"""

from pathlib import Path

from livekit.agents import Agent, AgentSession, JobContext, WorkerOptions, cli

from agentconsole.offline import ScriptedLLM

NOTES = Path(__file__).with_name("notes.md")


class TextAssistant(Agent):
    def __init__(self) -> None:
        notes = NOTES.read_text(encoding="utf-8") if NOTES.exists() else ""
        super().__init__(instructions="You answer in text. " + notes)


async def entrypoint(ctx: JobContext) -> None:
    session = AgentSession(llm=ScriptedLLM(replies={r"\bhello\b": "Hello in text!"}))
    await session.start(agent=TextAssistant(), room=ctx.room)


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint))
