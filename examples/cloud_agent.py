"""A realistic cloud voice agent (needs keys; not run by the test suite).

Uses LiveKit Inference model strings, so one set of LiveKit credentials covers STT, LLM and TTS:

    export LIVEKIT_URL=wss://<project>.livekit.cloud
    export LIVEKIT_API_KEY=...  LIVEKIT_API_SECRET=...

Run it in the console:   agentconsole examples/cloud_agent.py
Or with LiveKit's CLI:   python examples/cloud_agent.py console

To call providers directly instead, install their plugins (e.g. `livekit-agents[openai,deepgram,
cartesia]`) and pass `stt=deepgram.STT()`, `llm=openai.LLM(model="gpt-4.1-mini")`,
`tts=cartesia.TTS()` with the providers' own API keys in the environment.
End of turn uses the framework's default turn detector.
"""

from __future__ import annotations

from pathlib import Path

from livekit.agents import (
    Agent,
    AgentSession,
    JobContext,
    JobProcess,
    WorkerOptions,
    cli,
    function_tool,
)
from livekit.plugins import silero

PROMPT_FILE = Path(__file__).with_name("prompt.md")


class CloudAssistant(Agent):
    """A concise voice assistant with two demo tools."""

    def __init__(self) -> None:
        super().__init__(instructions=PROMPT_FILE.read_text(encoding="utf-8"))

    async def on_enter(self) -> None:
        self.session.generate_reply(instructions="Greet the user briefly and offer help.")

    @function_tool
    async def turn_on_lights(self, room: str) -> str:
        """Turn on the lights in a room.

        Args:
            room: the room, e.g. "kitchen".
        """
        return f"The {room} lights are on."

    @function_tool
    async def get_weather(self, city: str) -> str:
        """Get the current weather in a city.

        Args:
            city: the city name.
        """
        return f"It is sunny and 22 degrees in {city}."


def prewarm(proc: JobProcess) -> None:
    proc.userdata["vad"] = silero.VAD.load()


async def entrypoint(ctx: JobContext) -> None:
    session: AgentSession[None] = AgentSession(
        vad=ctx.proc.userdata["vad"],
        stt="deepgram/nova-3",
        llm="openai/gpt-4.1-mini",
        tts="cartesia/sonic-2",
    )
    await session.start(agent=CloudAssistant(), room=ctx.room)
    await ctx.connect()


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint, prewarm_fnc=prewarm))
