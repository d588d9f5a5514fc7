"""Text mode and audio mode of the session's output.

A session that cannot speak (no TTS, no ``tts_node`` override, no realtime model with audio
output) runs in text mode by itself: the session's audio output is disabled, so the framework
commits typed turns' replies as text instead of failing in its TTS step. ``ctrl+t`` in the TUI
and ``{"cmd": "mode", "text": ...}`` switch any agent, as LiveKit's own console does (text
mode also stops listening to the microphone). Every change is reported as ``mode``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..events import Event, Mode

__all__ = ["ModeSwitch", "can_speak"]


def _given(value: Any) -> bool:
    from livekit.agents.utils import is_given

    return value is not None and bool(is_given(value))


def can_speak(session: Any, agent: Any) -> bool:
    """True when the session can produce agent audio with ``agent`` active."""
    from livekit.agents import Agent, llm

    if type(agent).tts_node is not Agent.tts_node:
        return True  # the agent makes its own audio
    if _given(getattr(agent, "tts", None)) or _given(getattr(session, "tts", None)):
        return True
    model = getattr(agent, "llm", None)
    if not _given(model):
        model = getattr(session, "llm", None)
    if isinstance(model, llm.RealtimeModel):
        return bool(getattr(model.capabilities, "audio_output", False))
    return False


def turn_detection(session: Any, agent: Any) -> str:
    """``model`` when a realtime model detects the user's turns, ``vad`` when a local VAD
    does, else ``none``."""
    from livekit.agents import llm

    model = getattr(agent, "llm", None)
    if not _given(model):
        model = getattr(session, "llm", None)
    if isinstance(model, llm.RealtimeModel) and model.capabilities.turn_detection:
        return "model"
    if _given(getattr(agent, "vad", None)) or _given(getattr(session, "vad", None)):
        return "vad"
    return "none"


class _TextModeNoise(logging.Filter):
    """Drops the framework's warning that the transcript synchronizer lost its audio output:
    in text mode that is the console's doing, not the user's (the warning blames the code)."""

    def __init__(self, switch: ModeSwitch) -> None:
        super().__init__()
        self._switch = switch

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            self._switch.text and str(record.msg).startswith("TranscriptSynchronizer audio output")
        )


class ModeSwitch:
    """Holds the session's mode; automatic until the user switches it."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        self.text: bool | None = None
        self._chosen = False  # the user switched: automatic choices stop
        self._detection: str | None = None
        logging.getLogger("livekit.agents").addFilter(_TextModeNoise(self))

    def on_agent(self, session: Any, agent: Any) -> None:
        """An agent became active: pick the mode it can run in (unless the user chose)."""
        if self._chosen:
            return
        speaks = can_speak(session, agent)
        if self.text is None or self.text == speaks:
            reason = "audio" if speaks else "no TTS: text replies"
            self._apply(session, agent, not speaks, reason)
        else:  # same mode, but the new agent may hear the user differently
            self._report(session, agent, "agent changed")

    def set(self, session: Any, text: bool) -> None:
        """The user's switch (``ctrl+t``, the ``mode`` command)."""
        self._chosen = True
        if text == self.text:
            self._emit(Mode(text=text, reason="already", turn_detection=self._detection))
            return
        reason = "switched to text" if text else "switched to audio"
        if not text and not can_speak(session, session.current_agent):
            reason = "switched to audio, but the agent has no TTS"
        self._apply(session, session.current_agent, text, reason)

    def _apply(self, session: Any, agent: Any, text: bool, reason: str) -> None:
        self.text = text
        output = session.output
        if output.audio is not None or text:
            output.set_audio_enabled(not text)
        if session.input.audio is not None:
            session.input.set_audio_enabled(not text)
        self._report(session, agent, reason)

    def _report(self, session: Any, agent: Any, reason: str) -> None:
        # text mode does not listen to the microphone: nothing detects speech
        detection = "none" if self.text else turn_detection(session, agent)
        if reason == "agent changed" and detection == self._detection:
            return
        self._detection = detection
        self._emit(Mode(text=bool(self.text), reason=reason, turn_detection=detection))
