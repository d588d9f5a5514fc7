"""The per-turn diff and its gates, on turn summaries."""

from __future__ import annotations

from typing import Any

from agentconsole.replay.diff import compare, p95, render


def turn(
    user: str | None, reply: str, *tools: tuple[str, dict[str, Any]], heard: float | None = 0.5
) -> dict[str, Any]:
    return {
        "user_text": user,
        "reply": reply,
        "tools": [{"name": n, "arguments": a, "output": "x"} for n, a in tools],
        "heard_latency": heard,
    }


OLD = [
    turn(None, "Hi!", heard=None),
    turn("Turn on the kitchen lights.", "Done.", ("turn_on_lights", {"room": "kitchen"})),
]


def test_same() -> None:
    new = [
        turn(None, "Hi!", heard=None),
        turn(
            "turn on the kitchen lights", "done", ("turn_on_lights", {"room": "kitchen"}), heard=0.7
        ),
    ]
    diff = compare(OLD, new)
    assert diff.exit_code == 0 and diff.calls_match and diff.replies_match
    text = render(diff, width=120)
    assert "OK: every turn matches" in text and "≠" not in text


def test_reply_differs_only_fails_with_same_replies() -> None:
    new = [
        OLD[0],
        turn(
            "Turn on the kitchen lights.", "Done, bright.", ("turn_on_lights", {"room": "kitchen"})
        ),
    ]
    assert compare(OLD, new).exit_code == 0
    strict = compare(OLD, new, same_replies=True)
    assert strict.exit_code == 1
    text = render(strict, width=120)
    assert "≠ reply" in text and "Done." in text and "Done, bright." in text
    assert "the reply differs (--same-replies)" in text


def test_missing_extra_and_argument_changes() -> None:
    none = [OLD[0], turn("Turn on the kitchen lights.", "You said it.")]
    diff = compare(OLD, none)
    assert diff.exit_code == 1
    assert diff.failures == ['turn 1: missing tool call turn_on_lights(room="kitchen")']
    other = [OLD[0], turn("x", "y", ("turn_on_lights", {"room": "hall"}))]
    failures = compare(OLD, other).failures
    assert 'missing tool call turn_on_lights(room="kitchen")' in failures[0]
    assert 'extra tool call turn_on_lights(room="hall")' in failures[1]
    shorter = compare(OLD, OLD[:1])
    assert shorter.exit_code == 1 and "missing in the replay" in render(shorter, width=100)


def test_latency_gate() -> None:
    new = [
        OLD[0],
        turn(
            "Turn on the kitchen lights.",
            "Done.",
            ("turn_on_lights", {"room": "kitchen"}),
            heard=2.0,
        ),
    ]
    assert compare(OLD, new, max_latency_p95=2.5).exit_code == 0
    slow = compare(OLD, new, max_latency_p95=1.0)
    assert slow.exit_code == 1 and "p95 2.00 s > --max-latency-p95 1.00 s" in slow.failures[0]
    assert p95([]) is None
    assert p95([float(i) for i in range(1, 101)]) == 95.0
