"""Live settings in the job: read the session's turn-taking options, change them, report them.

The console keeps the user's overrides (they outlive a reload) and sends them with ``start``;
``set`` and ``reset`` commands change them while the session runs. Every change is applied to
the running session at once through the framework (``console/job/framework.py``), then the
values are read back from the framework and sent as a ``settings`` event: what the event says
is what the session has, not what was asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import knobs
from . import framework

__all__ = ["LiveSettings"]

Emit = Callable[..., None]


def _derived_deactivation(activation: float) -> float:
    """Silero's default deactivation threshold for an activation threshold."""
    return round(max(activation - 0.15, 0.01), 4)


class LiveSettings:
    """The session's live settings: the code's values, the overrides, and applying them."""

    def __init__(self, emit: Emit, overrides: dict[str, Any] | None = None) -> None:
        self._emit = emit
        self.overrides: dict[str, Any] = {}
        self._pending: dict[str, Any] = {}
        for name, value in (overrides or {}).items():
            try:
                self._pending[name] = knobs.validate(name, value)
            except knobs.SettingError as exc:
                self._error(str(exc))
        self._session: Any = None
        self._vad: Any = None
        self._baseline: dict[str, Any] = {}
        self._turn_detection: Any = None
        self._follow_deactivation = False

    @property
    def bound(self) -> bool:
        """True once a session is attached."""
        return self._session is not None

    def bind(self, session: Any, agent: Any) -> None:
        """Attach to ``session`` before it starts: note the code's values, apply the overrides."""
        if self._session is not None:
            return
        self._session = session
        self._vad = framework.session_vad(session, agent)
        self._baseline = self._read()
        self._turn_detection = framework.raw_turn_detection(session)
        act = self._baseline.get("activation_threshold")
        deact = self._baseline.get("deactivation_threshold")
        # The code left the deactivation threshold to Silero's default (activation - 0.15):
        # a new activation threshold moves it too, as VAD.load(activation_threshold=) would.
        self._follow_deactivation = (
            isinstance(act, float)
            and isinstance(deact, float)
            and abs(deact - _derived_deactivation(act)) < 1e-6
        )
        pending, self._pending = self._pending, {}
        for name, value in pending.items():
            self._apply(name, value)

    def set(self, name: str, value: Any) -> None:
        """Apply one override now (or at bind time), then report the settings."""
        try:
            value = knobs.validate(name, value)
        except knobs.SettingError as exc:
            self._error(str(exc))
            return
        if self._session is None:
            self._pending[name] = value
            return
        self._apply(name, value)
        self.emit_settings()

    def reset(self, name: str | None) -> None:
        """Drop one override (``None``: all of them): the code's value applies again."""
        names = list(self.overrides) if name is None else [name]
        if self._session is None:
            for n in names:
                self._pending.pop(n, None)
            return
        for n in names:
            if n not in self.overrides:
                continue
            del self.overrides[n]
            value = self._turn_detection if n == "turn_detection" else self._baseline.get(n)
            self._write(n, value)
        self.emit_settings()

    def values(self) -> dict[str, Any]:
        """The session's current values, read from the framework."""
        return self._read()

    def emit_settings(self) -> None:
        """Send the ``settings`` event: values, the overridden names, the code to paste."""
        if self._session is None:
            return
        vad = "silero.VAD.load" if self._vad is None else framework.vad_factory(self._vad)
        self._emit(
            "settings",
            values=self._read(),
            overridden=sorted(self.overrides),
            code=knobs.code_lines(
                self.overrides, turn_handling=framework.uses_turn_handling(), vad=vad
            ),
        )

    # -- internals ------------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self._vad is not None:
            values.update(framework.read_vad_options(self._vad))
        if self._session is not None:
            values.update(framework.read_session_options(self._session))
        return {k.name: values[k.name] for k in knobs.KNOBS if k.name in values}

    def _apply(self, name: str, value: Any) -> None:
        if name not in self._read():
            self._error(f"{name}: this session has no such setting (no VAD, or another version)")
            return
        try:
            self._write(name, value)
        except Exception as exc:  # the framework refused it: say so, keep the session
            self._error(f"{name}: {type(exc).__name__}: {exc}")
            return
        self.overrides[name] = value

    def _write(self, name: str, value: Any) -> None:
        k = knobs.knob(name)
        if k.group == "vad":
            framework.apply_vad_option(self._vad, name, value)
            if (
                name == "activation_threshold"
                and self._follow_deactivation
                and "deactivation_threshold" not in self.overrides
            ):
                framework.apply_vad_option(
                    self._vad, "deactivation_threshold", _derived_deactivation(value)
                )
        else:
            framework.apply_session_option(self._session, name, value)

    def _error(self, message: str) -> None:
        self._emit("error", level="warning", message=f"set {message}", source="settings")
