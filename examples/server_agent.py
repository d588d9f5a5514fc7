"""The offline voice agent, written in the `AgentServer` style (livekit-agents >= 1.3).

Same agent as `offline_agent.py` (Silero VAD, Moonshine STT, scripted LLM, espeak-ng TTS, no
keys, no network), registered with `@server.rtc_session()` instead of `WorkerOptions`.

Run it in the console:   agentconsole examples/server_agent.py
Or with LiveKit's CLI:   python examples/server_agent.py console
"""

from __future__ import annotations

from pathlib import Path

from livekit.agents import (
    Agent,
    AgentServer,
    AgentSession,
    JobContext,
    JobProcess,
    cli,
    function_tool,
)

# Plugins register themselves on import, which LiveKit requires on the main thread: import
# them at module level (LiveKit's own console runs prewarm on a worker thread).
from livekit.plugins import silero

from agentconsole.offline import EspeakTTS, MoonshineSTT, ScriptedLLM, prewarm, vad_turn_detection
from agentconsole.offline.llm import STORY

PROMPT_FILE = Path(__file__).with_name("prompt.md")

GREETING = "Hi! I can turn on lights and tell you the weather."

REPLIES = {
    r"\b(story|long)\b": STORY,
    r"^\W*(hello|hi|hey)\b": "Hello! How can I help you today?",
    r"\b(thanks|thank you)\b": "You're welcome!",
    r"\bwhat did i say first\b": "You first said: {first}",
}


class OfflineAssistant(Agent):
    """Greets the user and offers two tools."""

    def __init__(self) -> None:
        super().__init__(instructions=PROMPT_FILE.read_text(encoding="utf-8"))

    async def on_enter(self) -> None:
        self.session.generate_reply()

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


def setup(proc: JobProcess) -> None:
    """Load Silero VAD, Moonshine and espeak-ng once per process, before any job."""
    proc.userdata["vad"] = silero.VAD.load()
    prewarm(proc)


server = AgentServer(setup_fnc=setup)


@server.rtc_session()
async def offline_agent(ctx: JobContext) -> None:
    session: AgentSession[None] = AgentSession(
        vad=ctx.proc.userdata["vad"],
        stt=MoonshineSTT(),
        llm=ScriptedLLM(replies=REPLIES, greeting=GREETING),
        tts=EspeakTTS(),
        **vad_turn_detection(),
    )
    await session.start(agent=OfflineAssistant(), room=ctx.room)
    await ctx.connect()


if __name__ == "__main__":
    cli.run_app(server)
