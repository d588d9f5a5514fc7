"""The turn-taking settings the console can change on a running session (pure, no livekit).

Each knob has the framework's own parameter name (``silero.VAD.load(...)`` or the flat
``AgentSession(...)`` keyword), a kind, bounds and a step for the panel's keys. The CLI
(``--set NAME=VALUE``), the supervisor (``set`` commands) and the job all check values here, so
a bad name or value gets the same one-line answer everywhere. The job reads and applies them
(``console/job/settings.py``); the TUI shows them (``widgets/settings.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "KNOBS",
    "Knob",
    "SettingError",
    "code_lines",
    "format_value",
    "knob",
    "parse_assignment",
    "step_value",
    "validate",
]

Kind = Literal["float", "int", "choice"]


class SettingError(ValueError):
    """A setting name or value the console refuses (one line, for the user)."""


@dataclass(frozen=True)
class Knob:
    """One live setting."""

    name: str
    """The framework's parameter name (also the wire name)."""
    group: str
    """``vad``, ``endpointing`` or ``interruption``: where it lives in the framework."""
    kind: Kind
    help: str
    step: float = 0.05
    low: float = 0.0
    high: float = 10.0
    unit: str = ""
    nullable: bool = False
    """``None`` is a value (``off`` or ``auto``): below ``low`` when stepping down."""
    null_label: str = "off"
    choices: tuple[str, ...] = ()
    turn_handling: tuple[str, str] | None = None
    """livekit-agents 1.5+: where the value goes in ``AgentSession(turn_handling={...})``
    (section, key); ``("", key)`` for a top-level ``turn_handling`` key."""


KNOBS: tuple[Knob, ...] = (
    Knob(
        "activation_threshold",
        "vad",
        "float",
        "VAD probability at which speech starts",
        step=0.05,
        low=0.05,
        high=0.95,
    ),
    Knob(
        "deactivation_threshold",
        "vad",
        "float",
        "VAD probability below which speech ends",
        step=0.05,
        low=0.01,
        high=0.95,
    ),
    Knob(
        "min_speech_duration",
        "vad",
        "float",
        "speech needed before the VAD says speaking",
        step=0.05,
        high=2.0,
        unit="s",
    ),
    Knob(
        "min_silence_duration",
        "vad",
        "float",
        "silence needed before the VAD says speech ended",
        step=0.05,
        high=3.0,
        unit="s",
    ),
    Knob(
        "prefix_padding_duration",
        "vad",
        "float",
        "audio kept from before speech started",
        step=0.1,
        high=2.0,
        unit="s",
    ),
    Knob(
        "min_endpointing_delay",
        "endpointing",
        "float",
        "wait after speech ends before the turn is over",
        step=0.1,
        high=10.0,
        unit="s",
        turn_handling=("endpointing", "min_delay"),
    ),
    Knob(
        "max_endpointing_delay",
        "endpointing",
        "float",
        "longest wait when the turn detector is unsure",
        step=0.5,
        high=30.0,
        unit="s",
        turn_handling=("endpointing", "max_delay"),
    ),
    Knob(
        "turn_detection",
        "endpointing",
        "choice",
        "what decides the end of the user's turn",
        nullable=True,
        null_label="auto",
        choices=("vad", "stt", "manual"),
        turn_handling=("", "turn_detection"),
    ),
    Knob(
        "min_interruption_duration",
        "interruption",
        "float",
        "speech needed to interrupt the agent",
        step=0.1,
        high=5.0,
        unit="s",
        turn_handling=("interruption", "min_duration"),
    ),
    Knob(
        "min_interruption_words",
        "interruption",
        "int",
        "words needed to interrupt the agent (STT)",
        step=1,
        high=20,
        turn_handling=("interruption", "min_words"),
    ),
    Knob(
        "false_interruption_timeout",
        "interruption",
        "float",
        "silence after which an interruption was false",
        step=0.5,
        low=0.5,
        high=10.0,
        unit="s",
        nullable=True,
        turn_handling=("interruption", "false_interruption_timeout"),
    ),
    Knob(
        "aec_warmup_duration",
        "interruption",
        "float",
        "interruptions ignored after the agent starts speaking",
        step=0.5,
        low=0.5,
        high=10.0,
        unit="s",
        nullable=True,
    ),
)
"""Every knob, in the order the panel lists them."""

_BY_NAME = {k.name: k for k in KNOBS}


def knob(name: str) -> Knob:
    """The knob called ``name``; ``SettingError`` for an unknown name."""
    found = _BY_NAME.get(name)
    if found is None:
        names = ", ".join(k.name for k in KNOBS)
        raise SettingError(f"unknown setting {name!r} (settings: {names})")
    return found


def validate(name: str, value: Any) -> Any:
    """``value`` checked and normalised for the knob ``name`` (JSON types in, JSON types out)."""
    k = knob(name)
    if value is None:
        if k.nullable:
            return None
        raise SettingError(f"{name} cannot be null")
    if k.kind == "choice":
        if isinstance(value, str) and value in k.choices:
            return value
        allowed = ", ".join([*k.choices, *([k.null_label] if k.nullable else [])])
        raise SettingError(f"{name}: {value!r} is not one of {allowed}")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingError(f"{name} needs a number, not {value!r}")
    low = 0.0 if k.nullable else k.low
    if not low <= value <= k.high:
        raise SettingError(f"{name}: {value:g} is outside {low:g}..{k.high:g}")
    if k.kind == "int":
        if float(value) != int(value):
            raise SettingError(f"{name} needs a whole number, not {value:g}")
        return int(value)
    return float(value)


def parse_assignment(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` from the command line, checked: ``("min_endpointing_delay", 2.0)``."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        raise SettingError(f"{text!r}: expected NAME=VALUE, e.g. min_endpointing_delay=0.8")
    k = knob(name)
    value: Any
    if raw.lower() in ("none", "null", k.null_label) and k.nullable:
        value = None
    elif k.kind == "choice":
        value = raw
    else:
        try:
            value = float(raw)
        except ValueError:
            raise SettingError(f"{name} needs a number, not {raw!r}") from None
    return name, validate(name, value)


def step_value(name: str, value: Any, direction: int) -> Any:
    """The next value up (``direction`` > 0) or down from ``value``, within bounds."""
    k = knob(name)
    if k.kind == "choice":
        cycle: list[Any] = [*k.choices, *([None] if k.nullable else [])]
        i = cycle.index(value) if value in cycle else -1
        return cycle[(i + (1 if direction > 0 else -1)) % len(cycle)]
    if value is None:
        return k.low if direction > 0 else None
    current = float(value)
    # snap to the step grid first, so 0.53 goes to 0.55 / 0.50 rather than 0.58 / 0.48
    ticks = current / k.step
    snapped = math.floor(ticks + 1e-9) if direction > 0 else math.ceil(ticks - 1e-9)
    new = (snapped + (1 if direction > 0 else -1)) * k.step
    if new < k.low - 1e-9:
        return None if k.nullable else k.low
    new = min(new, k.high)
    return int(round(new)) if k.kind == "int" else round(new, 4)


def format_value(name: str, value: Any) -> str:
    """A value as the panel shows it: ``0.50``, ``2.0s``, ``off``, ``vad``."""
    k = knob(name)
    if value is None:
        return k.null_label
    if isinstance(value, str):
        return value
    if k.kind == "int" or isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        text = f"{value:.2f}"
        return f"{text}{k.unit}"
    return str(value)


def _py(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def code_lines(overrides: dict[str, Any], *, turn_handling: bool, vad: str) -> list[str]:
    """The constructor arguments that give the overrides, to paste into the agent's code.

    ``turn_handling``: the framework takes ``AgentSession(turn_handling={...})`` (1.5+);
    otherwise the flat keywords. ``vad``: the VAD's constructor, e.g. ``silero.VAD.load``.
    """
    lines: list[str] = []
    vad_args = [
        f"{k.name}={_py(overrides[k.name])}"
        for k in KNOBS
        if k.group == "vad" and k.name in overrides
    ]
    if vad_args:
        lines.append(f"{vad}({', '.join(vad_args)})")
    session_knobs = [k for k in KNOBS if k.group != "vad" and k.name in overrides]
    if not session_knobs:
        return lines
    if not turn_handling:
        args = ", ".join(f"{k.name}={_py(overrides[k.name])}" for k in session_knobs)
        lines.append(f"AgentSession({args})")
        return lines
    top: list[str] = []
    sections: dict[str, list[str]] = {}
    for k in session_knobs:
        if k.turn_handling is None:
            top.append(f"{k.name}={_py(overrides[k.name])}")
        elif k.turn_handling[0] == "":
            sections.setdefault("", []).append(f'"{k.turn_handling[1]}": {_py(overrides[k.name])}')
        else:
            section, key = k.turn_handling
            sections.setdefault(section, []).append(f'"{key}": {_py(overrides[k.name])}')
    parts = list(sections.pop("", []))
    parts += [f'"{s}": {{{", ".join(items)}}}' for s, items in sections.items()]
    kwargs = ([f"turn_handling={{{', '.join(parts)}}}"] if parts else []) + top
    lines.append(f"AgentSession({', '.join(kwargs)})")
    return lines
