"""``EchoPath``: is the speaker heard by the microphone, how loudly, and how well is it cancelled?

WebRTC's AEC3, before its adaptive filter has found an echo, assumes one is there and
suppresses the microphone wherever the far end is loud. With no echo path at all (headphones,
a virtual mic) its filter never converges, so a user talking over the agent is suppressed for
good: on the test rig the barge-in came out 16 dB down and the STT heard nothing or the wrong
words (docs/audio.md, "Echo cancellation"). ``livekit.rtc.AudioProcessingModule`` exposes no
statistics and no AEC3 settings, so the console measures the echo path itself:

* the played signal and the raw microphone are kept (8 kHz, the last 2.3 s);
* twice a second the normalised cross-correlation over lags 0..800 ms tells whether the mic
  carries a delayed copy of what was played (``rho``), with its gain (the echo return loss);
* the cancelled output against the raw mic while only echo is present gives ERLE;
* every 10 ms, the raw mic against the echo the played signal predicts through that path
  tells when someone talks over the agent (``talking_over``): the engine then holds the
  agent's audio, so AEC3 stops suppressing the user (docs/audio.md, "Talking over the agent").

The verdict has hysteresis: two clear echo windows at one delay turn cancellation on (once an
echo path is known, one is enough to refresh it); it goes off only after
two windows in which the agent played all along and the mic was either uncorrelated and
quieter than the known echo path would make it, or far too quiet to contain any echo. A
session starts with cancellation on.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import numpy.typing as npt

__all__ = ["EchoPath"]

_DECIM = 3  # 24 kHz -> 8 kHz for the analysis
_WINDOW_S = 1.5  # capture analysed per verdict
_MAX_LAG_S = 0.8  # render -> capture delays searched (stream latencies + the acoustic path)
_HOP_S = 0.5  # a verdict this often
_RENDER_ACTIVE = 10 ** (-50 / 10)  # mean square of the played signal that counts as playing
_ECHO_RHO = 0.3  # correlation that proves an echo path
_NO_ECHO_RHO = 0.15  # below this, the mic is not (mostly) the speaker
_SILENT_MIC = 10 ** (-60 / 10)  # mic this far under the played signal: no echo in it
_ECHO_ONLY_RHO = 0.6  # windows this correlated are echo alone: ERLE is measured on them
_OFF_WINDOWS = 2
_SAME_LAG_S = 0.005  # two windows agree on the echo's delay
# Talking over the agent: the mic this much louder than the echo the played signal predicts
# (the echo alone matches the prediction; a talker as loud as the echo doubles the energy)
_OVER_RATIO = 2.0
_OVER_FRAMES = 3  # 30 ms in a row
_OVER_FLOOR = 10 ** (-50 / 10)  # mean square under which the mic holds no talker
_OVER_EARLY_S = 0.04  # the echo may come this much sooner than the measured delay (the
# callbacks' blocks make the measured delay vary by tens of ms)
_OVER_TAIL_S = 0.2  # ... and ring on this long (a room's reverberation),
_OVER_DECAY_DB_S = 100.0  # decaying this fast (a reverberation time of 0.6 s)


class _History:
    """The last ``size`` samples pushed, as one contiguous view (:attr:`view`).

    Pushing into a buffer twice that size and moving the newest ``size`` samples back to its
    start only when it is full costs one copy per ``size`` samples pushed; shifting the whole
    history on every 10 ms frame (2.3 s of it, three histories) was most of this module's
    cost at idle.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._buf = np.zeros(2 * size, dtype=np.float32)
        self._end = size  # the history is _buf[_end - size : _end]

    def push(self, x: npt.NDArray[np.float32]) -> None:
        k = x.size
        if k >= self.size:
            self._buf[: self.size] = x[-self.size :]
            self._end = self.size
            return
        if self._end + k > self._buf.size:
            self._buf[: self.size - k] = self._buf[self._end - self.size + k : self._end]
            self._end = self.size - k
        self._buf[self._end : self._end + k] = x
        self._end += k

    @property
    def view(self) -> npt.NDArray[np.float32]:
        """The history, oldest sample first (a view: copy it to keep it)."""
        return self._buf[self._end - self.size : self._end]


class EchoPath:
    """Echo-path detection and ERLE from the played signal and the raw and cancelled mic.

    ``render`` is called from the output callback, ``capture`` from the input callback (each
    with 10 ms int16 frames at ``rate``); ``echo`` is the current verdict.
    """

    def __init__(self, rate: int) -> None:
        self._rate = rate // _DECIM
        self._win = int(_WINDOW_S * self._rate)
        self._lag = int(_MAX_LAG_S * self._rate)
        self._hop = int(_HOP_S * self._rate)
        self._lock = threading.Lock()
        self._render = _History(self._win + self._lag)
        self._mic = _History(self._win)
        self._out = _History(self._win)
        self._since = 0
        self._n = 1
        while self._n < 2 * self._win + self._lag:
            self._n *= 2
        self.echo = True
        """True while the mic may carry the speaker (cancel); False once shown otherwise."""
        self.gain: float | None = None
        """Echo path gain (linear) from the last window that proved an echo; None: none seen."""
        self.delay: float | None = None
        """Render -> capture delay of that echo, seconds (push time to arrival time)."""
        self._offset: int | None = None
        """The same delay counted in samples of the two streams: the mic's sample ``c`` holds
        the echo of the played sample ``c - _offset``.

        The callbacks push whole blocks, each stream at its own pace, so when a capture
        block arrives the played history ends a varying number of samples ahead of the mic's
        (up to a render block, as the two streams' blocks slide past each other). A delay
        read off the two histories' ends wanders with that: two values 30 ms apart with 40 ms
        mic blocks, which "two windows at one delay" never accepted. Counted in samples it
        stays put."""
        self._rendered = 0  # samples pushed so far (at the analysis rate), played
        self._captured = 0  # ... and captured
        self.erle_db: float | None = None
        """Echo return loss enhancement (dB, smoothed); None until measured on echo alone."""
        self.rho = 0.0
        """Correlation of the last window (0..1)."""
        self._quiet = 0
        self._cand: int | None = None  # the offset (samples) of the last correlated window
        self.talking_over = False
        """Someone is talking over the echo: the mic is well above what the played signal
        predicts through the known echo path, for 30 ms (see :meth:`capture`)."""
        self.last_talk = -math.inf
        """Capture count (10 ms frames) when the mic last held more than the echo."""
        self.frames = 0
        """10 ms capture frames seen."""
        self._over = 0
        self._tail_weights: npt.NDArray[np.float32] | None = None

    @staticmethod
    def _decimate(frame: npt.NDArray[np.int16]) -> npt.NDArray[np.float32]:
        n = frame.size - frame.size % _DECIM
        # the ufunc's reduce, then one scale: ndarray.mean (and .sum) go through Python
        # wrappers, a dozen calls per 10 ms frame on each of the two callback threads
        out: npt.NDArray[np.float32] = np.add.reduce(
            frame[:n].reshape(-1, _DECIM), axis=1, dtype=np.float32
        )
        out *= 1.0 / (_DECIM * 32768.0)
        return out

    def render(self, frame: npt.NDArray[np.int16]) -> None:
        """What was handed to the speaker (10 ms)."""
        x = self._decimate(frame)
        with self._lock:
            self._render.push(x)
            self._rendered += x.size

    def capture(self, raw: npt.NDArray[np.int16], out: npt.NDArray[np.int16]) -> None:
        """The mic before and after cancellation (10 ms); may update the verdict."""
        x, y = self._decimate(raw), self._decimate(out)
        with self._lock:
            self._mic.push(x)
            self._out.push(y)
            self._captured += x.size
            self._talk_over(x)
            self._since += x.size
            if self._since < self._hop:
                return
            self._since = 0
            render = self._render.view.copy()
            mic = self._mic.view.copy()
            cancelled = self._out.view.copy()
            ahead = self._rendered - self._captured
        self._analyse(render, mic, cancelled, ahead)

    def _talk_over(self, x: npt.NDArray[np.float32]) -> None:
        """Compare the new 10 ms of mic with the echo the played signal predicts.

        The prediction is the echo path's gain on the loudest 10 ms that was played around
        the measured delay: from 40 ms sooner to 200 ms later, the later part weighted down
        100 dB a second (a room's echo rings on after the sound that made it). An echo alone
        stays under it; a user talking over the agent adds their own energy. Without a known
        echo path there is nothing to compare with.
        """
        self.frames += 1
        e_mic = float(np.dot(x, x)) / x.size
        if e_mic < _OVER_FLOOR:
            self._over = 0
            self.talking_over = False
            return
        if not self.echo or self.gain is None or self._offset is None:
            self._over = 0
            self.talking_over = False
            self.last_talk = self.frames
            return
        n = x.size
        early, tail = int(_OVER_EARLY_S * self._rate), int(_OVER_TAIL_S * self._rate)
        # the newest played sample the mic can hold now, counted back from the newest played
        back = self._rendered - self._captured + self._offset
        end = self._render.size - back + early
        start = max(end - n - early - tail, 0)
        seg = self._render.view[start:end]
        if seg.size < n:
            predicted = 0.0
        else:
            c = np.concatenate([[0.0], np.cumsum(seg.astype(np.float64) ** 2)])
            energy = (c[n:] - c[:-n]) / n  # of each 10 ms window, oldest first
            if self._tail_weights is None or self._tail_weights.size != energy.size:
                age = np.arange(energy.size)[::-1] - early  # samples past the echo's delay
                decay = np.maximum(age, 0) / self._rate * _OVER_DECAY_DB_S
                self._tail_weights = (10 ** (-decay / 10)).astype(np.float32)
            predicted = self.gain**2 * float((energy * self._tail_weights).max())
        if e_mic > _OVER_RATIO * predicted:
            self._over += 1
            self.last_talk = self.frames
        else:
            self._over = 0
        self.talking_over = self._over >= _OVER_FRAMES

    def _analyse(
        self,
        render: npt.NDArray[np.float32],
        mic: npt.NDArray[np.float32],
        cancelled: npt.NDArray[np.float32],
        ahead: int,
    ) -> None:
        """One verdict on the histories; ``ahead``: how many more samples had been played
        than captured when they were taken (see :attr:`_offset`)."""
        w, lag = self._win, self._lag
        e_render = float(np.dot(render, render)) / render.size
        if e_render < _RENDER_ACTIVE:
            return  # nothing played: no evidence either way
        e_mic = float(np.dot(mic, mic))
        # xc[m] = sum_t mic[t] * render[t + m]; the echo of render delayed by d is at m = lag - d
        spec = np.conj(np.fft.rfft(mic, self._n)) * np.fft.rfft(render, self._n)
        xc = np.fft.irfft(spec, self._n)[: lag + 1]
        csum = np.concatenate([[0.0], np.cumsum(render.astype(np.float64) ** 2)])
        e_seg = csum[w : w + lag + 1] - csum[: lag + 1]  # energy of render[m : m + w]
        valid = e_seg > _RENDER_ACTIVE * w * 0.3
        if not valid.any():
            return
        norm = np.sqrt(np.maximum(e_seg, 1e-20) * max(e_mic, 1e-20))
        rho_all = np.where(valid, np.abs(xc) / norm, 0.0)
        m = int(np.argmax(rho_all)) if e_mic > 0 else int(np.argmax(e_seg))
        rho = float(rho_all[m]) if e_mic > 0 else 0.0
        self.rho = rho
        gain = abs(float(xc[m])) / max(float(e_seg[m]), 1e-20)
        if rho >= _ECHO_RHO:
            offset = (lag - m) - ahead
            # A real echo path keeps its delay; two voices can correlate by chance (two
            # synthetic voices with one pitch do) but not at one lag twice in a row.
            consistent = (
                self._cand is not None and abs(offset - self._cand) <= _SAME_LAG_S * self._rate
            )
            self._cand = offset
            if not consistent and self.gain is None:
                return
            self.echo, self._quiet = True, 0
            self.gain, self.delay, self._offset = gain, (lag - m) / self._rate, offset
            if rho >= _ECHO_ONLY_RHO:
                e_out = float(np.dot(cancelled, cancelled))
                erle = 10 * math.log10(max(e_mic, 1e-20) / max(e_out, e_mic * 1e-8, 1e-20))
                self.erle_db = erle if self.erle_db is None else 0.7 * self.erle_db + 0.3 * erle
            return
        self._cand = None
        # Evidence against an echo only when something was played at every delay searched:
        # right after the agent starts (or stops) the mic may simply not hold its echo yet.
        e_min = float(e_seg.min())
        if e_min < _RENDER_ACTIVE * w * 0.3:
            return
        silent = e_mic < _SILENT_MIC * e_min
        expected = (self.gain or 0.0) ** 2 * e_min  # the least a known echo path would add
        unrelated = rho < _NO_ECHO_RHO and (self.gain is None or e_mic < 0.25 * expected)
        if silent or unrelated:
            self._quiet += 1
            if self._quiet >= _OFF_WINDOWS:
                self.echo = False
                self.gain = self.delay = self.erle_db = self._offset = None
        else:
            self._quiet = 0

    @property
    def history_delay(self) -> float | None:
        """The echo's delay as it stands between the played and captured streams now
        (seconds): the mic's newest sample holds the echo of the sample played this long
        before the newest one played. None without a measured echo path."""
        if self._offset is None:
            return None
        return (self._rendered - self._captured + self._offset) / self._rate

    @property
    def echo_db(self) -> float | None:
        """The echo path level (dB: the speaker in the mic relative to what was played)."""
        if not self.echo or self.gain is None:
            return None
        return 20 * math.log10(max(self.gain, 1e-6))
