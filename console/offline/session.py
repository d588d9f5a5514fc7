"""Helpers to assemble an offline `AgentSession`: prewarm and version-tolerant kwargs."""

from __future__ import annotations

import inspect
import threading
from typing import Any

from livekit.agents import AgentSession, JobProcess

from . import espeak, moonshine


def prewarm(proc: JobProcess | None = None, *, background: bool = True) -> None:
    """Load the heavy offline parts once per process (use as, or call from, `prewarm_fnc`).

    Loads Silero VAD into `proc.userdata["vad"]` (when `proc` is given) and the espeak-ng
    engine, and the Moonshine model: by default on a background thread, so the session can
    start listening ~1 s sooner (what a reload waits for); the first transcription waits for
    the load if it is not done yet. `background=False` loads everything before returning.
    """
    if proc is not None and "vad" not in proc.userdata:
        from livekit.plugins import silero

        proc.userdata["vad"] = silero.VAD.load()
    if background:
        threading.Thread(target=moonshine.load_model, name="moonshine-load", daemon=True).start()
    else:
        moonshine.load_model()
    espeak.engine()


def vad_turn_detection() -> dict[str, Any]:
    """AgentSession kwargs selecting VAD-only end-of-turn detection (no cloud, no model).

    livekit-agents 1.8 takes `turn_handling={"turn_detection": "vad"}`; earlier 1.x take
    `turn_detection="vad"` (still accepted, but deprecated, in 1.8).
    """
    params = inspect.signature(AgentSession.__init__).parameters
    if "turn_handling" in params:
        return {"turn_handling": {"turn_detection": "vad"}}
    return {"turn_detection": "vad"}


def offline_session_kwargs(vad: Any = None, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for `AgentSession(**kwargs)` with the whole offline pipeline.

    `vad` defaults to a freshly loaded Silero VAD (pass the prewarmed one from
    `proc.userdata["vad"]`); `overrides` replace or add any entry (e.g. `llm=ScriptedLLM(...)`).
    """
    from .llm import ScriptedLLM
    from .stt import MoonshineSTT
    from .tts import EspeakTTS

    if vad is None:
        from livekit.plugins import silero

        vad = silero.VAD.load()
    kwargs: dict[str, Any] = {
        "vad": vad,
        "stt": MoonshineSTT(),
        "llm": ScriptedLLM(),
        "tts": EspeakTTS(),
        **vad_turn_detection(),
    }
    kwargs.update(overrides)
    return kwargs
