"""Echo-path detection and the barge-in fix, on real speech (espeak-ng) through the real APM.

No devices: the render and capture streams are built here, frame by frame, exactly as the
engine's callbacks feed them (render 10 ms, then capture 10 ms), so the cases are exact: no
echo path, a delayed and attenuated copy of the agent in the mic, and a user talking over it.
Transcripts come from the offline Moonshine STT.
"""

from __future__ import annotations

import re
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from agentconsole.audio.aec import EchoCanceller
from agentconsole.audio.echo import EchoPath

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
from conftest_speech import speak

RATE = 24000
FRAME = 240
SENTENCE = "turn on the kitchen lights"
AGENT_TEXT = (
    "Here is the long weather report for the whole region, read slowly: clouds in the morning, "
    "a little sun around noon, and a light wind from the west."
)


def _load(path: Path) -> npt.NDArray[np.float32]:
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    t = np.arange(int(len(x) * RATE / rate)) * rate / RATE
    return np.interp(t, np.arange(len(x)), x).astype(np.float32)


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray]:
    d = tmp_path_factory.mktemp("voices")
    agent = _load(speak(AGENT_TEXT, d / "agent.wav"))
    raw = d / "user.raw.wav"
    # a different voice for the user, as in life
    subprocess.run(
        ["espeak-ng", "-v", "en-us+m3", "-p", "40", "-s", "160", "-w", str(raw), SENTENCE],
        check=True,
    )
    return agent, _load(raw)


def _scene(
    agent: np.ndarray, user: np.ndarray, gain: float, delay_s: float, at_s: float = 4.5
) -> tuple[np.ndarray, np.ndarray, int]:
    n = int((at_s + len(user) / RATE + 1.0) * RATE)
    n -= n % FRAME
    render = np.zeros(n, np.float32)
    render[: min(n, len(agent))] = agent[:n]
    mic = np.zeros(n, np.float32)
    start = int(at_s * RATE)
    mic[start : start + len(user)] += user
    d = int(delay_s * RATE)
    if gain:
        mic[d:] += gain * render[: n - d]
    return render, mic, start


def _run(canceller: EchoCanceller, render: np.ndarray, mic: np.ndarray) -> np.ndarray:
    r = (np.clip(render, -1, 1) * 32767).astype(np.int16)
    m = (np.clip(mic, -1, 1) * 32767).astype(np.int16)
    out = np.zeros(len(mic), np.float32)
    for i in range(0, len(mic), FRAME):
        canceller.reverse(r[i : i + FRAME])
        out[i : i + FRAME] = canceller.process(m[i : i + FRAME]) / 32768
    return out


def _transcribe(x: np.ndarray) -> str:
    from agentconsole.offline import moonshine

    t = np.arange(int(len(x) * 16000 / RATE)) * RATE / 16000
    text = moonshine.load_model().transcribe(np.interp(t, np.arange(len(x)), x).astype(np.float32))
    return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def test_no_echo_path_the_barge_in_comes_through(voices: tuple[np.ndarray, np.ndarray]) -> None:
    agent, user = voices
    render, mic, start = _scene(agent, user, gain=0.0, delay_s=0.0)
    canceller = EchoCanceller(RATE)
    canceller.set_delay(0.1)
    out = _run(canceller, render, mic)
    assert canceller.path is not None and canceller.path.echo is False
    assert not canceller.cancelling
    seg = slice(start - RATE // 4, start + len(user) + RATE // 2)
    # AEC3 alone takes this to about 0.15 and the STT hears nothing; NS alone keeps ~0.7
    assert _rms(out[seg]) > 0.5 * _rms(mic[seg])
    assert _transcribe(out[seg]) == SENTENCE


@pytest.mark.parametrize(("gain", "delay_s"), [(0.5, 0.1), (0.1, 0.25)])
def test_echo_path_is_found_measured_and_cancelled(
    voices: tuple[np.ndarray, np.ndarray], gain: float, delay_s: float
) -> None:
    agent, user = voices
    render, mic, start = _scene(agent, user, gain=gain, delay_s=delay_s)
    canceller = EchoCanceller(RATE)
    canceller.set_delay(0.1)
    out = _run(canceller, render, mic)
    path = canceller.path
    assert path is not None and path.echo is True and canceller.cancelling
    assert path.echo_db is not None and abs(path.echo_db - 20 * np.log10(gain)) < 1.5
    assert path.delay is not None and abs(path.delay - delay_s) < 0.03
    assert canceller.erle_db is not None and canceller.erle_db > 25
    # the agent alone (before the barge-in, after AEC3's first second): echo gone
    echo_only = slice(2 * RATE, start)
    assert _rms(out[echo_only]) < 0.03 * _rms(mic[echo_only])


def test_echo_path_that_goes_away_is_noticed() -> None:
    """Headphones plugged in: the mic goes quiet while the agent plays -> no echo path."""
    rng = np.random.default_rng(1)
    path = EchoPath(RATE)
    noise = (rng.standard_normal(RATE * 8) * 3000).astype(np.int16)
    silence = np.zeros(FRAME, np.int16)
    verdicts = []
    for i in range(0, len(noise) - FRAME, FRAME):
        frame = noise[i : i + FRAME]
        path.render(frame)
        heard = frame // 4 if i < 4 * RATE else silence  # -12 dB echo for 4 s, then none
        path.capture(heard, heard)
        verdicts.append(path.echo)
    assert all(verdicts[50:390]) and path.echo is False and path.echo_db is None


def test_echo_path_holds_while_the_agent_starts_and_stops() -> None:
    """Turns of 1.2 s with 1 s pauses, echo at -12 dB 200 ms late: at every turn's start the
    mic does not hold the echo yet; that is no evidence that the echo path went away."""
    rng = np.random.default_rng(3)
    path = EchoPath(RATE)
    delay = int(0.2 * RATE)
    played = np.zeros(RATE * 12, np.int16)
    for start in range(0, len(played) - RATE, int(2.2 * RATE)):
        played[start : start + int(1.2 * RATE)] = rng.standard_normal(int(1.2 * RATE)) * 3000
    heard = np.zeros_like(played)
    heard[delay:] = played[:-delay] // 4
    verdicts = []
    for i in range(0, len(played) - FRAME, FRAME):
        path.render(played[i : i + FRAME])
        path.capture(heard[i : i + FRAME], heard[i : i + FRAME])
        verdicts.append(path.echo)
    assert all(verdicts) and path.delay is not None and abs(path.delay - 0.2) < 0.03


@pytest.mark.parametrize("mic_frames", [4, 6])
def test_echo_path_is_found_when_the_streams_push_different_blocks(mic_frames: int) -> None:
    """The speaker's callback pushes 30 ms at a time, the mic's 40 or 60 ms (the console's
    MIC_BLOCK), so when a mic block arrives the played history ends 0-30 ms after it, a
    little further each time. The echo (-12 dB, 100 ms late) is found all the same, at one
    delay, and the talk-over test finds no talker in it."""
    rng = np.random.default_rng(5)
    path = EchoPath(RATE)
    played = (rng.standard_normal(RATE * 6) * 3000).astype(np.int16)
    delay = int(0.1 * RATE)
    heard = np.zeros_like(played)
    heard[delay:] = played[:-delay] // 4
    frames = len(played) // FRAME
    # each frame is pushed when its block ends: every 3rd render frame, every 4th or 6th mic
    # frame
    events = [((k // 3 + 1) * 3, 0, k) for k in range(frames)]
    events += [((j // mic_frames + 1) * mic_frames + 0.5, 1, j) for j in range(frames)]
    offsets, over = set(), 0
    for _, kind, i in sorted(events):
        if kind == 0:
            path.render(played[i * FRAME : (i + 1) * FRAME])
        else:
            path.capture(heard[i * FRAME : (i + 1) * FRAME], heard[i * FRAME : (i + 1) * FRAME])
            over += path.talking_over
            if path._offset is not None:
                offsets.add(path._offset)
    assert path.echo and path.gain is not None and abs(path.gain - 0.25) < 0.03
    assert offsets == {delay // 3}, offsets  # one delay, in samples at the analysis rate
    assert over == 0
    assert path.history_delay is not None and abs(path.history_delay - 0.1) < 0.04


def test_nothing_played_is_no_evidence() -> None:
    path = EchoPath(RATE)
    rng = np.random.default_rng(2)
    for _ in range(400):  # 4 s of a user talking while the agent is silent
        path.render(np.zeros(FRAME, np.int16))
        x = (rng.standard_normal(FRAME) * 3000).astype(np.int16)
        path.capture(x, x)
    assert path.echo is True and path.gain is None  # undecided: still cancelling


def test_the_canceller_stops_without_an_echo_path_and_restarts_with_one(
    voices: tuple[np.ndarray, np.ndarray],
) -> None:
    """No echo path: the canceller and its reverse stream stop (idle CPU); when the speaker
    starts to be heard (headphones unplugged), a fresh canceller takes over and cancels."""
    agent, _ = voices
    agent = agent[: len(agent) - len(agent) % FRAME]
    canceller = EchoCanceller(RATE)
    canceller.set_delay(0.1)
    silence = np.zeros(len(agent), np.float32)
    _run(canceller, agent, silence)  # the agent talks, the mic hears nothing
    assert canceller.path is not None and canceller.path.echo is False
    first = canceller._apm
    assert canceller._idle_canceller
    # now the mic hears the speaker, 100 ms late at -6 dB
    delay = int(0.1 * RATE)
    echo = np.concatenate([np.zeros(delay, np.float32), agent[:-delay]]) * 0.5
    out = _run(canceller, agent, echo)
    assert canceller.path.echo is True and canceller.cancelling
    assert not canceller._idle_canceller and canceller._apm is not first
    # the fresh canceller converged: the last seconds are far quieter than the echo
    tail = slice(len(echo) - 3 * RATE, len(echo))
    assert _rms(out[tail]) < 0.1 * _rms(echo[tail])


def _run_held(
    agent: np.ndarray, user: np.ndarray, gain: float, delay_s: float, at_s: float = 4.5
) -> tuple[np.ndarray, int, float | None, int]:
    """A user talking over the agent through an echo path, with the engine's hold: from the
    10 ms frame after the echo path first says someone talks over it, the speaker plays
    silence (the echo stops ``delay_s`` later). The echo is built from what was actually
    played, frame by frame. Returns the canceller's output, the user's start, how long
    after it the hold came, and how many frames said so before the user spoke."""
    n = int((at_s + len(user) / RATE + 1.0) * RATE)
    n -= n % FRAME
    start, lag = int(at_s * RATE), int(delay_s * RATE)
    near = np.zeros(n, np.float32)
    near[start : start + len(user)] = user
    played = np.zeros(n, np.float32)
    out = np.zeros(n, np.float32)
    canceller = EchoCanceller(RATE)
    canceller.set_delay(0.1)
    assert canceller.path is not None
    held_at: float | None = None
    early = 0
    for i in range(0, n, FRAME):
        if held_at is None:
            played[i : i + FRAME] = agent[i : i + FRAME] if i + FRAME <= len(agent) else 0.0
        mic = near[i : i + FRAME] + (gain * played[i - lag : i - lag + FRAME] if i >= lag else 0)
        canceller.reverse((np.clip(played[i : i + FRAME], -1, 1) * 32767).astype(np.int16))
        out[i : i + FRAME] = canceller.process((np.clip(mic, -1, 1) * 32767).astype(np.int16))
        if canceller.path.talking_over and held_at is None:
            if i < start:
                early += 1
            else:
                held_at = (i - start) / RATE
    return out / 32768, start, held_at, early


@pytest.mark.parametrize(
    ("gain", "delay_s", "heard"),
    [
        (0.5, 0.04, SENTENCE),
        (0.25, 0.04, SENTENCE),
        (0.25, 0.12, SENTENCE),
        (0.1, 0.04, SENTENCE),
        (0.1, 0.12, SENTENCE),
        (0.5, 0.12, SENTENCE),
    ],
)
def test_talking_over_the_echo_holds_the_agent_and_is_heard(
    voices: tuple[np.ndarray, np.ndarray], gain: float, delay_s: float, heard: str
) -> None:
    """The echo path tells a user talking over the agent from the agent's own echo within
    0.2 s, never before the user speaks, and with the agent held the canceller lets the
    sentence through; without the hold, AEC3 takes its first words."""
    agent, user = voices
    user = user * 0.7  # MIC_GAIN: the level the rig tests play speech at
    out, start, held_at, early = _run_held(agent, user, gain, delay_s)
    assert early == 0, "held on the agent's own echo"
    assert held_at is not None and held_at < 0.2, held_at
    seg = slice(start - RATE // 4, start + len(user) + RATE // 2)
    assert _transcribe(out[seg]).endswith(heard)

    # the same scene without the hold and with AEC3 alone: it suppresses the start of the
    # sentence
    render, mic, start = _scene(agent, user, gain=gain, delay_s=delay_s)
    aec3_alone = EchoCanceller(RATE, linear=False)
    assert _transcribe(_run(aec3_alone, render, mic)[seg]) != SENTENCE


def test_no_echo_path_no_hold(voices: tuple[np.ndarray, np.ndarray]) -> None:
    """With nothing of the speaker in the mic there is no echo to talk over: never held."""
    agent, user = voices
    _, _, held_at, early = _run_held(agent, user * 0.7, gain=0.0, delay_s=0.0)
    assert held_at is None and early == 0
