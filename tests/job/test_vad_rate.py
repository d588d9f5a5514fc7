"""VadRate: every inference while there is voice, about 10 a second in plain silence."""

from __future__ import annotations

from agentconsole.job.vad_rate import VadRate


def _run(samples: list[tuple[float, bool]], step: float = 0.032) -> list[bool]:
    now = [0.0]
    rate = VadRate(clock=lambda: now[0])
    sent = []
    for p, speaking in samples:
        sent.append(rate.should_send(p, speaking))
        now[0] += step
    return sent


def test_silence_is_thinned_to_the_interval() -> None:
    sent = _run([(0.01, False)] * 100)  # 3.2 s of silence at Silero's rate
    # at least 0.1 s apart: every 4th 32 ms window (0.128 s), 25 of 100
    assert sum(sent) == 25


def test_voice_goes_at_full_rate_and_the_drop_is_shown() -> None:
    voice = [(0.9, True)] * 20 + [(0.3, True)] * 5 + [(0.05, False)] * 3
    sent = _run([(0.01, False)] * 10 + voice)
    assert all(sent[10:35])  # speaking or probable voice: every inference
    assert sent[35]  # the first silent one after voice
    assert not sent[36]  # then thinned again


def test_a_rising_probability_goes_at_once() -> None:
    sent = _run([(0.01, False)] * 5 + [(0.2, False)])
    assert sent[-1]
