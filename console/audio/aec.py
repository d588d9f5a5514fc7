"""WebRTC audio processing (echo cancellation, noise suppression, high-pass) on 10 ms frames.

A thin wrapper over ``livekit.rtc.AudioProcessingModule``: the reverse (far-end) stream is fed
from what the output callback actually hands to the device, the capture stream from the mic
callback. PortAudio's DAC/ADC timestamps are unusable through the ALSA pulse plugin
(research/audio-rig.md), so the delay hint is the sum of the two streams' reported latencies;
WebRTC's AEC3 refines the alignment itself from the signals.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

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
        self.delay_ms = 0

    def set_delay(self, seconds: float) -> None:
        """Set the render->capture delay hint (clamped to what WebRTC accepts)."""
        self.delay_ms = max(0, min(500, round(seconds * 1000)))

    def reverse(self, frame: npt.NDArray[np.int16]) -> None:
        """Feed 10 ms of what is being played (not modified)."""
        if not self.echo:
            return
        f = self._rtc.AudioFrame(bytearray(frame.tobytes()), self.rate, 1, self.samples)
        self._apm.process_reverse_stream(f)

    def process(self, frame: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """Return 10 ms of microphone audio with echo and noise removed."""
        f = self._rtc.AudioFrame(bytearray(frame.tobytes()), self.rate, 1, self.samples)
        if self.echo:
            try:
                self._apm.set_stream_delay_ms(self.delay_ms)
            except RuntimeError:
                pass  # WebRTC rejects out-of-range hints; LiveKit's console ignores it too
        self._apm.process_stream(f)
        return np.frombuffer(f.data, dtype=np.int16).copy()
