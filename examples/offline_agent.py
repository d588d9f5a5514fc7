"""An offline voice agent: no API keys, no network, no GPU.

Pipeline: Silero VAD, Moonshine STT, a scripted LLM that calls tools by rules, espeak-ng TTS
(all from `pip install 'agentconsole[offline]'`). End of turn is detected from VAD silence; the
STT starts transcribing at the first 0.1 s of silence, so the transcript is ready about when the
VAD's silence window ends.

Run it in the console:   agentconsole examples/offline_agent.py
Or with LiveKit's CLI:   python examples/offline_agent.py console

Try saying "turn on the kitchen lights", "what is the weather in Paris", "tell me a story"
(interrupt it) or anything else. Edit `REPLIES` or `prompt.md` while it runs to see a reload.
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
from livekit.agents.vad import VAD

# Plugins register themselves on import, which LiveKit requires on the main thread: import
# them at module level (LiveKit's own console runs prewarm on a worker thread).
from livekit.plugins import silero

from agentconsole.offline import (
    EspeakTTS,
    MoonshineStreamingSTT,
    ScriptedLLM,
    prewarm,
    vad_turn_detection,
)
from agentconsole.offline.llm import STORY

PROMPT_FILE = Path(__file__).with_name("prompt.md")

GREETING = "Hi! I can turn on lights and tell you the weather."

# The scripted LLM's answers (regex on what the user said -> reply). Tool calls are separate:
# "turn on the <room> lights" and "weather in <city>" call the tools below.
REPLIES = {
    r"\b(story|long)\b": STORY,
    r"^\W*(hello|hi|hey)\b": "Hello! How can I help you today?",
    r"\b(thanks|thank you)\b": "You're welcome!",
    r"\bwhat did i say first\b": "You first said: {first}",
}

WEATHER = {"paris": "sunny and 22 degrees", "london": "light rain and 14 degrees"}


class OfflineAssistant(Agent):
    """Greets the user and offers two tools."""

    def __init__(self) -> None:
        # Read per session, so a prompt change applies to the next session (and to a reload).
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
        return f"It is {WEATHER.get(city.lower(), 'cloudy and 18 degrees')} in {city}."


def build_session(vad: VAD) -> AgentSession[None]:
    """The offline AgentSession (also used by the tests)."""
    return AgentSession(
        vad=vad,
        # finals only (no interims: no re-decoding while the user speaks), decoded speculatively
        stt=MoonshineStreamingSTT(vad=vad, interim_interval=None),
        llm=ScriptedLLM(replies=REPLIES, greeting=GREETING),
        tts=EspeakTTS(),
        **vad_turn_detection(),
    )


def prewarm_process(proc: JobProcess) -> None:
    """Load Silero VAD, Moonshine and espeak-ng once per process, before any job."""
    proc.userdata["vad"] = silero.VAD.load()
    prewarm(proc)


async def entrypoint(ctx: JobContext) -> None:
    session = build_session(ctx.proc.userdata["vad"])
    await session.start(agent=OfflineAssistant(), room=ctx.room)
    await ctx.connect()


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint, prewarm_fnc=prewarm_process))
