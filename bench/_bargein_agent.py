"""The agent for bench_bargein.py: rounds of a long ``say`` to be talked over, events logged.

Runs unchanged under agentconsole and under LiveKit's own console. Each round it says
``LONG`` (about 9 s); the bench talks over it. Once the user's transcript has arrived (or 20 s
have passed) and the session has been quiet for 2.5 s, the next round starts. Everything the
bench scores is written as JSON lines to ``$BARGEIN_LOG`` with ``time.monotonic()`` stamps
(one clock for every process on the machine): ``round``, ``final`` (user transcripts),
``agent`` (committed agent messages and whether they were interrupted).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

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

from agentconsole.offline import EspeakTTS, MoonshineSTT, ScriptedLLM, prewarm, vad_turn_detection

LONG = (
    "Here is the long weather report for the whole region, read slowly: clouds in the morning, "
    "a little sun around noon, and a light wind from the west that carries on into the evening."
)
ROUNDS = int(os.environ.get("BARGEIN_ROUNDS", "10"))


def log(**fields: Any) -> None:
    """Append one event line to $BARGEIN_LOG."""
    path = os.environ.get("BARGEIN_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"t": time.monotonic(), **fields}) + "\n")


class Talker(Agent):
    """Says LONG once per round; answers "turn on the kitchen lights" with a tool call."""

    def __init__(self) -> None:
        super().__init__(instructions="You are a test agent.")
        self._task: asyncio.Task[None] | None = None
        self.heard = asyncio.Event()
        """Set by every final user transcript."""

    async def on_enter(self) -> None:
        self._task = asyncio.create_task(self._rounds())

    async def _quiet(self, seconds: float) -> None:
        still = 0.0
        while still < seconds:
            await asyncio.sleep(0.1)
            busy = self.session.agent_state != "listening" or self.session.user_state == "speaking"
            still = 0.0 if busy else still + 0.1

    async def _rounds(self) -> None:
        await self._quiet(1.0)
        for n in range(ROUNDS):
            log(ev="round", n=n)
            self.heard.clear()
            handle = self.session.say(LONG, allow_interruptions=True)
            await handle
            # on a loaded machine the transcript of a barge-in can come seconds after the user
            # stopped: wait for it, so it is not taken for a reply to the next round
            try:
                await asyncio.wait_for(self.heard.wait(), 20.0)
            except asyncio.TimeoutError:
                pass
            await self._quiet(2.5)
        log(ev="done")

    @function_tool
    async def turn_on_lights(self, room: str) -> str:
        """Turn on the lights in a room.

        Args:
            room: the room, e.g. "kitchen".
        """
        return f"The {room} lights are on."


def prewarm_process(proc: JobProcess) -> None:
    """Silero VAD, Moonshine and espeak-ng, once per process."""
    proc.userdata["vad"] = silero.VAD.load()
    prewarm(proc)


async def entrypoint(ctx: JobContext) -> None:
    session = AgentSession(
        vad=ctx.proc.userdata["vad"],
        stt=MoonshineSTT(),
        llm=ScriptedLLM(),
        tts=EspeakTTS(),
        **vad_turn_detection(),
    )

    agent = Talker()

    @session.on("user_input_transcribed")
    def _final(ev: Any) -> None:
        if ev.is_final:
            log(ev="final", text=ev.transcript)
            agent.heard.set()

    @session.on("conversation_item_added")
    def _item(ev: Any) -> None:
        item = ev.item
        if getattr(item, "role", None) == "assistant":
            log(ev="agent", text=item.text_content or "", interrupted=bool(item.interrupted))

    await session.start(agent=agent, room=ctx.room)
    await ctx.connect()


if __name__ == "__main__":
    cli.run_app(WorkerOptions(entrypoint_fnc=entrypoint, prewarm_fnc=prewarm_process))
