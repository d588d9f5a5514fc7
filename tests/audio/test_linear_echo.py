"""The linear echo canceller (``LinearEcho``) on real speech through synthetic echo paths.

No devices: the echo is built here from what was played, through a delay that drifts as two
sound cards' clocks (and PulseAudio's loopback) make it drift, read at fractional positions
with a long windowed sinc, so the echo is known exactly. The canceller must follow it, let a
user talking over it through untouched, notice a jump, and refuse a room's echo (which it
cannot model, and AEC3 then keeps).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from agentconsole.audio.aec import EchoCanceller
from agentconsole.audio.linear import LOCK_DB, LinearEcho

sys.path.insert(0, str(Path(__file__).parent))
from test_audio_echo import AGENT_TEXT, FRAME, RATE, _load

sys.path.insert(0, str(Path(__file__).parents[1] / "job"))
from conftest_speech import speak

Signal = npt.NDArray[np.float32]


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Signal:
    d = tmp_path_factory.mktemp("linear")
    x = _load(speak(AGENT_TEXT, d / "agent.wav"))
    return np.concatenate([x, x])  # about 20 s


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory) -> Signal:
    d = tmp_path_factory.mktemp("linear_user")
    return _load(speak("turn on the kitchen lights", d / "user.wav", gain=0.5))


def _read_at(x: Signal, pos: npt.NDArray[np.float64], taps: int = 64) -> Signal:
    """``x`` read at fractional positions (a Hann-windowed sinc, far finer than the
    canceller's own)."""
    i = np.floor(pos).astype(np.int64)
    f = pos - i
    k = np.arange(-taps // 2 + 1, taps // 2 + 1)
    out = np.zeros(pos.size, np.float64)
    padded = np.concatenate([np.zeros(taps), x, np.zeros(taps)]).astype(np.float64)
    for a in range(0, pos.size, 4096):
        b = min(a + 4096, pos.size)
        u = f[a:b, None] - k[None, :]
        w = np.sinc(u) * (0.5 + 0.5 * np.cos(np.pi * u / (taps / 2)))
        idx = np.clip(i[a:b, None] + k[None, :] + taps, 0, padded.size - 1)
        out[a:b] = np.sum(padded[idx] * w, axis=1)
    return out.astype(np.float32)


def _echo(played: Signal, delay_samples: npt.NDArray[np.float64], gain: float) -> Signal:
    n = np.arange(played.size, dtype=np.float64)
    return gain * _read_at(played, n - delay_samples)


def _drifting_delay(n: int, wobble: float = 0.6, drift_per_s: float = 2.0) -> np.ndarray:
    """A delay (samples) that creeps, as two clocks drift apart (the audio rig's loopback
    drifts 1-2 samples a second), with a wobble of ``wobble`` samples (a loopback adapting
    its rate)."""
    t = np.arange(n) / RATE
    return 0.062 * RATE + drift_per_s * t + wobble * np.sin(2 * np.pi * t / 7.0)


def _drive(
    le: LinearEcho,
    played: Signal,
    mic: Signal,
    coarse_s: float | npt.NDArray[np.float64],
    talking: npt.NDArray[np.bool_] | None = None,
) -> tuple[Signal, npt.NDArray[np.bool_]]:
    """Feed both streams 10 ms at a time, as the engine's callbacks do; return the output
    (the raw mic where there was none) and whether it was locked, per sample. ``coarse_s``
    is the echo path's delay, or what it says at each sample."""
    r = (np.clip(played, -1, 1) * 32767).astype(np.int16)
    m = (np.clip(mic, -1, 1) * 32767).astype(np.int16)
    out = mic.copy()
    locked = np.zeros(mic.size, bool)
    for i in range(0, mic.size - FRAME + 1, FRAME):
        le.render(r[i : i + FRAME])
        talk = bool(talking[i]) if talking is not None else False
        coarse = coarse_s if isinstance(coarse_s, float) else float(coarse_s[i])
        y = le.capture(m[i : i + FRAME], coarse, talk)
        if y is not None:
            out[i : i + FRAME] = y / 32768
        locked[i : i + FRAME] = le.locked
    return out, locked


def _db(x: np.ndarray) -> float:
    return 10 * math.log10(float(np.mean(np.square(x.astype(np.float64)))) + 1e-20)


def test_follows_a_drifting_delay(agent: Signal) -> None:
    """Locked within a second of the agent starting; while locked, the echo is more than
    30 dB down, through a delay that moves 40 samples over the 20 s."""
    delay = _drifting_delay(agent.size)
    mic = _echo(agent, delay, 0.5)
    le = LinearEcho(RATE)
    out, locked = _drive(le, agent, mic, coarse_s=0.07)
    first = int(np.argmax(locked))
    starts = int(np.argmax(np.abs(agent) > 1e-3))  # the agent's first sound
    assert locked.any() and first - starts < 1.0 * RATE, (first - starts) / RATE
    # each time the agent speaks again after a pause, the output waits for three fresh
    # windows at LOCK_DB (about 0.3 s); the rest of the time it is in use
    assert locked[first:].mean() > 0.9
    on = locked & (np.abs(mic) > 0)
    assert _db(mic[on]) - _db(out[on]) > 30
    assert le.erle_db is not None and le.erle_db > LOCK_DB


def test_each_lock_is_earned_by_the_windows_just_before_it(agent: Signal) -> None:
    """Every time the output comes into use (the first lock, and again each time the agent
    speaks after a pause), the three 150 ms windows measured just before were each cancelled
    by about LOCK_DB or more: a figure from before a pause does not vouch for a new
    prediction (when it did, the output came into use on windows at 24-29 dB)."""
    delay = _drifting_delay(agent.size)
    mic = _echo(agent, delay, 0.5)
    out, locked = _drive(LinearEcho(RATE), agent, mic, coarse_s=0.07)
    win, step = int(0.15 * RATE), 4 * FRAME
    starts = [i for i in range(FRAME, mic.size, FRAME) if locked[i] and not locked[i - FRAME]]
    assert len(starts) >= 2  # the first lock and at least one after a pause
    for i in starts:
        end = i + FRAME  # the frame whose measurement locked
        for k in range(3):
            seg = slice(end - k * step - win, end - k * step)
            erle = _db(mic[seg]) - _db(out[seg])
            # (a little under LOCK_DB: the output here is rounded to 16 bits)
            assert erle > LOCK_DB - 2, (end / RATE, k, erle)


def test_a_user_talking_over_the_echo_comes_through_untouched(agent: Signal, user: Signal) -> None:
    """Double talk: the output over the user's sentence is the user, the echo more than 25 dB
    under them, and the canceller stays locked through it (it must not adapt to them). The
    delay is extrapolated through the sentence, so the drift here is steady."""
    delay = _drifting_delay(agent.size, wobble=0.0)
    mic = _echo(agent, delay, 0.5)
    at = int(6.0 * RATE)
    near = np.zeros_like(mic)
    near[at : at + user.size] = user
    le = LinearEcho(RATE)
    # the talk-over test notices the user about 0.15 s in (as the echo path's does)
    talking = np.zeros(mic.size, bool)
    talking[at + int(0.15 * RATE) : at + user.size + int(0.3 * RATE)] = True
    out, locked = _drive(le, agent, mic + near, coarse_s=0.07, talking=talking)
    seg = slice(at, at + user.size)
    assert locked[seg].all()
    residual = out[seg] - near[seg]
    assert _db(near[seg]) - _db(residual) > 25
    # and with nobody noticing the user at all, the prediction is still kept through them
    le = LinearEcho(RATE)
    out, locked = _drive(le, agent, mic + near, coarse_s=0.07)
    assert locked[seg].all()
    assert _db(near[seg]) - _db(out[seg] - near[seg]) > 25


def test_a_jump_in_the_delay_is_noticed_and_followed(agent: Signal) -> None:
    """The streams' buffering changes (an xrun) and the echo comes 5 ms later, while the
    agent talks: the output is dropped within 0.3 s (until then the prediction is off and
    the echo passes, docs/audio.md) and used again, cancelling, within a second."""
    n = agent.size
    delay = np.full(n, 0.062 * RATE)
    jump = int(6.0 * RATE)
    delay[jump:] += 0.005 * RATE
    mic = _echo(agent, delay, 0.5)
    le = LinearEcho(RATE)
    out, locked = _drive(le, agent, mic, coarse_s=0.07)
    assert locked[jump - RATE // 2 : jump].all()
    off = jump + int(np.argmin(locked[jump:]))
    assert off - jump < 0.3 * RATE, (off - jump) / RATE
    back = off + int(np.argmax(locked[off:]))
    assert back - jump < 1.0 * RATE, (back - jump) / RATE
    on = locked[back:] & (np.abs(mic[back:]) > 0)
    assert _db(mic[back:][on]) - _db(out[back:][on]) > 30


def test_a_jump_beyond_the_search_drops_the_output_at_once(agent: Signal) -> None:
    """An underrun: the echo suddenly comes 150 ms later, far beyond where the delay is
    searched for. The prediction then matches nothing, and subtracting it would add a second,
    misaligned echo (the output louder than the mic, for as long as it lasted). The output
    is dropped within 50 ms, and the canceller locks again once the echo path's coarse delay
    has caught up (half a second later here, as the echo path's does)."""
    n = agent.size
    delay = np.full(n, 0.062 * RATE)
    jump = int(6.0 * RATE)
    delay[jump:] += 0.150 * RATE
    mic = _echo(agent, delay, 0.5)
    coarse = np.full(n, 0.07)
    coarse[jump + RATE // 2 :] += 0.150
    out, locked = _drive(LinearEcho(RATE), agent, mic, coarse_s=coarse)
    assert locked[jump - RATE // 2 : jump].all()
    off = jump + int(np.argmin(locked[jump:]))
    assert off - jump < 0.05 * RATE, (off - jump) / RATE
    louder = [
        i
        for i in range(jump, n - FRAME, FRAME)
        if locked[i] and _db(out[i : i + FRAME]) > _db(mic[i : i + FRAME]) + 1
    ]
    assert len(louder) <= 4, [i / RATE for i in louder]
    back = off + int(np.argmax(locked[off:]))
    assert locked[off:].any() and back - jump < 1.5 * RATE, (back - jump) / RATE
    on = locked[back:] & (np.abs(mic[back:]) > 0)
    assert _db(mic[back:][on]) - _db(out[back:][on]) > 30


def test_it_finds_the_echo_while_the_talk_over_test_is_wrong(agent: Signal) -> None:
    """After a jump the echo path's talk-over test, which predicts the echo at the old delay,
    takes the echo for someone talking. Windows that match the played signal almost
    perfectly are the echo alone whatever it says: the canceller locks on them."""
    mic = _echo(agent, _drifting_delay(agent.size), 0.5)
    talking = np.ones(mic.size, bool)
    out, locked = _drive(LinearEcho(RATE), agent, mic, coarse_s=0.07, talking=talking)
    first = int(np.argmax(locked))
    assert locked.any() and first < 1.5 * RATE, first / RATE
    on = locked & (np.abs(mic) > 0)
    assert _db(mic[on]) - _db(out[on]) > 30


def test_what_is_left_of_the_echo_is_not_speech_to_a_vad(agent: Signal) -> None:
    """With nothing but the echo on the mic (a virtual device, a quiet room), what the linear
    prediction leaves is speech-shaped, 40 dB down; Silero's VAD, which does not care how
    quiet speech is, took it for speech and the agent interrupted itself. Frames that hold
    only that are let through 40 dB quieter still: Silero finds no speech in the output
    while the canceller is in use."""
    from livekit.plugins.silero import onnx_model

    mic = _echo(agent, _drifting_delay(agent.size), 0.5)
    out, locked = _drive(LinearEcho(RATE), agent, mic, coarse_s=0.07)
    first = int(np.argmax(locked))
    model = onnx_model.OnnxModel(
        onnx_session=onnx_model.new_inference_session(force_cpu=True), sample_rate=16000
    )
    w = model.window_size_samples

    def speech(x: Signal) -> list[float]:
        """Silero's probability per window of ``x``, taken to 16 kHz."""
        model.reset()
        at16 = np.interp(np.arange(0, x.size, 1.5), np.arange(x.size), x).astype(np.float32)
        return [model(at16[i : i + w]) for i in range(0, at16.size - w + 1, w)]

    in_use = [
        p
        for k, p in enumerate(speech(out))
        if locked[int(k * w * 1.5) : int((k + 1) * w * 1.5)].all() and k * w * 1.5 > first
    ]
    assert len(in_use) > 200
    assert max(in_use) < 0.5, max(in_use)
    # the mic itself is speech to it (the VAD would find it if it were there)
    assert max(speech(mic)) > 0.9


def test_after_a_pause_the_output_waits_for_a_new_lock(agent: Signal) -> None:
    """The agent pauses for 1.5 s while the delay keeps drifting: when it speaks again, the
    line through the old measurements would be off, so the output is not used until the
    canceller has locked again (within 0.6 s), and no echo passes while it is."""
    pause, resume = int(6.0 * RATE), int(7.5 * RATE)
    played = agent.copy()
    played[pause:resume] = 0.0
    delay = _drifting_delay(played.size, wobble=0.6, drift_per_s=3.0)
    mic = _echo(played, delay, 0.5)
    le = LinearEcho(RATE)
    out, locked = _drive(le, played, mic, coarse_s=0.07)
    assert locked[pause - RATE // 2 : pause].all()
    # the echo starts again about 62 ms after the agent does; the output waits
    echo_back = resume + int(0.062 * RATE)
    assert not locked[echo_back : echo_back + FRAME].any()
    back = echo_back + int(np.argmax(locked[echo_back:]))
    assert back - echo_back < 0.6 * RATE, (back - echo_back) / RATE
    for i in range(back, back + int(0.3 * RATE), FRAME):
        seg = slice(i, i + FRAME)
        if locked[seg].all() and _db(mic[seg]) > -60:
            # 25 dB down, or (on a quiet, hissing sound, where the short filter is weakest)
            # left under -55 dBFS, a quiet room's noise on a laptop's mic
            assert _db(mic[seg]) - _db(out[seg]) > 25 or _db(out[seg]) < -55, i / RATE
    on = locked[back:] & (np.abs(mic[back:]) > 0)
    assert _db(mic[back:][on]) - _db(out[back:][on]) > 30


def test_a_rooms_echo_is_left_to_aec3(agent: Signal) -> None:
    """A room: the echo rings on for a quarter of a second in many reflections. No short
    filter predicts that to 30 dB, so the linear output is never used."""
    rng = np.random.default_rng(7)
    t = np.arange(int(0.25 * RATE)) / RATE
    rir = rng.standard_normal(t.size) * np.exp(-t / 0.06)
    rir[0] += 4.0  # the direct sound
    rir *= 0.5 / np.sqrt(np.sum(rir**2))
    d = int(0.062 * RATE)
    mic = np.zeros_like(agent)
    mic[d:] = np.convolve(agent, rir)[: agent.size - d].astype(np.float32)
    le = LinearEcho(RATE)
    _, locked = _drive(le, agent, mic, coarse_s=0.07)
    assert not locked.any()


def test_the_canceller_hands_on_the_linear_output_and_says_so(agent: Signal) -> None:
    """Through ``EchoCanceller`` (AEC3 alongside): the linear output is used once locked,
    reported as such, and its ERLE is the one reported."""
    delay = _drifting_delay(agent.size)
    mic = _echo(agent, delay, 0.5)
    canceller = EchoCanceller(RATE)
    canceller.set_delay(0.07)
    r = (np.clip(agent, -1, 1) * 32767).astype(np.int16)
    m = (np.clip(mic, -1, 1) * 32767).astype(np.int16)
    used = []
    for i in range(0, int(8 * RATE), FRAME):
        canceller.reverse(r[i : i + FRAME])
        canceller.process(m[i : i + FRAME])
        used.append(canceller.linear_in_use)
    assert canceller.path is not None and canceller.path.echo
    assert used[-1] and sum(used) > 0.6 * len(used)
    assert canceller.linear is not None and canceller.erle_db == canceller.linear.erle_db
    # without it, AEC3 alone
    alone = EchoCanceller(RATE, linear=False)
    assert alone.linear is None and not alone.linear_in_use
