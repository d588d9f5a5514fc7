"""Talking over the agent through an echo path: what the hold can and cannot save, offline.

    .venv/bin/python bench/bench_talkover.py [--only detector,forced,linear,console]

No devices: the agent's speech (espeak-ng), its echo (a delayed, attenuated copy of what was
actually played) and a user saying "turn on the kitchen lights" (another espeak-ng voice, at
the rig tests' level) are mixed frame by frame and run through the console's real canceller
(`EchoCanceller`: AEC3 and the echo path's talk-over detector). The canceller's output around
the user's sentence goes to the offline Moonshine STT. The first three kinds run AEC3 alone
(``EchoCanceller(linear=False)``), as the console did before its linear canceller. Each case
is 6 barge-ins at different
points of the agent's speech, at -6, -12 and -20 dB, 40 and 120 ms.

The speaker's buffer is modelled: after the hold the agent plays on for ``--buffer`` seconds
(the device's latency; 50 ms headless, 100 ms in the TUI).

* ``detector``: the hold as the engine does it; how long after the user it came.
* ``forced``: the hold forced at a fixed time after the user starts (an ideal detector), to
  show how much of the first words AEC3 takes in the overlap that no detector can avoid (the
  speaker's buffer and the echo path's delay play on after any hold).
* ``linear``: an oracle for a linear echo canceller used in the overlap instead of AEC3 (the
  exact echo removed down to ``R`` dB, the user untouched; what a console-side delay line
  plus linear stage could at best deliver).
* ``console``: the canceller as the console runs it, the hold and the linear canceller
  (``console/audio/linear.py``) beside AEC3. The echo here is sample-exact, which a linear
  canceller models perfectly; ``bench_bargein.py`` has it through the rig's drifting
  loopback.

Prints one line per case; asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

from agentconsole.audio.aec import EchoCanceller

RATE = 24000
FRAME = 240
SENTENCE = "turn on the kitchen lights"
AGENT_TEXT = (
    "Here is the long weather report for the whole region, read slowly: clouds in the morning, "
    "a little sun around noon, and a light wind from the west."
)
USER_GAIN = 0.7  # the level the rig tests play speech at (tests/job/conftest_speech.MIC_GAIN)
CASES = [(0.5, 0.04), (0.5, 0.12), (0.25, 0.04), (0.25, 0.12), (0.1, 0.04), (0.1, 0.12)]
AT_S = [3.5, 4.0, 4.5, 5.0, 5.5, 6.0]  # where in the agent's speech the user starts

Audio = npt.NDArray[np.float32]


def _espeak(args: list[str], text: str, folder: Path, name: str) -> Audio:
    path = folder / f"{name}.wav"
    subprocess.run(["espeak-ng", *args, "-w", str(path), text], check=True)
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    t = np.arange(int(len(x) * RATE / rate)) * rate / RATE
    return np.interp(t, np.arange(len(x)), x).astype(np.float32)


def _words(x: Audio) -> str:
    from agentconsole.offline import moonshine

    t = np.arange(int(len(x) * 16000 / RATE)) * RATE / 16000
    text = moonshine.load_model().transcribe(np.interp(t, np.arange(len(x)), x).astype(np.float32))
    return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())


def _int16(x: Audio) -> npt.NDArray[np.int16]:
    return (np.clip(x, -1, 1) * 32767).astype(np.int16)


def scene(
    agent: Audio,
    user: Audio,
    gain: float,
    delay_s: float,
    at_s: float,
    buffer_s: float,
    *,
    forced_s: float | None = None,
    residual_db: float | None = None,
    linear: bool = False,
) -> tuple[str, float | None]:
    """One barge-in; returns what the STT heard and how long after the user the hold came."""
    n = int((at_s + len(user) / RATE + 1.0) * RATE)
    n -= n % FRAME
    start, lag = int(at_s * RATE), int(delay_s * RATE)
    near = np.zeros(n, np.float32)
    near[start : start + len(user)] = user
    played = np.zeros(n, np.float32)
    echo = np.zeros(n, np.float32)
    out = np.zeros(n, np.float32)
    canceller = EchoCanceller(RATE, linear=linear)
    canceller.set_delay(0.1)
    assert canceller.path is not None
    held: int | None = None
    stop_at = n
    for i in range(0, n, FRAME):
        if i < stop_at and i + FRAME <= len(agent):
            played[i : i + FRAME] = agent[i : i + FRAME]
        if i >= lag:
            echo[i : i + FRAME] = gain * played[i - lag : i - lag + FRAME]
        canceller.reverse(_int16(played[i : i + FRAME]))
        out[i : i + FRAME] = canceller.process(_int16(near[i : i + FRAME] + echo[i : i + FRAME]))
        if held is None and i >= start:
            fire = canceller.path.talking_over if forced_s is None else i >= start + forced_s * RATE
            if fire:
                held, stop_at = i, i + FRAME + int(buffer_s * RATE)
    out /= 32768
    if held is not None and residual_db is not None:
        # the overlap, from 0.3 s before the hold to the echo's end, from the oracle instead
        a, b = max(held - int(0.3 * RATE), 0), min(stop_at + lag + int(0.03 * RATE), n)
        linear = near + echo * 10 ** (-residual_db / 20)
        ramp = np.linspace(0.0, 1.0, FRAME, dtype=np.float32)
        mixed = out.copy()
        mixed[a:b] = linear[a:b]
        mixed[a : a + FRAME] = out[a : a + FRAME] * (1 - ramp) + linear[a : a + FRAME] * ramp
        mixed[b - FRAME : b] = linear[b - FRAME : b] * (1 - ramp) + out[b - FRAME : b] * ramp
        out = mixed
    seg = slice(start - RATE // 4, start + len(user) + RATE // 2)
    return _words(out[seg]), None if held is None else (held - start) / RATE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="detector,forced,linear,console")
    parser.add_argument("--buffer", type=float, default=0.05, help="speaker buffer, seconds")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        print("bench_talkover: needs the espeak-ng command (scripts/setup.sh --test)")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        agent = _espeak(["-v", "en-us", "-s", "160"], AGENT_TEXT, Path(tmp), "agent")
        user = USER_GAIN * _espeak(
            ["-v", "en-us+m3", "-p", "40", "-s", "160"], SENTENCE, Path(tmp), "user"
        )
    runs: list[tuple[str, dict[str, float | bool]]] = []
    only = args.only.split(",")
    if "detector" in only:
        runs.append(("detector", {}))
    if "forced" in only:
        runs += [(f"forced {t:.2f}s", {"forced_s": t}) for t in (0.03, 0.1, 0.2)]
    if "linear" in only:
        runs += [(f"oracle {r:g}dB", {"residual_db": r}) for r in (12.0, 20.0, 40.0)]
    if "console" in only:
        runs.append(("console", {"linear": True}))
    print(f"{'hold':<14} {'echo':>6} {'delay':>6}  right  hold after user (s)")
    for label, kw in runs:
        for gain, delay in CASES:
            results = [scene(agent, user, gain, delay, at, args.buffer, **kw) for at in AT_S]
            right = sum(text == SENTENCE for text, _ in results)
            held = " ".join("-" if h is None else f"{h:.2f}" for _, h in results)
            db = 20 * np.log10(gain)
            print(f"{label:<14} {db:>4.0f}dB {delay * 1000:>4.0f}ms  {right}/{len(AT_S)}    {held}")
            wrong = sorted({text for text, _ in results if text != SENTENCE})
            if wrong:
                print(f"{'':<30}heard: {'; '.join(wrong)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
