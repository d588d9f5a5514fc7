"""The whole audio path with the real CLI and a real agent on the virtual audio rig.

The console opens the rig's virtual mic (vmic) and speaker (vspeaker) through sounddevice;
speech is played into the mic with ``paplay``; what the agent says is recorded from the
speaker's monitor and transcribed with the offline STT. For the echo tests, PulseAudio loops
the speaker back into the mic (module-loopback), as a laptop's speakers would.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
from conftest_speech import MIC_GAIN, speak
from harness import EXAMPLES, Event, Headless
from rig_support import Loopback

pytestmark = [pytest.mark.audio, pytest.mark.slow]

DEVICES = ("--input-device", "vmic", "--output-device", "vspeaker")


class SpeakerRecorder:
    """Records the virtual speaker's monitor to a 16 kHz WAV until stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.proc = subprocess.Popen(
            [
                "parecord",
                "--device=vspeaker.monitor",
                "--rate=16000",
                "--channels=1",
                "--latency-msec=20",
                "--file-format=wav",
                str(path),
            ]
        )

    def stop(self) -> np.ndarray:
        time.sleep(0.3)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(10)
        with wave.open(str(self.path)) as w:
            data = w.readframes(w.getnframes())
        return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0


def _play_into_mic(wav: Path) -> None:
    subprocess.run(["paplay", "--device=vmic_feed", str(wav)], check=True, timeout=30)


def _agent_listening(console: Headless, after: Event) -> None:
    console.wait_after(
        after,
        lambda e: e["type"] == "agent_state" and e["state"] == "listening",
        90,
        "the agent to listen",
    )


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(
        "turn on the kitchen lights", tmp_path_factory.mktemp("s") / "kitchen.wav", MIC_GAIN
    )


@pytest.fixture(scope="module")
def aec_session(
    audio_rig: dict[str, str], kitchen: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Headless, Path, np.ndarray]]:
    """Echo loop on, AEC on, recording: the greeting, then the kitchen turn spoken into the mic."""
    record = tmp_path_factory.mktemp("record")
    loop = Loopback()
    speaker = SpeakerRecorder(record.parent / "speaker.wav")
    console = Headless(
        str(EXAMPLES / "offline_agent.py"), "--no-watch", "--record", str(record), *DEVICES
    )
    try:
        ready = console.wait_type("job_ready", timeout=90)
        turn = console.wait_for(lambda e: e["type"] == "agent_turn", 60, "the greeting")
        _agent_listening(console, turn)
        time.sleep(1.0)
        _play_into_mic(kitchen)
        console.wait_for(
            lambda e: e["type"] == "agent_turn" and e["t"] > turn["t"] + 0.5, 90, "the reply"
        )
        audio = speaker.stop()
        assert ready
        yield console, record, audio
    finally:
        loop.close()
        if speaker.proc.poll() is None:
            speaker.proc.kill()
        console.quit()


def test_mic_speech_reaches_the_agent(aec_session: tuple[Headless, Path, np.ndarray]) -> None:
    console, _, _ = aec_session
    finals = [e for e in console.of_type("user_transcript") if e["final"]]
    assert any("kitchen lights" in e["text"].lower() for e in finals), finals
    assert any(e["name"] == "turn_on_lights" for e in console.of_type("tool_started"))


def test_agent_reply_comes_out_of_the_speaker(
    aec_session: tuple[Headless, Path, np.ndarray],
) -> None:
    from agentconsole.offline import moonshine

    _, _, audio = aec_session
    model = moonshine.load_model()
    # transcribe the loud stretches (the greeting, then the reply) one by one
    frame = 1600
    loud = np.array(
        [
            np.sqrt(np.mean(audio[i : i + frame] ** 2)) > 0.01
            for i in range(0, len(audio) - frame, frame)
        ]
    )
    texts, start = [], None
    for i, on in enumerate([*loud, False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            if i - start >= 5:
                pad = np.zeros(3200, np.float32)
                texts.append(
                    model.transcribe(np.concatenate([pad, audio[start * frame : i * frame], pad]))
                )
            start = None
    heard = " ".join(texts).lower()
    assert "kitchen lights are on" in heard, texts


def test_aec_on_the_agent_does_not_hear_itself(
    aec_session: tuple[Headless, Path, np.ndarray],
) -> None:
    console, _, _ = aec_session
    greeting = console.of_type("agent_turn")[0]
    assert greeting["interrupted"] is False
    # The canceller converges during the greeting's first moments (the echo loop is at 0 dB);
    # that is what the framework's AEC warm-up is for. Echo heard as speech before the greeting
    # ended must have been withheld from the STT for that reason, and reported as such.
    speaking = [e for e in console.of_type("user_state") if e["state"] == "speaking"]
    assert any(e["t"] > greeting["t"] for e in speaking), "the kitchen sentence was not heard"
    early = [e for e in speaking if e["t"] < greeting["t"]]
    warmup = [e for e in console.of_type("user_audio_discarded") if e["reason"] == "aec_warmup"]
    for e in early:
        assert any(d["t"] >= e["t"] for d in warmup), (early, warmup)
    finals = [e["text"].lower() for e in console.of_type("user_transcript") if e["final"]]
    # the only thing the user "said" is the kitchen sentence; not the agent's greeting or reply
    assert finals and all("weather" not in t and "done" not in t for t in finals), finals


def test_recording_has_both_voices_on_their_channels(
    aec_session: tuple[Headless, Path, np.ndarray],
) -> None:
    console, record, _ = aec_session
    console.quit()
    with wave.open(str(record / "audio.wav")) as w:
        assert w.getnchannels() == 2 and w.getsampwidth() == 2
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2) / 32768.0
    # sample 0 of the file is at console time audio_start (the devices open after the console
    # starts): an event at console time t is at t - audio_start in the file
    (rec,) = console.of_type("recording")
    start = rec["audio_start"]
    assert 0.0 <= start < 5.0, rec

    seconds = len(data) / rate
    last_t = max(e["t"] for e in console.events) - start
    assert seconds > 5 and abs(seconds - last_t) < 3.0, (seconds, last_t)
    mic, agent = data[:, 0], data[:, 1]

    def loud(x: np.ndarray, a: float, b: float) -> float:
        seg = x[int((a - start) * rate) : int((b - start) * rate)]
        return float(np.sqrt(np.mean(seg**2))) if len(seg) else 0.0

    greeting = next(e for e in console.of_type("agent_speech") if e["state"] == "started")["t"]
    greeted = console.of_type("agent_turn")[0]["t"]
    user = next(
        e for e in console.of_type("user_state") if e["state"] == "speaking" and e["t"] > greeted
    )["t"]
    # while the agent greets, its channel is loud and the (echo-cancelled) mic is quiet. The
    # second half of the greeting: with the speaker looped into the mic at 0 dB the canceller
    # takes its first moments to converge (up to about a second on a loaded machine)
    a, b = max(greeting + 1.0, greeted - 1.5), greeted - 0.3
    assert b - a >= 1.0, (greeting, greeted)
    assert loud(agent, a, b) > 5 * loud(mic, a, b)
    # while the user speaks, the mic channel carries it. The VAD reports speech a few frames
    # after it began (more on a loaded machine): the window straddles that moment
    assert loud(mic, user - 0.5, user + 0.5) > 0.01
    events = [json.loads(line) for line in (record / "events.jsonl").read_text().splitlines()]
    assert {"job_ready", "user_transcript", "tool_started", "agent_turn"} <= {
        e["type"] for e in events
    }


def test_aec_off_the_agent_hears_itself(audio_rig: dict[str, str]) -> None:
    """Nobody speaks into the mic: only the agent's own voice comes back through the loop.
    Without echo cancellation the session hears it as the user speaking and the agent cuts
    itself off (with AEC on, ``test_aec_on_...`` sees neither)."""
    loop = Loopback()
    console = Headless(str(EXAMPLES / "offline_agent.py"), "--no-watch", "--no-aec", *DEVICES)
    try:
        console.wait_type("job_ready", timeout=90)
        greeting = console.wait_for(lambda e: e["type"] == "agent_turn", 90, "the greeting")
        speaking = [e for e in console.of_type("user_state") if e["state"] == "speaking"]
        assert speaking and speaking[0]["t"] < greeting["t"], "the echo was never heard"
        assert greeting["interrupted"] is True
    finally:
        loop.close()
        console.quit()
