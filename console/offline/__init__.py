"""Offline STT, TTS and LLM for LiveKit Agents: no network, no API keys.

- `MoonshineSTT`: Moonshine base-en via onnxruntime (weights from the `moonshine-cpp` wheel).
- `MoonshineStreamingSTT`: the same with its own VAD segmentation and interim transcripts.
- `EspeakTTS`: espeak-ng via ctypes (library and data from the `espeakng-loader` wheel).
- `ScriptedLLM`: deterministic rule-based replies and tool calls, streamed word by word.
- `prewarm`, `offline_session_kwargs`: assemble an offline `AgentSession`.
- `synthesize_wav`: write speech to a WAV file (test fixtures, demos).

Names are imported lazily, so `import agentconsole.offline` loads neither livekit nor
onnxruntime; each is loaded when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .interim import MoonshineStreamingSTT
    from .llm import ScriptedLLM, ToolRule
    from .session import offline_session_kwargs, prewarm, vad_turn_detection
    from .speech import synthesize_wav
    from .stt import MoonshineSTT
    from .tts import EspeakTTS

_EXPORTS = {
    "MoonshineSTT": ".stt",
    "MoonshineStreamingSTT": ".interim",
    "EspeakTTS": ".tts",
    "ScriptedLLM": ".llm",
    "ToolRule": ".llm",
    "prewarm": ".session",
    "offline_session_kwargs": ".session",
    "vad_turn_detection": ".session",
    "synthesize_wav": ".speech",
}

__all__ = [
    "EspeakTTS",
    "MoonshineSTT",
    "MoonshineStreamingSTT",
    "ScriptedLLM",
    "ToolRule",
    "offline_session_kwargs",
    "prewarm",
    "synthesize_wav",
    "vad_turn_detection",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
