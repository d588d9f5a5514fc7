"""The live settings table (pure): names, checks, panel steps and the code to paste."""

from __future__ import annotations

import pytest

from agentconsole.knobs import (
    KNOBS,
    SettingError,
    code_lines,
    format_value,
    parse_assignment,
    step_value,
    validate,
)


def test_names_are_unique_and_the_framework_s() -> None:
    names = [k.name for k in KNOBS]
    assert len(names) == len(set(names))
    assert {"activation_threshold", "min_endpointing_delay", "turn_detection"} <= set(names)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("min_endpointing_delay", 2, 2.0),
        ("min_interruption_words", 3.0, 3),
        ("false_interruption_timeout", None, None),
        ("turn_detection", "stt", "stt"),
        ("turn_detection", None, None),
    ],
)
def test_validate_normalises(name: str, value: object, expected: object) -> None:
    got = validate(name, value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("nope", 1, "unknown setting 'nope'"),
        ("activation_threshold", 1.5, "outside"),
        ("activation_threshold", None, "cannot be null"),
        ("activation_threshold", True, "needs a number"),
        ("activation_threshold", "0.5", "needs a number"),
        ("min_endpointing_delay", float("nan"), "needs a number"),
        ("min_interruption_words", 1.5, "whole number"),
        ("turn_detection", "realtime", "is not one of"),
    ],
)
def test_validate_refuses(name: str, value: object, message: str) -> None:
    with pytest.raises(SettingError, match=message):
        validate(name, value)


def test_parse_assignment() -> None:
    assert parse_assignment("min_endpointing_delay=0.8") == ("min_endpointing_delay", 0.8)
    assert parse_assignment(" turn_detection = auto ") == ("turn_detection", None)
    assert parse_assignment("false_interruption_timeout=off") == (
        "false_interruption_timeout",
        None,
    )
    with pytest.raises(SettingError, match="expected NAME=VALUE"):
        parse_assignment("min_endpointing_delay")


def test_steps_snap_to_the_grid_and_stay_in_bounds() -> None:
    assert step_value("activation_threshold", 0.5, 1) == 0.55
    assert step_value("activation_threshold", 0.53, 1) == 0.55
    assert step_value("activation_threshold", 0.53, -1) == 0.5
    assert step_value("activation_threshold", 0.95, 1) == 0.95
    assert step_value("activation_threshold", 0.05, -1) == 0.05
    # nullable: below the lowest value is off, and up from off is the lowest value
    assert step_value("false_interruption_timeout", 0.5, -1) is None
    assert step_value("false_interruption_timeout", None, 1) == 0.5
    assert step_value("turn_detection", "manual", 1) is None
    assert step_value("turn_detection", None, 1) == "vad"
    assert step_value("min_interruption_words", 0, 1) == 1


def test_format_value() -> None:
    assert format_value("activation_threshold", 0.5) == "0.50"
    assert format_value("min_endpointing_delay", 2.0) == "2.00s"
    assert format_value("false_interruption_timeout", None) == "off"
    assert format_value("turn_detection", None) == "auto"
    assert format_value("min_interruption_words", 2) == "2"


def test_code_in_both_forms() -> None:
    overrides = {
        "activation_threshold": 0.6,
        "min_endpointing_delay": 0.8,
        "turn_detection": "stt",
        "min_interruption_words": 2,
        "aec_warmup_duration": None,
    }
    assert code_lines(overrides, turn_handling=True, vad="silero.VAD.load") == [
        "silero.VAD.load(activation_threshold=0.6)",
        'AgentSession(turn_handling={"turn_detection": "stt", "endpointing": {"min_delay": 0.8},'
        ' "interruption": {"min_words": 2}}, aec_warmup_duration=None)',
    ]
    assert code_lines(overrides, turn_handling=False, vad="silero.VAD.load") == [
        "silero.VAD.load(activation_threshold=0.6)",
        'AgentSession(min_endpointing_delay=0.8, turn_detection="stt", min_interruption_words=2,'
        " aec_warmup_duration=None)",
    ]
    assert code_lines({}, turn_handling=True, vad="silero.VAD.load") == []
