"""Barge-in with echo cancellation: agentconsole vs LiveKit's console, with and without echo.

    scripts/audio-rig.sh; . "$AUDIO_RIG_DIR/env.sh"
    .venv/bin/python bench/bench_bargein.py [--rounds 10] [--only TEXT] [--consoles ours,livekit]

Method: the agent (bench/_bargein_agent.py, the same file under both consoles) says a 9 s text
once per round. 4.5 s after its audio starts on the virtual speaker (past livekit-agents' 3 s
AEC warm-up), "turn on the kitchen lights" (espeak-ng) is played into the virtual mic. The
agent logs its user transcripts and committed messages with ``time.monotonic()`` stamps.
Echo cases load PulseAudio's ``module-loopback`` from the speaker monitor into the mic at a
level (sink-input volume in dB) and latency. Per case, one line:

* ``barge-in``: rounds whose first user transcript after the barge-in is exactly the sentence
  (case and punctuation aside); ``interrupted``: rounds in which the agent's speech was cut;
* ``self-int``: agent messages cut while the user was silent, plus user transcripts outside
  every barge-in window (the agent heard itself); ``turns``: agent messages committed (the
  long text and the reply to each barge-in, each with the echo path on);
* ``echo``/``erle``: agentconsole's own ``echo_db`` / ``erle_db`` readings (median);
  ``holds``: times agentconsole held the agent's audio because someone talked over its echo,
  ``false``: those that began outside every barge-in (the agent paused on its own echo).
  With ``--verbose``, also each barge-in's transcript, when it was held, and whose output
  the mic handed on when the user started (``canceller``: ``linear`` or ``aec3``).

The user's speech is played ``--level`` dB (default -3) re espeak-ng's own level, as the
tests play it: at espeak-ng's level WebRTC's noise suppression alone makes the offline STT
read "vacation" for "the kitchen" on some cuts (docs/audio.md). LiveKit's console runs in tmux
(it needs a terminal); ours runs headless. Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "audio"))
from bench_vs_livekit import Recorder
from rig_support import Loopback

ROOT = Path(__file__).resolve().parents[1]
AGENT = ROOT / "bench" / "_bargein_agent.py"
SENTENCE = "turn on the kitchen lights"
BARGE_AT = 4.5  # seconds into the agent's audio
RECORD = os.environ.get("BARGEIN_RECORD", "")  # debugging: agentconsole records its audio here


@dataclass
class Case:
    console: str  # "ours" or "livekit"
    aec: bool
    level_db: float | None  # echo path level; None: no echo path
    latency_ms: int = 0

    @property
    def name(self) -> str:
        echo = (
            "no echo"
            if self.level_db is None
            else f"echo {self.level_db:g} dB {self.latency_ms} ms"
        )
        who = "agentconsole" if self.console == "ours" else "livekit console"
        return f"{who:<15} aec {'on ' if self.aec else 'off'} {echo}"


def cases() -> list[Case]:
    out = [Case("ours", True, None), Case("ours", False, None), Case("livekit", True, None)]
    for level in (-6.0, -12.0, -20.0):
        for latency in (40, 120):
            out += [Case("ours", True, level, latency), Case("livekit", True, level, latency)]
    return out


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())


def pad_wav(src: Path, dst: Path, level_db: float = 0.0) -> None:
    """Copy a WAV with 0.3 s of silence at both ends (PulseAudio trims a stream's edges),
    its samples scaled by ``level_db``."""
    import wave

    import numpy as np

    with wave.open(str(src), "rb") as r:
        params, frames = r.getparams(), r.readframes(r.getnframes())
    if level_db:
        pcm = np.frombuffer(frames, "<i2").astype(np.float32) * 10 ** (level_db / 20)
        frames = np.clip(pcm, -32768, 32767).astype("<i2").tobytes()
    pad = b"\x00" * (params.sampwidth * params.nchannels * int(0.3 * params.framerate))
    with wave.open(str(dst), "wb") as w:
        w.setparams(params)
        w.writeframes(pad + frames + pad)


def read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run_case(case: Case, rounds: int, wav: Path, rec: Recorder) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp())
    log = work / "events.jsonl"
    env = {**os.environ, "BARGEIN_LOG": str(log), "BARGEIN_ROUNDS": str(rounds)}
    loop = Loopback(case.latency_ms, case.level_db) if case.level_db is not None else None
    proc: subprocess.Popen[str] | None = None
    tmux = ["tmux", "-S", str(work / "tmux.sock")]
    audio: list[dict[str, Any]] = []
    plays: list[tuple[float, float]] = []
    try:
        if case.console == "ours":
            args = [
                sys.executable,
                "-m",
                "agentconsole",
                str(AGENT),
                "--headless",
                "--no-watch",
                "--input-device",
                "vmic",
                "--output-device",
                "vspeaker",
            ]
            if not case.aec:
                args.append("--no-aec")
            if RECORD:
                args += ["--record", RECORD]
            proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=env,
                cwd=ROOT,
            )

            def drain() -> None:
                assert proc is not None and proc.stdout is not None
                for line in proc.stdout:
                    ev = json.loads(line)
                    if ev.get("type") == "audio":
                        ev["received"] = time.monotonic()  # to place holds against barge-ins
                        audio.append(ev)

            import threading

            threading.Thread(target=drain, daemon=True).start()
        else:
            subprocess.run(
                [*tmux, "-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "120", "-y", "40"],
                check=True,
                env=env,
            )
            time.sleep(0.3)
            cmd = (
                f"cd {ROOT} && BARGEIN_LOG={log} BARGEIN_ROUNDS={rounds} "
                f"exec {sys.executable} {AGENT} console"
            )
            subprocess.run([*tmux, "send-keys", "-t", "b", "-l", cmd])
            subprocess.run([*tmux, "send-keys", "-t", "b", "Enter"])
        deadline = time.monotonic() + 120 + 40 * rounds
        seen = 0
        while time.monotonic() < deadline:
            evs = read_log(log)
            new = [e for e in evs[seen:] if e["ev"] in ("round", "done")]
            seen = len(evs) if new else seen
            if any(e["ev"] == "done" for e in new):
                break
            rounds_new = [e for e in new if e["ev"] == "round"]
            if not rounds_new:
                time.sleep(0.1)
                continue
            t_round = rounds_new[-1]["t"]
            start = None
            while time.monotonic() < t_round + 20:
                loud = rec.loud("speaker", t_round)
                if loud:
                    start = loud[0]
                    break
                time.sleep(0.02)
            if start is None:
                continue
            time.sleep(max(0.0, start + BARGE_AT - time.monotonic()))
            t0 = time.monotonic()
            subprocess.run(["paplay", "--device=vmic_feed", str(wav)], check=True)
            plays.append((t0, time.monotonic()))
        time.sleep(1.0)
    finally:
        if proc is not None:
            try:
                assert proc.stdin is not None
                proc.stdin.write('{"cmd": "quit"}\n')
                proc.stdin.flush()
                proc.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait(5)
        else:
            subprocess.run([*tmux, "send-keys", "-t", "b", "C-c"], capture_output=True)
            time.sleep(3)
            subprocess.run([*tmux, "kill-server"], capture_output=True)
        if loop is not None:
            loop.close()
    evs = read_log(log)
    shutil.rmtree(work, ignore_errors=True)
    return score(evs, plays, audio)


def score(
    evs: list[dict[str, Any]], plays: list[tuple[float, float]], audio: list[dict[str, Any]]
) -> dict[str, Any]:
    """Score one case from the agent's log, the barge-in times and our audio events."""
    # a barge-in's transcript is the first one after it started and before the next one (on a
    # loaded machine the STT can take seconds); the agent waits for it before the next round
    starts = [a for a, _ in plays]
    windows = list(zip(starts, [*starts[1:], float("inf")], strict=True))
    finals = [e for e in evs if e["ev"] == "final"]
    agents = [e for e in evs if e["ev"] == "agent"]
    used: set[int] = set()
    correct = interrupted = 0
    heard: list[str] = []
    for a, b in windows:
        first = next((e for e in finals if a <= e["t"] <= b), None)
        heard.append(first["text"] if first else "")
        if first is not None:
            used.add(id(first))
            correct += _norm(first["text"]) == SENTENCE
        cut = next((e for e in agents if e["interrupted"] and a <= e["t"] <= b), None)
        if cut is not None:
            used.add(id(cut))
            interrupted += 1
    # anything else the agent "heard", and any cut no barge-in caused: it heard itself
    stray = [e["text"] for e in finals if id(e) not in used]
    self_int = len(stray) + sum(1 for e in agents if e["interrupted"] and id(e) not in used)
    echo = [e["echo_db"] for e in audio if e.get("echo_db") is not None]
    erle = [e["erle_db"] for e in audio if e.get("erle_db") is not None]
    held = [bool(e.get("held")) for e in audio]
    began = [
        e["received"]
        for e, was, now in zip(audio, [False, *held], held, strict=False)
        if now and not was
    ]
    # a hold while nobody spoke: the agent paused on its own echo (heard as a gap)
    false_holds = sum(1 for t in began if not any(a <= t <= b + 0.5 for a, b in plays))
    # when each barge-in was held, from the start of its playback (the WAV leads with 0.3 s)
    hold_after = [
        next((round(t - a, 2) for t in began if a <= t <= b + 0.5), None) for a, b in plays
    ]
    # whose output the mic handed on when each barge-in's speech began (the WAV's 0.3 s lead)
    canceller = [
        next(
            (e.get("canceller") or "-" for e in reversed(audio) if e["received"] <= a + 0.3),
            "-",
        )
        for a, _ in plays
    ]
    return {
        "canceller": canceller,
        "hold_after": hold_after,
        "holds": len(began),
        "false_holds": false_holds,
        "barge": correct,
        "n": len(windows),
        "interrupted": interrupted,
        "self_int": self_int,
        "turns": len(agents),
        "stray": stray,
        "heard": heard,
        "echo": statistics.median(echo) if echo else None,
        "erle": statistics.median(erle) if erle else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--consoles", default="ours,livekit")
    parser.add_argument("--verbose", action="store_true", help="print every barge-in transcript")
    parser.add_argument(
        "--level",
        type=float,
        default=-3.0,
        help="the user's speech, dB re espeak-ng's own level (peaks at -3.6 dBFS); -3 dB is "
        "the tests' level (MIC_GAIN), below the noise-suppression artefact of docs/audio.md",
    )
    args = parser.parse_args()
    if not os.environ.get("PULSE_SERVER"):
        raise SystemExit("start the rig first: scripts/audio-rig.sh, then . $AUDIO_RIG_DIR/env.sh")
    work = Path(tempfile.mkdtemp())
    raw, wav = work / "raw.wav", work / "kitchen.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(raw), SENTENCE], check=True)
    pad_wav(raw, wav, args.level)
    rec = Recorder()
    wanted = set(args.consoles.split(","))
    try:
        for case in cases():
            if case.console not in wanted or args.only not in case.name:
                continue
            r = run_case(case, args.rounds, wav, rec)
            echo = "-" if r["echo"] is None else f"{r['echo']:.1f}"
            erle = "-" if r["erle"] is None else f"{r['erle']:.1f}"
            print(
                f"{case.name:<44} barge-in {r['barge']:>2}/{r['n']:<2} interrupted "
                f"{r['interrupted']:>2}/{r['n']:<2} self-int {r['self_int']:>2} turns "
                f"{r['turns']:>2} echo_db {echo:>6} erle_db {erle:>5} holds {r['holds']:>2} "
                f"(false {r['false_holds']})",
                flush=True,
            )
            if args.verbose:
                print(f"    heard: {r['heard']}\n    stray: {r['stray']}", flush=True)
                if case.console == "ours":
                    print(f"    held after: {r['hold_after']}", flush=True)
                    print(f"    canceller: {r['canceller']}", flush=True)
    finally:
        rec.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
