"""Barge-in with echo cancellation on: three in one session, each transcript checked.

The real CLI and the offline example agent on the PulseAudio rig (virtual mic and speaker, no
echo path between them). The agent says a long text; once the user has heard it past
livekit-agents' 3 s AEC warm-up, "turn on the kitchen lights" (espeak-ng) is played into the
mic. Before the fix, AEC3 (which assumes an echo it has not found yet) suppressed about half
of these into "To occasion lights." and the like.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
from conftest_speech import MIC_GAIN, speak
from harness import EXAMPLES, Event, Headless

pytestmark = [pytest.mark.audio, pytest.mark.slow]

DEVICES = ("--input-device", "vmic", "--output-device", "vspeaker")
SENTENCE = "turn on the kitchen lights"
LONG = (
    "Here is the long weather report for the whole region, read slowly: clouds in the morning, "
    "a little sun around noon, and a light wind from the west that carries on into the evening."
)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())


def test_three_barge_ins_with_echo_cancellation(audio_rig: dict[str, str], tmp_path: Path) -> None:
    wav = speak(SENTENCE, tmp_path / "kitchen.wav", MIC_GAIN)
    console = Headless(str(EXAMPLES / "offline_agent.py"), "--no-watch", *DEVICES)
    try:
        console.wait_type("job_ready", timeout=90)
        greeting = console.wait_for(lambda e: e["type"] == "agent_turn", 60, "the greeting")
        mark = greeting
        for n in range(3):
            # "region" is about 4 s into the text: past the framework's AEC warm-up
            start = console.say_once_listening(mark, LONG, "region")
            subprocess.run(["paplay", "--device=vmic_feed", str(wav)], check=True, timeout=30)

            def final(e: Event, s: float = start) -> bool:
                return e["type"] == "user_transcript" and e["final"] and e["t"] > s

            heard = console.wait_for(final, 60, f"the transcript of barge-in {n + 1}")
            audio = console.of_type("audio")[-1:]  # overflows, underruns, the echo verdict
            assert _norm(heard["text"]) == SENTENCE, (n, heard["text"], audio, console.tail())
            cut = [e for e in console.after(start, "agent_turn") if e["interrupted"]]
            assert cut and cut[0]["text"].startswith("Here is the long weather"), console.tail()
            reply = console.wait_for(
                lambda e, s=start: (
                    e["type"] == "agent_turn"
                    and e["t"] > s
                    and "kitchen lights are on" in e["text"].lower()
                ),
                60,
                "the reply",
            )
            mark = reply
        audio = console.of_type("audio")
        assert audio[-1]["aec"] is True
        # the rig has no echo path, and the console found none
        assert audio[-1]["echo_db"] is None
    finally:
        console.quit()
