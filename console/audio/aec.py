"""WebRTC audio processing (echo cancellation, noise suppression, high-pass) on 10 ms frames.

Two ``livekit.rtc.AudioProcessingModule`` instances:

* the canceller (echo cancellation + noise suppression + high-pass), whose reverse (far-end)
  stream is fed with exactly what the output callback hands to the device;
* the plain path (noise suppression + high-pass, no far end).

:class:`~.linear.LinearEcho`, the linear canceller, runs beside the canceller while there is an
echo path: once it predicts the echo closely enough (``locked``), the plain path runs on its
output and that is what the mic hands on, because it lets a user talking over the agent
through where AEC3's suppressor cuts them (docs/audio.md, "Talking over the agent: the linear
canceller").

:class:`~.echo.EchoPath` decides from the signals whether the speaker is heard by the mic at
all. While it is, the canceller's output is used; while it is not, the plain path's, because
AEC3 with no echo to converge on keeps suppressing the user whenever the agent talks (the
mangled barge-ins of docs/audio.md). Both run while the verdict is echo (or not yet known), so
the canceller stays adapted and a switch to the plain path is a 10 ms crossfade. Once no echo
path is found, the canceller and its reverse stream stop (two of the three APM calls per
10 ms, the console's largest cost while idle); if an echo path appears later, a fresh
canceller starts, as at the start of a session.

PortAudio's DAC/ADC timestamps are unusable through the ALSA pulse plugin
(research/audio-rig.md), so the delay hint is the sum of the two streams' reported latencies;
AEC3 estimates the actual delay itself from the signals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .echo import EchoPath
from .linear import LinearEcho

__all__ = ["EchoCanceller"]

_TALK_FRAMES = 30  # the mic held more than the echo this recently (10 ms frames): double talk


class EchoCanceller:
    """APM for one capture stream at ``rate``; frames must be exactly 10 ms of int16 mono."""

    def __init__(self, rate: int, *, echo: bool = True, linear: bool = True) -> None:
        from livekit import rtc  # lazy: only device mics need it

        self._rtc = rtc
        self.rate = rate
        self.samples = rate // 100
        self.echo = echo
        self._apm = rtc.AudioProcessingModule(
            echo_cancellation=echo, noise_suppression=True, high_pass_filter=True
        )
        self._plain: Any = None
        self.path: EchoPath | None = None
        """The echo-path verdict and ERLE (None without a far end)."""
        self.linear: LinearEcho | None = None
        """The linear canceller used while it cancels well enough (None without a far end)."""
        if echo:
            self._plain = rtc.AudioProcessingModule(noise_suppression=True, high_pass_filter=True)
            self.path = EchoPath(rate)
            self.linear = LinearEcho(rate) if linear else None
        self._using_aec = True
        self._using_linear = False
        self._idle_canceller = False  # stopped while no echo path: rebuilt when one appears
        self._ramp = np.linspace(0.0, 1.0, self.samples, dtype=np.float32)
        self.delay_ms = 0

    def set_delay(self, seconds: float) -> None:
        """Set the render->capture delay hint (clamped to what WebRTC accepts)."""
        self.delay_ms = max(0, min(500, round(seconds * 1000)))

    def reverse(self, frame: npt.NDArray[np.int16]) -> None:
        """Feed 10 ms of what is being played (not modified)."""
        if not self.echo:
            return
        if not self._idle_canceller:
            f = self._rtc.AudioFrame(bytearray(frame.tobytes()), self.rate, 1, self.samples)
            self._apm.process_reverse_stream(f)
        if self.path is not None:
            self.path.render(frame)
        if self.linear is not None:
            self.linear.render(frame)

    def _run(self, apm: Any, frame: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        f = self._rtc.AudioFrame(bytearray(frame.tobytes()), self.rate, 1, self.samples)
        apm.process_stream(f)
        return np.frombuffer(f.data, dtype=np.int16).copy()

    def process(self, frame: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """Return 10 ms of microphone audio with echo and noise removed."""
        if self.path is None:  # no far end: the one APM, no echo cancellation
            return self._run(self._apm, frame)
        linear = self._linear(frame)
        plain = self._run(self._plain, frame if linear is None else linear)
        if self._idle_canceller:
            self.path.capture(frame, plain)
            if not self.path.echo:
                return plain
            # an echo path appeared: a fresh canceller (the old one missed the audio since)
            self._apm = self._rtc.AudioProcessingModule(
                echo_cancellation=True, noise_suppression=True, high_pass_filter=True
            )
            self._idle_canceller = False
        try:
            self._apm.set_stream_delay_ms(self.delay_ms)
        except RuntimeError:
            pass  # WebRTC rejects out-of-range hints; LiveKit's console ignores it too
        cancelled = self._run(self._apm, frame)
        use_linear = linear is not None and self.linear is not None and self.linear.locked
        self.path.capture(frame, plain if use_linear else cancelled)
        want = self.path.echo
        if not want and not self._using_aec:
            self._idle_canceller = True  # on the plain path since the last frame: stop it
        was = self._output(self._using_aec, self._using_linear, cancelled, plain)
        self._using_aec, self._using_linear = want, want and use_linear
        now = self._output(self._using_aec, self._using_linear, cancelled, plain)
        if was is now:
            return now
        mixed = was.astype(np.float32) * (1 - self._ramp) + now.astype(np.float32) * self._ramp
        return mixed.astype(np.int16)

    def _linear(self, frame: npt.NDArray[np.int16]) -> npt.NDArray[np.int16] | None:
        """The linear canceller's output for this frame while it predicts the echo (the plain
        path runs on it from then on, used or not, so that switching to it needs no restart
        of the noise suppressor's state); None otherwise."""
        path, linear = self.path, self.linear
        if path is None or linear is None:
            return None
        # someone may be talking over the echo: the filter and delay must not adapt to them
        talking = path.frames - path.last_talk < _TALK_FRAMES
        # the linear canceller counts from its own newest played sample, as history_delay does
        return linear.capture(frame, path.history_delay if path.echo else None, talking)

    @staticmethod
    def _output(
        aec: bool,
        linear: bool,
        cancelled: npt.NDArray[np.int16],
        plain: npt.NDArray[np.int16],
    ) -> npt.NDArray[np.int16]:
        # the plain path carries the linear canceller's output while that is in use
        return plain if linear or not aec else cancelled

    @property
    def erle_db(self) -> float | None:
        """How far the echo in use is brought down (dB, on echo alone; None: not measured).

        The linear canceller's own figure while its output is in use: it lets a user talking
        over the echo through, so a measure on windows that merely correlate with the echo
        (the echo path's) would count the user as echo left over.
        """
        if self._using_linear and self.linear is not None and self.linear.erle_db is not None:
            return self.linear.erle_db
        return None if self.path is None else self.path.erle_db

    @property
    def linear_in_use(self) -> bool:
        """Whether the linear canceller's output is what the mic hands on."""
        return self._using_linear

    @property
    def cancelling(self) -> bool:
        """Whether the canceller's output is in use (an echo path is present or not ruled out)."""
        return self._using_aec
