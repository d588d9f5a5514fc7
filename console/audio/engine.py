"""``AudioEngine``: microphone capture, agent playback, AEC, recording, health watch.

Threads (none of them is a Textual loop):

* PortAudio's input and output callbacks (device mode). The input callback runs the APM on
  each 10 ms frame and calls ``on_mic_frame`` once with the whole block (60 ms from a device,
  10 ms from the virtual mic) directly: the lowest latency, and the supervisor's handler only
  queues bytes for its socket. The output callback reads the playout queue and feeds the AEC's
  reverse stream with exactly what it hands to the device.
* A pacer thread (10 ms, absolute schedule) for the virtual devices: a WAV or silent mic and a
  null speaker that consumes agent audio in real time, so segments finish as if heard.
* An events thread: ``on_playout`` when a finished segment has been heard (its last sample
  handed to the device plus the output latency), periodic ``on_status`` (mic level), and the
  watchdog that notices a stream whose callbacks stopped (sound server died: PortAudio's ALSA
  backend would otherwise busy-loop printing to stderr), closes it, reports the problem once,
  and carries on with the virtual device for that direction so the session keeps working.
"""

from __future__ import annotations

import atexit
import collections
import math
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..protocol import AUDIO_FRAME_SAMPLES, SAMPLE_RATE
from .aec import EchoCanceller
from .config import AudioConfig
from .devices import DeviceInfo, display_name, import_sounddevice, resolve_device
from .echo import EchoPath
from .errors import AudioError
from .pacer import Pacer
from .playout import Finished, PlayoutBuffer
from .recorder import AGENT, MIC, StereoRecorder
from .wavfile import load_wav

__all__ = ["AudioEngine"]

FRAME = AUDIO_FRAME_SAMPLES  # 240 samples = 10 ms at 24 kHz
MIC_BLOCK = 6 * FRAME
"""The mic's PortAudio block: 60 ms. Each block is one callback, one message on the wire and
one frame through the agent's input path, whose costs are per block, not per sample: against
40 ms blocks the console and the job together use about 2.5 points of a core less at idle and
over a turn, for 10 ms more, on average, before the VAD hears a sound (docs/audio.md,
"Latency")."""
_STALL_S = 1.0  # no callback for this long on a running stream = the device/server is gone
_ARM_FRAMES = SAMPLE_RATE // 2  # watch a stream only once it has moved 0.5 s of audio: through
# the ALSA pulse plugin, streams on a loaded machine often stall 1-2 s right after start
_XRUN_STALL_S = 5.0  # ... and after an xrun: the plugin's recovery stalls callbacks about 2 s
_XRUN_RECENT_S = 0.5  # a stall that begins this soon after an xrun is that recovery
# a mic block this much later than the sample clock says: samples were lost
_RECLOCK_S = 1.5 * MIC_BLOCK / SAMPLE_RATE
HOLD_RELEASE_S = 0.5
"""A held agent resumes once the mic has held no talker for this long (no interrupt came)."""
HOLD_MAX_S = 3.0
"""... or after this long at most (the speech may be one the framework must not interrupt)."""


class AudioEngine:
    """The console's audio engine. See ``docs/interfaces.md`` and ``docs/audio.md``."""

    def __init__(
        self,
        config: AudioConfig,
        on_mic_frame: Callable[[bytes], None],
        on_playout: Callable[[float, bool], None],
        on_status: Callable[[dict[str, Any]], None],
        on_heard: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self._on_heard = on_heard
        """Called (audio thread) with the ``time.monotonic()`` a segment's first sample is
        heard (turn timeline)."""
        self._on_mic_frame = on_mic_frame
        self._on_playout = on_playout
        self._on_status = on_status
        self._playout = PlayoutBuffer(SAMPLE_RATE, config.prebuffer)
        self._muted = config.muted
        self._lock = threading.Lock()
        self._evlock = threading.Lock()
        self._started = False
        self._closed = False
        self._sd: Any = None
        self._in_stream: Any = None
        self._out_stream: Any = None
        self._in_name: str | None = None
        self._out_name: str | None = None
        self._virtual_in = False
        self._virtual_out = False
        self._pacer: Pacer | None = None
        self._wav: bytes | None = None
        self._wav_pos = 0
        self._wav_started = not config.wav_waits
        self._wav_name: str | None = None
        self._apm: EchoCanceller | None = None
        self._recorder: StereoRecorder | None = None
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._ev_thread: threading.Thread | None = None
        self._in_residue = np.zeros(0, dtype=np.int16)
        self._in_clock: float | None = None  # capture time of the next mic sample (see _in_cb)
        self._rev_residue = np.zeros(0, dtype=np.int16)
        self._in_frames = 0
        self._out_frames = 0
        self._sumsq = 0.0
        self._nsamp = 0
        self._last_in_cb = 0.0
        self._last_out_cb = 0.0
        self._last_in_xrun = -math.inf
        self._last_out_xrun = -math.inf
        self._problem: str | None = None
        self._echo_last: dict[str, Any] = {}
        self._holding = False
        self._hold_since = 0
        self._hold_blocked = False  # held as long as allowed: no new hold until the mic is quiet
        self.holds = 0
        """Times the agent's audio was held because someone talked over its echo."""
        self.underruns = 0
        """Speaker xruns: PortAudio output underflows (the speaker ran dry: a click or gap)."""
        self.overflows = 0
        """Microphone xruns: PortAudio input overflows (captured audio was lost)."""
        self.in_latency = 0.0
        """Input stream latency reported by PortAudio (seconds; 0 for the virtual mic)."""
        self.out_latency = 0.0
        """Output stream latency reported by PortAudio (seconds; 0 for the null speaker)."""
        self.capture_time = 0.0
        """``time.monotonic()`` when the mic frame being delivered reached the engine (bench)."""

    # -- public API ------------------------------------------------------------------------
    def start(self) -> None:
        """Open the devices / WAV / pacer. Raises :class:`AudioError` (one line)."""
        if self._started:
            return
        self._started = True
        cfg = self.config
        try:
            if cfg.input_wav is not None:
                self._wav = load_wav(cfg.input_wav)
                self._wav_name = Path(cfg.input_wav).name
            want_in = cfg.input_wav is None and cfg.mic_source is None and cfg.use_input_device
            want_out = cfg.use_output_device
            self._virtual_in = not want_in
            self._virtual_out = not want_out
            out_dev = in_dev = None
            if want_in or want_out:
                self._sd = import_sounddevice()
                out_dev = resolve_device(cfg.output_device, "output") if want_out else None
                in_dev = resolve_device(cfg.input_device, "input") if want_in else None
            if cfg.record_dir is not None:
                self._recorder = StereoRecorder(Path(cfg.record_dir) / "audio.wav", SAMPLE_RATE)
            if in_dev is not None and cfg.aec:
                self._apm = EchoCanceller(SAMPLE_RATE, echo=out_dev is not None)
            if out_dev is not None:
                self._out_stream = self._open(out_dev, "output")
                self._out_name = display_name(out_dev, "output")
                self.out_latency = float(self._out_stream.latency)
            if in_dev is not None:
                self._in_stream = self._open(in_dev, "input")
                self._in_name = display_name(in_dev, "input")
                self.in_latency = float(self._in_stream.latency)
            if self._apm is not None:
                self._apm.set_delay(self.in_latency + self.out_latency)
            self._ev_thread = threading.Thread(
                target=self._run_events, name="agentconsole-audio-events", daemon=True
            )
            self._ev_thread.start()
            if self._out_stream is not None:
                self._out_stream.start()
            if self._in_stream is not None:
                self._in_stream.start()
            if self._virtual_in or self._virtual_out:
                self._start_pacer()
        except AudioError:
            self.close()
            raise
        except Exception as exc:  # PortAudio surprises: still one line for the user
            self.close()
            raise AudioError(f"audio start failed: {exc}") from None
        atexit.register(self.close)
        self._request_status()

    def start_wav(self) -> None:
        """Start the ``input_wav`` microphone now (with ``wav_waits``); idempotent."""
        self._wav_started = True

    @property
    def record_start(self) -> float | None:
        """``time.monotonic()`` of sample 0 of ``audio.wav``, or None when not recording."""
        return None if self._recorder is None else self._recorder.t0

    def play(self, pcm: bytes) -> None:
        """Queue agent audio (PCM16 mono at ``SAMPLE_RATE``, any length). Thread-safe."""
        self._playout.push(pcm)

    def end_segment(self) -> None:
        """The agent finished this segment; ``on_playout(seconds, False)`` fires once heard."""
        self._playout.end_segment()

    def clear(self) -> None:
        """Interrupt: drop queued audio now; ``on_playout(position, True)`` fires per segment."""
        now = time.monotonic()
        with self._evlock:
            done = self._playout.pop_finished()
            for f in done:
                self._events.put(("playout", (now, f)))
            # what is still in the device buffer has not been heard yet (held: it has drained)
            lag = 0.0 if self._playout.held else self.out_latency
            for f in self._playout.clear():
                heard = max(0.0, f.seconds - lag) if f.seconds else 0.0
                self._events.put(("playout", (now, Finished(heard, True))))
            self._events.put(("flush", None))

    def set_muted(self, on: bool) -> None:
        """Mute the microphone: frames keep flowing, as silence."""
        self._muted = bool(on)
        self._request_status()

    @property
    def muted(self) -> bool:
        """Whether the microphone is muted."""
        return self._muted

    @property
    def starved(self) -> int:
        """Times agent audio ran dry mid-segment (the producer was slower than real time)."""
        return self._playout.starved

    def status(self) -> dict[str, Any]:
        """The current ``audio`` event (without ``t``); ``level`` is mic RMS in dBFS."""
        with self._lock:
            level = -100.0
            if self._nsamp:
                rms = math.sqrt(self._sumsq / self._nsamp)
                level = round(max(-100.0, 20 * math.log10(max(rms, 1e-9))), 1)
            self._sumsq, self._nsamp = 0.0, 0
        if self._wav_name is not None:
            inp: str | None = f"{self._wav_name} (WAV)"
        else:
            inp = None if self._virtual_in else self._in_name
        return {
            "type": "audio",
            "input": inp,
            "output": None if self._virtual_out else self._out_name,
            "muted": self._muted,
            "aec": self._apm is not None and self._apm.echo and not self._virtual_out,
            "level": level,
            "underruns": self.underruns,
            "overflows": self.overflows,
            "problem": self._problem,
            "held": self._holding,
            **self._echo_status(),
        }

    def _echo_status(self) -> dict[str, Any]:
        """``echo_db`` (the speaker heard in the mic, dB re what was played; None: no echo path),
        ``erle_db`` (how far the canceller brings that echo down; None: not measured) and
        ``canceller`` (``"linear"`` or ``"aec3"``: whose output the mic hands on)."""
        apm = self._apm if not self._virtual_out else None
        path = apm.path if apm is not None else None
        if apm is None or path is None or not path.echo:
            return {"echo_db": None, "erle_db": None, "canceller": None}
        echo_db, erle = path.echo_db, apm.erle_db
        return {
            "echo_db": None if echo_db is None else round(echo_db, 1),
            "erle_db": None if erle is None else round(erle, 1),
            "canceller": "linear" if apm.linear_in_use else "aec3",
        }

    def close(self) -> None:
        """Stop everything and finalise the recording. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        if self._pacer is not None:
            self._pacer.stop()
        for stream in (self._in_stream, self._out_stream):
            _close_stream(stream)
        self._in_stream = self._out_stream = None
        self._events.put(("stop", None))
        if self._ev_thread is not None and self._ev_thread is not threading.current_thread():
            self._ev_thread.join(timeout=2.0)
        if self._recorder is not None:
            self._recorder.close()

    # -- devices -----------------------------------------------------------------------------
    def _open(self, dev: DeviceInfo, kind: str) -> Any:
        sd = self._sd
        cls = sd.InputStream if kind == "input" else sd.OutputStream
        cb = self._in_cb if kind == "input" else self._out_cb
        latency = self.config.latency
        if kind == "output" and self.config.output_latency is not None:
            latency = self.config.output_latency
        try:
            return cls(
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="int16",
                device=dev.index,
                # The mic in fixed blocks (MIC_BLOCK): with the host's choice (blocksize 0)
                # PortAudio's ALSA loop polls far more often and cost 2.5 times the CPU
                # (docs/audio.md, "Latency"). The speaker keeps the host's choice: fixed sizes
                # stalled the pulse plugin there.
                blocksize=MIC_BLOCK if kind == "input" else 0,
                latency=latency,
                callback=cb,
            )
        except (sd.PortAudioError, ValueError) as exc:
            what = "microphone" if kind == "input" else "speaker"
            raise AudioError(
                f"cannot open {what} {dev.name!r} (ID {dev.index}) at {SAMPLE_RATE} Hz mono: {exc}"
            ) from None

    def _in_cb(self, indata: Any, frames: int, _time: Any, status: Any) -> None:
        now = time.monotonic()
        self._last_in_cb = now
        self._in_frames += frames
        if status.input_overflow:
            self.overflows += 1
            self._last_in_xrun = now
        if self._virtual_in or self._closed:
            return
        # a copy: indata is PortAudio's buffer, reused once the callback returns, and the
        # recording keeps the frames until its next flush
        pcm = np.concatenate([self._in_residue, indata[:, 0]])  # PortAudio may vary the block
        n = pcm.size - pcm.size % FRAME
        self._in_residue = pcm[n:].copy()
        # The block's first sample by the wall clock is late by however long the callback was
        # held up (the GIL, the pulse plugin's bursts), by up to a block or more, and the
        # recording places frames by these times. Counted in samples from the earliest such
        # estimate it is not; a block far later than the count says means samples were lost.
        est = now - self.in_latency - pcm.size / SAMPLE_RATE
        clock = self._in_clock
        if clock is None or est < clock or est - clock > _RECLOCK_S:
            clock = est
        self._in_clock = clock + n / SAMPLE_RATE
        t0 = clock
        # processed 10 ms at a time, handed over as one block: the job's per-frame work (the
        # framework's input path, two resamplers, two VAD streams) is paid once per block,
        # and the first 10 ms had to wait for the rest of the block anyway
        block = [
            self._mic_frame(pcm[i : i + FRAME], t0 + i / SAMPLE_RATE, now, device=True)
            for i in range(0, n, FRAME)
        ]
        if block:
            self._deliver_mic(b"".join(block))

    def _out_cb(self, outdata: Any, frames: int, _time: Any, status: Any) -> None:
        now = time.monotonic()
        self._last_out_cb = now
        self._out_frames += frames
        if status.output_underflow:
            self.underruns += 1
            self._last_out_xrun = now
        if self._virtual_out or self._closed:
            outdata.fill(0)
            return
        data = self._playout.read(frames)
        outdata[:, 0] = data
        if self._apm is not None:
            rev = np.concatenate([self._rev_residue, data]) if self._rev_residue.size else data
            n = rev.size - rev.size % FRAME
            for i in range(0, n, FRAME):
                self._apm.reverse(rev[i : i + FRAME])
            self._rev_residue = rev[n:].copy()
        self._played(data, now + self.out_latency)

    # -- shared paths ------------------------------------------------------------------------
    def _mic_frame(
        self, frame: npt.NDArray[np.int16], t_capture: float, arrived: float, device: bool
    ) -> bytes:
        """Process, meter and record 10 ms of mic audio; return what the job is to hear."""
        self.capture_time = arrived
        if device and self._apm is not None:
            frame = self._apm.process(frame)
            if self._apm.path is not None:
                self._hold_for_talker(self._apm.path)
        f = frame.astype(np.float32)
        with self._lock:
            self._sumsq += float(np.dot(f, f)) / (32768.0 * 32768.0)
            self._nsamp += f.size
        if self._muted:
            frame = np.zeros(FRAME, dtype=np.int16)
        if self._recorder is not None:
            self._recorder.write(MIC, frame, t_capture)
        return frame.tobytes()

    def _hold_for_talker(self, path: EchoPath) -> None:
        """Hold the agent's audio while someone talks over its echo (mic thread, per 10 ms).

        With the speaker heard in the mic, AEC3 suppresses a user talking over the agent
        until the agent stops, and the first words reach the STT in fragments
        (docs/audio.md). Held, the speaker goes quiet within 10 ms, the canceller stops
        suppressing, and the user's words come through while the framework decides whether
        to interrupt. Its interrupt drops the held audio; if it does not interrupt (a cough,
        a short "mm-hm", speech it must not interrupt), the audio resumes where it stopped
        once the mic has been quiet for :data:`HOLD_RELEASE_S`, or after :data:`HOLD_MAX_S`.
        """
        quiet = (path.frames - path.last_talk) * 0.01
        if not self._holding:
            if self._hold_blocked:
                self._hold_blocked = quiet < HOLD_RELEASE_S
                return
            # muted: the user is talking to someone else, not to the agent
            if (
                path.talking_over
                and not self._muted
                and self._apm is not None
                and self._apm.cancelling
            ):
                if self._playout.busy:
                    self._holding, self._hold_since = True, path.frames
                    self._playout.hold(True)
                    self.holds += 1
                    self._request_status()
            return
        held = (path.frames - self._hold_since) * 0.01
        done = quiet >= HOLD_RELEASE_S or held >= HOLD_MAX_S or self._muted
        if done or not self._playout.busy:
            self._holding = False
            self._hold_blocked = held >= HOLD_MAX_S
            self._playout.hold(False)
            self._request_status()

    def _deliver_mic(self, pcm: bytes) -> None:
        try:
            self._on_mic_frame(pcm)
        except Exception as exc:  # never let a consumer bug kill the audio thread
            self._report(f"on_mic_frame failed: {exc!r}")

    def _played(self, data: npt.NDArray[np.int16], t_heard: float) -> None:
        if self._recorder is not None:
            self._recorder.write(AGENT, data, t_heard)
        due = t_heard + data.size / SAMPLE_RATE
        starts = self._playout.pop_starts()
        if starts and self._on_heard is not None:
            for pos in starts:
                self._call(self._on_heard, t_heard + pos / SAMPLE_RATE)
        with self._evlock:
            for f in self._playout.pop_finished():
                self._events.put(("playout", (due, f)))

    def _tick(self, t: float) -> None:
        if self._virtual_in:
            source = self.config.mic_source
            if source is not None:
                chunk = source.read(2 * FRAME)
                frame = np.zeros(FRAME, dtype=np.int16)
                n = min(len(chunk), 2 * FRAME) // 2
                frame[:n] = np.frombuffer(chunk[: 2 * n], dtype="<i2")
            elif self._wav is not None and self._wav_started and self._wav_pos < len(self._wav):
                chunk = self._wav[self._wav_pos : self._wav_pos + 2 * FRAME]
                self._wav_pos += 2 * FRAME
                frame = np.zeros(FRAME, dtype=np.int16)
                frame[: len(chunk) // 2] = np.frombuffer(chunk, dtype="<i2")
            else:
                frame = np.zeros(FRAME, dtype=np.int16)
            self._deliver_mic(self._mic_frame(frame, t, time.monotonic(), device=False))
        if self._virtual_out:
            self._played(self._playout.read(FRAME), t)

    def _start_pacer(self) -> None:
        with self._lock:
            if self._pacer is None and not self._closed:
                self._pacer = Pacer(self._tick)
                self._pacer.start()

    # -- events thread -----------------------------------------------------------------------
    def _request_status(self) -> None:
        self._events.put(("status", None))

    def _report(self, problem: str) -> None:
        if self._problem is None:
            self._problem = problem
            self._request_status()

    def _run_events(self) -> None:
        pending: collections.deque[tuple[float, Finished]] = collections.deque()
        period = 1.0 / self.config.status_hz if self.config.status_hz > 0 else math.inf
        next_status = time.monotonic() + period
        while True:
            now = time.monotonic()
            wake = min(next_status, now + 0.1)
            if pending:
                wake = min(wake, pending[0][0])
            try:
                kind, arg = self._events.get(timeout=max(0.0, wake - now))
            except queue.Empty:
                kind, arg = "", None
            now = time.monotonic()
            if kind == "stop":
                return
            if kind == "playout":
                pending.append(arg)
            elif kind == "flush":  # clear(): everything queued so far fires now, in order
                pending = collections.deque((min(d, now), f) for d, f in pending)
            while pending and pending[0][0] <= now:
                _, f = pending.popleft()
                self._call(self._on_playout, round(f.seconds, 4), f.interrupted)
            self._watchdog(now)
            if self._echo_changed():
                kind = "status"
            if kind == "status" or now >= next_status:
                self._call(self._on_status, self.status())
                if now >= next_status:
                    next_status = max(next_status + period, now)

    def _echo_changed(self) -> bool:
        """An echo path appeared or went, the canceller in use changed, or the echo's level or
        ERLE moved by 3 dB or more since the last check that said so (headless sends status
        only on changes)."""
        now = self._echo_status()
        last, self._echo_last = self._echo_last, now
        if last.get("canceller") != now.get("canceller"):
            return True
        for key in ("echo_db", "erle_db"):
            a, b = last.get(key), now.get(key)
            if (a is None) != (b is None) or (a is not None and b is not None and abs(a - b) >= 3):
                return True
        self._echo_last = last  # small drifts accumulate against the last reported values
        return False

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:  # a consumer bug must not stop playout tracking
            if fn is not self._on_status:
                self._report(f"audio callback failed: {exc!r}")

    def _watchdog(self, now: float) -> None:
        if self._closed:
            return
        for kind in ("input", "output"):
            stream = self._in_stream if kind == "input" else self._out_stream
            last = self._last_in_cb if kind == "input" else self._last_out_cb
            moved = self._in_frames if kind == "input" else self._out_frames
            xrun = self._last_in_xrun if kind == "input" else self._last_out_xrun
            # an xrun (a late callback: a busy machine, the GIL) makes the pulse plugin stall
            # while it recovers; only a longer silence means the device or server is gone
            limit = _XRUN_STALL_S if last - xrun < _XRUN_RECENT_S else _STALL_S
            if stream is None or moved < _ARM_FRAMES or now - last < limit:
                continue
            name = self._in_name if kind == "input" else self._out_name
            if kind == "input":
                self._in_stream, self._virtual_in = None, True
            else:
                self._out_stream, self._virtual_out = None, True
            # closing can block inside PortAudio; never block the events thread on it
            threading.Thread(target=_close_stream, args=(stream,), daemon=True).start()
            self._report(
                f"audio {kind} {name!r} stopped responding (sound server gone?); "
                "continuing without it"
            )
            self._start_pacer()


def _close_stream(stream: Any) -> None:
    if stream is None:
        return
    try:
        stream.abort(ignore_errors=True)
        stream.close(ignore_errors=True)
    except Exception:  # the device is gone anyway
        pass
