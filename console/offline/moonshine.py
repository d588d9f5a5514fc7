"""Moonshine base-en speech recognition with onnxruntime, from the `moonshine-cpp` wheel's files.

The `moonshine-cpp` wheel ships the English Moonshine weights as ORT files. We only *read* those
files: the wheel's own native runtime (`libmoonshine.so`) is built with AVX-512 and dies with
SIGILL on CPUs without it, so this module never imports `moonshine_cpp` (we locate the package
with `importlib.util.find_spec`, which does not execute it) and runs the encoder/decoder with
onnxruntime from Python instead.

The model is heavy (about 1 s to load, 60 MB), so one instance per process is shared through
`load_model()`; it is thread-safe to call and `transcribe()` serialises inference with a lock.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import onnxruntime

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
"""Moonshine consumes 16 kHz mono float32 audio in [-1, 1]."""

MODEL_NAME = "moonshine-base-en"

_START_TOKEN = 1  # <s>
_EOS_TOKEN = 2  # </s>
_SPACE = "\u2581".encode()  # SentencePiece word-boundary marker "▁"
# Moonshine emits ~6 tokens a second of speech at most; the bound stops a runaway decode.
_MAX_TOKENS_PER_SECOND = 6.5


class MoonshineUnavailableError(RuntimeError):
    """The Moonshine weights could not be found (is `moonshine-cpp` installed?)."""


def model_dir() -> Path:
    """Directory holding `encoder_model.ort`, `decoder_model_merged.ort` and `tokenizer.bin`.

    `AGENTCONSOLE_MOONSHINE_DIR` overrides the location (a directory with the same three files).
    """
    override = os.environ.get("AGENTCONSOLE_MOONSHINE_DIR")
    if override:
        return Path(override)
    # find_spec only locates the package; it must never be imported (AVX-512 native code).
    spec = importlib.util.find_spec("moonshine_cpp")
    if spec is None or not spec.submodule_search_locations:
        raise MoonshineUnavailableError(
            "the Moonshine weights come from the `moonshine-cpp` wheel: "
            "pip install 'agentconsole[offline]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "base-en"


class DecodeAborted(Exception):
    """`MoonshineModel.transcribe` stopped early because `should_abort` returned True."""


class Tokenizer:
    """Decoder for Moonshine's `tokenizer.bin` (token id -> bytes).

    File format: one entry per token id, in order. A first byte of 0 is an empty token, 1..127
    is the byte length, 128.. starts a two-byte length `(second * 128) + first - 128`.
    """

    def __init__(self, data: bytes) -> None:
        tokens: list[bytes] = []
        i = 0
        while i < len(data):
            n = data[i]
            i += 1
            if n >= 128:
                n = data[i] * 128 + n - 128
                i += 1
            tokens.append(data[i : i + n])
            i += n
        self._tokens = tokens

    @classmethod
    def from_file(cls, path: Path) -> Tokenizer:
        """Read a `tokenizer.bin` file."""
        return cls(path.read_bytes())

    def __len__(self) -> int:
        return len(self._tokens)

    def decode(self, ids: list[int]) -> str:
        """Token ids to text; special tokens (`<s>`, `</s>`, `<unk>`) are dropped."""
        out = bytearray()
        for t in ids:
            if t <= _EOS_TOKEN or t >= len(self._tokens):
                continue
            out += self._tokens[t]
        return bytes(out).replace(_SPACE, b" ").decode("utf-8", errors="replace").strip()


@dataclass(frozen=True)
class _DecoderShape:
    layers: int
    heads: int
    head_dim: int


class Transcript(NamedTuple):
    """One decode's text and confidence: the mean log-probability of its tokens (end mark
    included), 0 for certain, more negative for less sure."""

    text: str
    confidence: float


class MoonshineModel:
    """The encoder/decoder ORT sessions and the greedy decoding loop."""

    def __init__(self, directory: Path | None = None, *, num_threads: int | None = 1) -> None:
        import onnxruntime as ort  # lazy: importing agentconsole.offline must stay cheap

        directory = directory or model_dir()
        t0 = time.perf_counter()
        opts = ort.SessionOptions()
        # One thread, no spin-waiting (as Silero's plugin does): ORT's default pool spins its
        # idle workers, which measured twice the CPU per transcription (0.67 s vs 0.27 s for
        # "turn on the kitchen lights") and no faster on a busy 2-core machine, where the
        # spinning takes CPU from the VAD, the console and the agent's other models.
        if num_threads:
            opts.intra_op_num_threads = num_threads
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        opts.log_severity_level = 3  # the .ort files trigger harmless warnings otherwise
        self._encoder = _session(directory / "encoder_model.ort", opts)
        self._decoder = _session(directory / "decoder_model_merged.ort", opts)
        self.tokenizer = Tokenizer.from_file(directory / "tokenizer.bin")
        self._shape = _decoder_shape(self._decoder)
        self._cache_names = [i.name for i in self._decoder.get_inputs() if "past_key" in i.name]
        # "present.N.x.y" output -> "past_key_values.N.x.y" input of the next step
        self._present_to_past = [
            o.name.replace("present.", "past_key_values.", 1)
            for o in self._decoder.get_outputs()[1:]
        ]
        self._lock = threading.Lock()
        _return_freed_memory()
        self.load_seconds = time.perf_counter() - t0

    def transcribe(
        self, audio: npt.NDArray[np.float32], *, should_abort: Callable[[], bool] | None = None
    ) -> str:
        """Transcribe 16 kHz mono float32 audio (one utterance, ideally < 30 s).

        `should_abort` is polled between decoding steps (~0.1 s apart); when it returns True
        the decode stops and `DecodeAborted` is raised.
        """
        return self.transcribe_scored(audio, should_abort=should_abort).text

    def transcribe_scored(
        self, audio: npt.NDArray[np.float32], *, should_abort: Callable[[], bool] | None = None
    ) -> Transcript:
        """As :meth:`transcribe`, with the decode's confidence (see :class:`Transcript`)."""
        if audio.size < SAMPLE_RATE // 10:  # under 100 ms: nothing a model could read
            return Transcript("", 0.0)
        with self._lock:  # ORT sessions are thread-safe, but two decodes would halve speed
            tokens, log_prob = self._generate(audio, should_abort)
        return Transcript(self.tokenizer.decode(tokens), log_prob / max(1, len(tokens) - 1))

    def _generate(
        self, audio: npt.NDArray[np.float32], should_abort: Callable[[], bool] | None
    ) -> tuple[list[int], float]:
        """Greedy decoding: the tokens, and the sum of their log-probabilities."""
        max_len = max(8, int(audio.size / SAMPLE_RATE * _MAX_TOKENS_PER_SECOND))
        hidden = self._encoder.run(None, {"input_values": audio[np.newaxis, :]})[0]
        s = self._shape
        empty = np.zeros((0, s.heads, 1, s.head_dim), dtype=np.float32)
        cache: dict[str, Any] = dict.fromkeys(self._cache_names, empty)
        tokens = [_START_TOKEN]
        log_prob = 0.0
        input_ids = np.array([[_START_TOKEN]], dtype=np.int64)
        for step in range(max_len):
            if should_abort is not None and should_abort():
                raise DecodeAborted
            use_cache = step > 0
            logits, *present = self._decoder.run(
                None,
                {
                    "input_ids": input_ids,
                    "encoder_hidden_states": hidden,
                    "use_cache_branch": np.array([use_cache]),
                    **cache,
                },
            )
            last = logits[0, -1]
            token = int(last.argmax())
            # log-softmax of the chosen token, computed stably from the largest logit
            log_prob -= float(np.log(np.exp(last - last[token]).sum()))
            tokens.append(token)
            if token == _EOS_TOKEN:
                break
            input_ids = np.array([[token]], dtype=np.int64)
            # The encoder (cross-attention) cache is computed on the first step only.
            for name, value in zip(self._present_to_past, present, strict=True):
                if not use_cache or ".decoder." in name:
                    cache[name] = value
        return tokens, log_prob


def _session(path: Path, opts: onnxruntime.SessionOptions) -> onnxruntime.InferenceSession:
    """An inference session for an ORT-format file, from its graph in ONNX form when it can be
    read back, so onnxruntime folds the weights' int8 -> float32 nodes once instead of running
    them on every call (`ortformat`); from the file itself otherwise."""
    import onnxruntime as ort

    providers = ["CPUExecutionProvider"]
    try:
        model = _as_onnx(path)
        if isinstance(model, Path):
            try:
                return ort.InferenceSession(str(model), opts, providers=providers)
            except Exception as exc:  # a damaged cache file: convert again
                logger.debug("Moonshine: cached %s unusable (%s)", model, exc)
                model = _as_onnx(path, use_cache=False)
    except Exception as exc:  # any failure: the ORT file still works, slower
        logger.warning("Moonshine: running %s as it is (%s); decoding is slower", path.name, exc)
        return ort.InferenceSession(str(path), opts, providers=providers)
    return ort.InferenceSession(model, opts, providers=providers)


def cache_dir() -> Path:
    """Where the ONNX form of the model files is kept: `AGENTCONSOLE_CACHE_DIR`, else
    `$XDG_CACHE_HOME/agentconsole`, else `~/.cache/agentconsole`."""
    override = os.environ.get("AGENTCONSOLE_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "agentconsole"


def _as_onnx(path: Path, *, use_cache: bool = True) -> Path | bytes:
    """The ONNX form of an ORT-format file: a cached file, or the model's bytes when there is
    none yet (they are written to the cache for the next process).

    Reading the file back takes about 0.4 s of Python and serialising it holds the GIL for
    50 ms, which a job's event loop would feel at each start; from the cache, onnxruntime
    reads the file without the GIL. The cache is keyed on the file's content, the onnxruntime
    version and the reader's, so installs of the same wheel share one entry and an upgrade
    gets a new one (old entries can be deleted at any time).
    """
    import onnxruntime as ort

    from .ortformat import READER_VERSION, ort_to_onnx

    digest = hashlib.sha256(path.read_bytes())  # hashlib releases the GIL on large data
    digest.update(f"|{ort.__version__}|{READER_VERSION}".encode())
    folder = cache_dir() / "moonshine"
    cached = folder / f"{path.stem}-{digest.hexdigest()[:16]}.onnx"
    if use_cache and cached.is_file():
        return cached
    data = ort_to_onnx(path).SerializeToString()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{cached.name}.{os.getpid()}"
        partial.write_bytes(data)
        os.replace(partial, cached)  # atomic: a job starting alongside reads all or nothing
    except OSError as exc:
        logger.debug("Moonshine: not caching %s (%s)", cached, exc)
    return data


def _return_freed_memory() -> None:
    """Hand the memory freed while loading back to the system (glibc only).

    Folding the weights to float32 (`_session`) allocates and frees a few hundred MB of
    intermediate tensors, which glibc keeps in the process: 800 MB resident after loading,
    550 MB after this.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):  # not glibc (macOS, musl)
        return
    trim(0)


def _decoder_shape(session: onnxruntime.InferenceSession) -> _DecoderShape:
    inputs = [i for i in session.get_inputs() if i.name.startswith("past_key_values.")]
    layers = len({i.name.split(".")[1] for i in inputs})
    _, heads, _, head_dim = inputs[0].shape
    return _DecoderShape(layers=layers, heads=int(heads), head_dim=int(head_dim))


_model: MoonshineModel | None = None
_model_lock = threading.Lock()


def load_model() -> MoonshineModel:
    """The process-wide Moonshine model, loaded on first call (blocking, ~1 s).

    Call it from an agent's prewarm function so the first user turn does not pay the load.
    """
    global _model
    with _model_lock:
        if _model is None:
            _model = MoonshineModel()
        return _model


def is_loaded() -> bool:
    """Whether `load_model()` has finished in this process."""
    return _model is not None
