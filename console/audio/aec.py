"""WebRTC audio processing (echo cancellation, noise suppression, high-pass) on 10 ms frames.

Two ``livekit.rtc.AudioProcessingModule`` instances:

* the canceller (echo cancellation + noise suppression + high-pass), whose reverse (far-end)
  stream is fed with exactly what the output callback hands to the device;
* the plain path (noise suppression + high-pass, no far end).

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

__all__ = ["EchoCanceller"]


class EchoCanceller:
    """APM for one capture stream at ``rate``; frames must be exactly 10 ms of int16 mono."""

    def __init__(self, rate: int, *, echo: bool = True) -> None:
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
        if echo:
            self._plain = rtc.AudioProcessingModule(noise_suppression=True, high_pass_filter=True)
            self.path = EchoPath(rate)
        self._using_aec = True
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

    def _run(self, apm: Any, frame: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        f = self._rtc.AudioFrame(bytearray(frame.tobytes()), self.rate, 1, self.samples)
        apm.process_stream(f)
        return np.frombuffer(f.data, dtype=np.int16).copy()

    def process(self, frame: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """Return 10 ms of microphone audio with echo and noise removed."""
        if self.path is None:  # no far end: the one APM, no echo cancellation
            return self._run(self._apm, frame)
        plain = self._run(self._plain, frame)
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
        self.path.capture(frame, cancelled)
        want = self.path.echo
        if not want and not self._using_aec:
            self._idle_canceller = True  # on the plain path since the last frame: stop it
        if want == self._using_aec:
            return cancelled if want else plain
        self._using_aec = want
        a, b = (plain, cancelled) if want else (cancelled, plain)  # fade from a to b
        mixed = a.astype(np.float32) * (1 - self._ramp) + b.astype(np.float32) * self._ramp
        return mixed.astype(np.int16)

    @property
    def cancelling(self) -> bool:
        """Whether the canceller's output is in use (an echo path is present or not ruled out)."""
        return self._using_aec
