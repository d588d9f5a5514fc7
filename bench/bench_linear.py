"""The linear echo canceller on the audio rig's own echo: recorded, then replayed.

    scripts/audio-rig.sh; . "$AUDIO_RIG_DIR/env.sh"
    .venv/bin/python bench/bench_linear.py [--seconds 20 --only "-6 dB" --save DIR]
    .venv/bin/python bench/bench_linear.py --takes DIR    # replay kept recordings (no rig)

For each echo path (PulseAudio ``module-loopback`` from the rig's speaker to its mic at -6,
-12 and -20 dB, 40 and 120 ms), the agent's speech (espeak-ng, utterances of about 4 s with
1 s pauses between, so that the agent resumes several times while the delay drifts) is played
on the rig's speaker through sounddevice and the raw mic is recorded, 10 ms at a time, as the
engine's callbacks see them. Nobody talks: everything on the mic is echo.

Both streams are then replayed, 10 ms at a time and in step, through:

* ``console``: ``EchoCanceller(24000)`` as the console runs it (AEC3, the echo path and the
  linear canceller beside it);
* ``aec3``: ``EchoCanceller(24000, linear=False)``, AEC3 alone, as the console ran before the
  linear canceller (and as LiveKit's console runs): the baseline.

Per case and canceller it prints:

* ``linear``: the share of the echo's frames on which the linear canceller's output was in
  use, and how long after the echo of each utterance began it came into use (p50, max);
* ``erle``: the echo's level in the output under the mic's, over the frames on which the
  linear output was in use (for ``aec3``, over the same frames);
* ``vad``: real Silero VAD (the plugin's bundled model, 16 kHz) on the output, after the
  framework's 3 s AEC warm-up (which no interruption gets through): the seconds
  of echo it took for speech (probability 0.5 or more), the longest stretch of "speech" (from
  a window at 0.5 until the probability falls under 0.35, the plugin's defaults), and how many
  stretches reach 0.5 s, the framework's ``min_interruption_duration``: each of those would
  have the agent interrupt itself;
* ``cpu``: the canceller's time per 10 ms frame, as a share of a core.

Prints one line per case and canceller; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "audio"))
from rig_support import Loopback

from agentconsole.audio.aec import EchoCanceller
from agentconsole.audio.wavfile import to_pcm16_mono

RATE = 24000
FRAME = 240
CASES = [(-6.0, 40), (-6.0, 120), (-12.0, 40), (-12.0, 120), (-20.0, 40), (-20.0, 120)]
UTTERANCES = [
    "Here is the long weather report for the whole region, read slowly.",
    "Clouds in the morning, a little sun around noon, and a light wind from the west.",
    "Later in the evening there is a chance of rain along the coast.",
    "Tomorrow looks much the same, a little warmer in the afternoon.",
]
PAUSE_S = 1.0
VAD_ON, VAD_OFF = 0.5, 0.35  # the Silero plugin's activation and deactivation thresholds
INTERRUPT_S = 0.5  # the framework's min_interruption_duration
WARMUP_S = 3.0  # the framework's AEC warm-up (no interruptions in the agent's first 3 s)

Int16 = npt.NDArray[np.int16]


def agent_speech(seconds: float) -> npt.NDArray[np.float32]:
    """The agent's utterances at 24 kHz with pauses between, repeated to ``seconds``."""
    from agentconsole.offline.espeak import SAMPLE_RATE, engine

    pause = np.zeros(int(PAUSE_S * RATE), np.float32)
    parts: list[npt.NDArray[np.float32]] = []
    for text in UTTERANCES:
        pcm = np.frombuffer(engine().synthesize_pcm(text), np.int16).astype(np.float32) / 32768
        at_rate = np.frombuffer(to_pcm16_mono(pcm, SAMPLE_RATE, RATE), np.int16)
        parts += [at_rate.astype(np.float32) / 32768, pause]
    one = np.concatenate(parts)
    reps = int(np.ceil(seconds * RATE / one.size))
    return np.tile(one, reps)[: int(seconds * RATE)]


@dataclass
class Take:
    """A recording: every callback's block, stamped when the callback ran, in order."""

    events: list[tuple[float, bool, Int16]]  # (time, played?, the callback's block)
    underruns: int = 0  # of the speaker while recording (each one moves the echo's delay)

    @cached_property
    def frames(self) -> list[tuple[bool, Int16]]:
        """The blocks cut into 10 ms frames as the engine cuts them (what the speaker takes
        is sliced with the remainder carried over; the mic's 20 ms blocks in two)."""
        out: list[tuple[bool, Int16]] = []
        residue = np.zeros(0, np.int16)
        for _, played, block in self.events:
            if played:
                block = np.concatenate([residue, block])
            n = block.size - block.size % FRAME
            out += [(played, block[i : i + FRAME]) for i in range(0, n, FRAME)]
            if played:
                residue = block[n:]
        return out

    def save(self, path: Path) -> None:
        """Keep the take (``--save``), to replay it later through other code (``--takes``)."""
        np.savez_compressed(
            path,
            times=np.array([t for t, _, _ in self.events]),
            played=np.array([p for _, p, _ in self.events]),
            sizes=np.array([b.size for _, _, b in self.events]),
            underruns=np.array(self.underruns),
            pcm=np.concatenate([b for _, _, b in self.events]),
        )

    @classmethod
    def load(cls, path: Path) -> Take:
        d = np.load(path)
        blocks = np.split(d["pcm"], np.cumsum(d["sizes"])[:-1])
        events = list(zip(d["times"].tolist(), d["played"].tolist(), blocks, strict=True))
        return cls(events, int(d["underruns"]) if "underruns" in d else -1)

    def mic(self) -> Int16:
        return np.concatenate([f for played, f in self.frames if not played])

    def played_beside_mic(self) -> Int16:
        """For each mic frame, the frame handed to the speaker last before it (what the
        engine's canceller had just been given): the played signal in the mic's steps."""
        out: list[Int16] = []
        last = np.zeros(FRAME, np.int16)
        for played, frame in self.frames:
            if played:
                last = frame
            else:
                out.append(last)
        return np.concatenate(out)


def record(level_db: float, latency_ms: int, x: npt.NDArray[np.float32]) -> Take:
    """Play ``x`` on the rig's speaker through an echo path and record the raw mic, with the
    engine's stream settings (docs/audio.md: the speaker's block size left to the host, 20 ms
    mic blocks, 50 ms latency), each callback's block stamped."""
    import sounddevice as sd

    events: list[tuple[float, bool, Int16]] = []
    pos = underruns = 0
    pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16)

    def out_cb(outdata: Int16, frames: int, _t: object, status: Any) -> None:
        nonlocal pos, underruns
        underruns += bool(status.output_underflow)
        block = np.zeros(frames, np.int16)
        chunk = pcm[pos : pos + frames]
        block[: chunk.size] = chunk
        pos += frames
        outdata[:, 0] = block
        events.append((time.monotonic(), True, block))

    def in_cb(indata: Int16, _frames: int, _t: object, _s: object) -> None:
        events.append((time.monotonic(), False, indata[:, 0].copy()))

    loop = Loopback(latency_ms, level_db)
    try:
        time.sleep(1.0)  # the loopback settles
        opts = {"samplerate": RATE, "channels": 1, "dtype": "int16", "latency": 0.05}
        with (
            sd.InputStream(callback=in_cb, blocksize=2 * FRAME, **opts),  # type: ignore[arg-type]
            sd.OutputStream(callback=out_cb, blocksize=0, **opts),  # type: ignore[arg-type]
        ):
            time.sleep(x.size / RATE + 0.5)
    finally:
        loop.close()
    return Take(sorted(events, key=lambda e: e[0]), underruns)


@dataclass
class Replay:
    out: Int16
    linear: npt.NDArray[np.bool_]  # per mic frame: the linear canceller's output in use
    cpu: float  # share of a core


def replay(take: Take, linear: bool) -> Replay:
    """The take through the console's canceller, the frames in the order the callbacks ran
    (the output callback feeds what it plays, the input callback processes the mic)."""
    ec = EchoCanceller(RATE, linear=linear)
    out: list[Int16] = []
    used: list[bool] = []
    spent = 0.0
    for played, frame in take.frames:
        t0 = time.perf_counter()
        if played:
            ec.reverse(frame)
        else:
            out.append(ec.process(frame))
        spent += time.perf_counter() - t0
        if not played:
            used.append(ec.linear_in_use)
    return Replay(np.concatenate(out), np.array(used), spent / (len(used) * FRAME / RATE))


class Vad:
    """Silero VAD (the plugin's bundled model) over a whole signal."""

    def __init__(self) -> None:
        from livekit.plugins.silero import onnx_model

        self._session = onnx_model.new_inference_session(force_cpu=True)
        self._onnx = onnx_model

    def probabilities(self, pcm: Int16) -> tuple[npt.NDArray[np.float32], float]:
        """Speech probability per window, and the window's length (s)."""
        model = self._onnx.OnnxModel(onnx_session=self._session, sample_rate=16000)
        at16 = np.frombuffer(to_pcm16_mono(pcm.astype(np.float32) / 32768, RATE, 16000), np.int16)
        x = at16.astype(np.float32) / 32768
        w = model.window_size_samples
        probs = [model(x[i : i + w]) for i in range(0, x.size - w + 1, w)]
        return np.array(probs, np.float32), w / 16000


def speech_stretches(probs: npt.NDArray[np.float32], step: float) -> list[float]:
    """Lengths (s) of what the VAD takes for speech: from a window at VAD_ON until one under
    VAD_OFF."""
    out: list[float] = []
    run = 0
    for p in probs:
        if run or p >= VAD_ON:
            if p < VAD_OFF:
                out.append(run * step)
                run = 0
            else:
                run += 1
    if run:
        out.append(run * step)
    return out


def utterance_starts(played: Int16) -> list[int]:
    """Frames at which the agent starts speaking again after a pause."""
    loud = np.array(
        [
            np.mean(np.square(played[k * FRAME : (k + 1) * FRAME].astype(np.float64))) > 1e3
            for k in range(played.size // FRAME)
        ]
    )
    starts, quiet = [], 999
    for k, on in enumerate(loud):
        if on and quiet * FRAME >= 0.5 * RATE:
            starts.append(k)
        quiet = 0 if on else quiet + 1
    return starts


def lag_samples(played: Int16, mic: Int16) -> int:
    """The echo's delay in the recording (samples), by cross-correlation of the whole take."""
    n = 1 << int(np.ceil(np.log2(2 * mic.size)))
    a, b = mic.astype(np.float64), played.astype(np.float64)
    c = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)
    return int(np.argmax(np.abs(c[:RATE])))


def db(x: npt.NDArray[np.int16] | npt.NDArray[np.float64]) -> float:
    return 10 * float(np.log10(np.mean(np.square(x.astype(np.float64))) + 1e-9))


def report(name: str, take: Take, r: Replay, ref: Replay, vad: Vad) -> str:
    """One line for canceller ``r``; ``ref`` is the console's run (the frames on which its
    linear output was in use are where ERLE is compared)."""
    mic, played = take.mic(), take.played_beside_mic()
    lag = lag_samples(played, mic)
    frames = mic.size // FRAME
    echo = np.array([db(mic[k * FRAME : (k + 1) * FRAME]) > 20 for k in range(frames)])
    waits = []
    for k in utterance_starts(played):
        first = k + lag // FRAME
        later = np.flatnonzero(r.linear[first : first + int(3 * RATE / FRAME)])
        if later.size and echo[first : first + 50].any():
            waits.append(later[0] * FRAME / RATE)
    on = np.repeat(ref.linear & echo, FRAME)[: mic.size]
    erle = db(mic[on]) - db(r.out[on]) if on.any() else float("nan")
    probs, step = vad.probabilities(r.out)
    # the framework's AEC warm-up: the agent cannot be interrupted in its first 3 s of speech
    starts = utterance_starts(played)
    if starts:
        probs = probs[int((starts[0] * FRAME / RATE + WARMUP_S) / step) :]
    stretches = speech_stretches(probs, step)
    share = (r.linear & echo).sum() / max(echo.sum(), 1)
    wait = (
        f"in use after {statistics.median(waits):.2f}/{max(waits):.2f} s"
        if waits
        else "never in use"
    )
    return (
        f"{name:<28} linear {share:4.0%} {wait:<24} erle {erle:5.1f} dB  "
        f"vad {float((probs >= VAD_ON).sum()) * step:5.2f} s longest "
        f"{max(stretches, default=0.0):4.2f} s would-interrupt "
        f"{sum(s >= INTERRUPT_S for s in stretches)}  cpu {r.cpu:5.1%}  "
        f"(lag {lag / RATE * 1e3:.0f} ms, underruns {take.underruns})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="agent speech per case")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--save", type=Path, help="keep each case's recording in this folder")
    parser.add_argument(
        "--takes", type=Path, help="replay the recordings kept by --save here instead of recording"
    )
    args = parser.parse_args()
    if args.takes is None and not os.environ.get("PULSE_SERVER"):
        raise SystemExit("start the rig first: scripts/audio-rig.sh, then . $AUDIO_RIG_DIR/env.sh")
    x = agent_speech(args.seconds)
    vad = Vad()
    for level, latency in CASES:
        case = f"echo {level:g} dB {latency} ms"
        if args.only not in case:
            continue
        name = f"take_{-level:g}dB_{latency}ms.npz"
        if args.takes is not None:
            take = Take.load(args.takes / name)
        else:
            take = record(level, latency, x)
            if args.save is not None:
                args.save.mkdir(parents=True, exist_ok=True)
                take.save(args.save / name)
        console = replay(take, linear=True)
        aec3 = replay(take, linear=False)
        print(report(f"{case} console", take, console, console, vad), flush=True)
        print(report(f"{case} aec3", take, aec3, console, vad), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
