"""espeak-ng speech synthesis through ctypes, using the `espeakng-loader` wheel.

`espeakng-loader` bundles `libespeak-ng.so` and `espeak-ng-data`, so no system package is needed.
The library keeps global state and is not re-entrant: one process-wide `EspeakEngine` serialises
every synthesis with a lock. In `AUDIO_OUTPUT_SYNCHRONOUS` mode `espeak_Synth` blocks and hands
PCM chunks to a callback as it produces them, which lets callers stream audio out early.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import Any

SAMPLE_RATE = 22050
"""espeak-ng always synthesises 22050 Hz mono signed 16-bit audio."""

DEFAULT_VOICE = "en-us"
DEFAULT_RATE = 175  # words per minute, espeak-ng's own default

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE = 1
_BUFFER_MS = 60  # audio per callback: small chunks reach the listener sooner

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

ChunkSink = Callable[[bytes], None]
"""Receives each PCM16 chunk as espeak produces it (on the synthesising thread)."""


class EspeakError(RuntimeError):
    """espeak-ng could not be loaded or refused a request."""


class SynthesisAborted(Exception):
    """`EspeakEngine.synthesize` stopped early because its `should_abort` returned True."""


class EspeakEngine:
    """The process-wide espeak-ng instance (get it with `engine()`)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - depends on the install
            raise EspeakError(
                "espeak-ng comes from the `espeakng-loader` wheel: "
                "pip install 'agentconsole[offline]'"
            ) from e
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        data_path = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path, 0)
        if rate != SAMPLE_RATE:
            raise EspeakError(f"espeak_Initialize returned {rate}, expected {SAMPLE_RATE}")
        self._lib: Any = lib
        self._lock = threading.Lock()
        self._sink: ChunkSink | None = None
        self._should_abort: Callable[[], bool] | None = None
        self._aborted = False
        # Keep a reference: ctypes callbacks are freed with their Python object.
        self._callback = _SynthCallback(self._on_chunk)
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    def _on_chunk(self, wav: Any, num_samples: int, _events: Any) -> int:
        if self._should_abort is not None and self._should_abort():
            self._aborted = True
            return 1  # tells espeak to stop this synthesis
        if num_samples > 0 and wav and self._sink is not None:
            self._sink(ctypes.string_at(wav, num_samples * 2))
        return 0

    def synthesize(
        self,
        text: str,
        sink: ChunkSink,
        *,
        voice: str = DEFAULT_VOICE,
        rate: int = DEFAULT_RATE,
        should_abort: Callable[[], bool] | None = None,
    ) -> None:
        """Synthesise `text`, calling `sink(pcm16_bytes)` per chunk; blocks until done.

        Only one synthesis runs at a time (callers queue on a lock). `should_abort` is polled
        per chunk; when it returns True synthesis stops and `SynthesisAborted` is raised.
        """
        encoded = text.encode("utf-8")
        with self._lock:
            if voice != self._voice:
                if self._lib.espeak_SetVoiceByName(voice.encode()) != 0:
                    raise EspeakError(f"espeak-ng has no voice {voice!r}")
                self._voice = voice
            self._lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
            self._sink, self._should_abort, self._aborted = sink, should_abort, False
            try:
                buf = ctypes.create_string_buffer(encoded)
                err = self._lib.espeak_Synth(
                    buf, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
                )
            finally:
                self._sink, self._should_abort = None, None
            if self._aborted:
                raise SynthesisAborted
            if err != 0:
                raise EspeakError(f"espeak_Synth failed with error {err}")

    def synthesize_pcm(
        self, text: str, *, voice: str = DEFAULT_VOICE, rate: int = DEFAULT_RATE
    ) -> bytes:
        """Synthesise `text` to one PCM16 mono 22050 Hz byte string."""
        chunks: list[bytes] = []
        self.synthesize(text, chunks.append, voice=voice, rate=rate)
        return b"".join(chunks)


_engine: EspeakEngine | None = None
_engine_lock = threading.Lock()


def engine() -> EspeakEngine:
    """The process-wide espeak-ng engine, initialised on first use (a few ms)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = EspeakEngine()
        return _engine
