"""``LinearEcho``: a linear echo canceller that follows a drifting delay, for double talk.

AEC3 removes echo in two stages, a linear filter and a nonlinear suppressor, and
``livekit.rtc.AudioProcessingModule`` gives only the output of both. While the agent talks and
its echo is loud, the suppressor takes the user's first words along with the echo (the mangled
barge-ins of docs/audio.md, "What the hold cannot save"). A linear canceller subtracts a
prediction of the echo and leaves everything else, the user included, as it was; it can only be
used on its own when its prediction is close, which this one measures.

The model is the one a device loopback, a headset's or speakerphone's digital path, and a
virtual device follow: the played signal, delayed, scaled and filtered by a short filter, with
a delay that drifts because the two streams' clocks differ (and PulseAudio's loopback adapts
its rate). So:

* the played signal and the raw mic are kept at 24 kHz, indexed by sample counts;
* every 40 ms the delay is measured to a fraction of a sample by cross-correlating the last
  150 ms of mic with the played signal around the predicted delay (searched widely around the
  echo path's coarse delay until found); only windows that match almost perfectly count
  (correlation 0.98: echo alone, nobody talking over it);
* a straight line through the last 1.5 s of measurements predicts the delay, and the played
  signal is read at that fractional delay (windowed-sinc interpolation, 10 ms at a time);
* an 8-tap filter on that signal, refitted by least squares on each window shown to be echo
  alone, takes up the level and the path's filtering;
* ERLE on those windows decides: :attr:`LinearEcho.locked` once three in a row, measured since
  the output was last dropped, are each at :data:`LOCK_DB` or better; released when the
  smoothed figure falls below :data:`UNLOCK_DB`. A room's echo (reverberation for hundreds of
  ms) does not get there, and AEC3's output stays in use;
* a window that matches nowhere near the predicted delay but matches elsewhere is a jump (the
  output is dropped until locked again); one that matches nowhere is someone talking over the
  echo, and the prediction is held through it, the delay extrapolated;
* a window whose output is louder than its mic means the prediction is lost (a jump beyond
  the search, an underrun): the output is dropped at once and the delay searched for again;
* when the agent speaks again after a pause, the output waits for a new lock.

bench/README.md ("A linear canceller for double talk") has the figures on the audio rig.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["LOCK_DB", "UNLOCK_DB", "LinearEcho"]

LOCK_DB = 30.0
"""ERLE at which the linear output is good enough to use instead of AEC3's."""
UNLOCK_DB = 22.0
"""ERLE under which it no longer is."""

_RING = 1 << 16  # samples kept of each signal (2.7 s at 24 kHz)
_WIN_S = 0.15  # mic window per delay measurement
_ACQUIRE_S = 0.06  # +/- search around the coarse delay until the fine one is found
_TRACK = 24  # +/- samples searched around the predicted delay once tracking
_MATCH = 0.98  # correlation of a window that is echo alone
_HISTORY_S = 1.5  # delay measurements the line is fitted through
_STALE_S = 3.0  # no measurement for this long: the delay is lost
_GAP_S = 0.3  # a pause in the measurements this long starts the delay's line again
_FIT_S = _WIN_S  # least-squares window of the filter: the window just shown to be echo alone
_TAPS = 8
_SINC = 16  # interpolation taps
_FRAC_STEPS = 512  # fractional delays are rounded to 1/512 sample (under -50 dB at 4 kHz)
_ACTIVE = 10 ** (-50 / 10)  # mean square of the played signal that counts as playing
_ERLE_SMOOTH = 0.8
_LOCK_AFTER = 3  # windows of echo alone in a row at LOCK_DB before the output is used (the noise
# suppressor after it runs on it from the first prediction, and settles in about 60 ms)
_MEASURE_EVERY = 4  # frames (10 ms) between delay measurements
_WORSE = 10 ** (1 / 10)  # output energy over the mic's at which the prediction is lost (1 dB)
_WORSE_WIN = 40  # ms of output and mic compared, every frame
_RESIDUAL = 10 ** (-20 / 10)  # a frame this far under the predicted echo holds nothing else
_GATE = 10 ** (-40 / 20)  # ... and is let through this much quieter

_WEIGHTS: dict[int, npt.NDArray[np.float64]] = {}


def _sinc_weights(frac: float) -> npt.NDArray[np.float64]:
    """Taps, reversed for ``np.convolve``, that read a signal ``frac`` (0..1) of a sample
    after an integer index ``i``: unreversed, tap ``j`` multiplies sample
    ``i - _SINC // 2 + 1 + j``. A raised-cosine windowed sinc, cached per rounded ``frac``."""
    q = round(frac * _FRAC_STEPS)
    w = _WEIGHTS.get(q)
    if w is None:
        k = np.arange(-_SINC // 2 + 1, _SINC // 2 + 1)
        x = q / _FRAC_STEPS - k
        w = (np.sinc(x) * (0.5 + 0.5 * np.cos(np.pi * x / (_SINC / 2))))[::-1].copy()
        _WEIGHTS[q] = w
    return w


def _correlate(xs: npt.NDArray[np.float32], y: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """``np.correlate(xs, y, "valid")``; by FFT when the search is wide (direct is quadratic)."""
    lags = xs.size - y.size + 1
    if lags <= 64:
        direct: npt.NDArray[np.float64] = np.correlate(xs, y, "valid").astype(np.float64)
        return direct
    n = 1 << (xs.size + y.size).bit_length()
    spec = np.fft.rfft(xs, n) * np.conj(np.fft.rfft(y, n))
    full: npt.NDArray[np.float64] = np.fft.irfft(spec, n)[:lags]
    return full


class _Ring:
    """The last :data:`_RING` samples of a signal, indexed by absolute sample count.

    Every sample is stored twice (``i`` and ``i + _RING``), so any span shorter than the
    ring is one contiguous slice.
    """

    def __init__(self) -> None:
        self.buf = np.zeros(2 * _RING, dtype=np.float32)
        self.count = 0

    def push(self, x: npt.NDArray[np.float32]) -> None:
        n, i = x.size, self.count % _RING
        first = min(n, _RING - i)
        self.buf[i : i + first] = x[:first]
        self.buf[i + _RING : i + _RING + first] = x[:first]
        if first < n:
            rest = n - first
            self.buf[:rest] = x[first:]
            self.buf[_RING : _RING + rest] = x[first:]
        self.count += n  # after the write: a reader never sees an index not yet written

    def skip(self, n: int) -> None:
        """Advance by ``n`` samples without writing them (they are not to be read)."""
        self.count += n

    def span(self, start: int, stop: int) -> npt.NDArray[np.float32] | None:
        """Samples ``start..stop`` (absolute), or None if not (or no longer) held."""
        if start < self.count - _RING + 1 or stop > self.count or start >= stop:
            return None
        i = start % _RING
        return self.buf[i : i + stop - start]


class LinearEcho:
    """Drift-tracking linear echo canceller on 10 ms int16 frames at ``rate``.

    :meth:`render` is called from the output callback with each frame handed to the speaker,
    :meth:`capture` from the input callback with each raw mic frame; :meth:`capture` returns
    the mic with the predicted echo subtracted (None while there is no prediction), to be
    used while :attr:`locked`.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._ref = _Ring()
        self._mic = _Ring()
        self._aligned = _Ring()  # the played signal as read for each mic sample
        self._aligned_from = 0  # ... continuous from this mic sample on
        self._res = _Ring()  # what capture returned (zeros where it returned nothing)
        self._res_from = 0  # ... returned from this mic sample on
        self._win = int(_WIN_S * rate)
        self._fit = int(_FIT_S * rate)
        self._points: list[tuple[int, float]] = []  # (mic sample, delay in samples)
        self._slope = 0.0
        self._icpt = 0.0  # the delay at mic sample self._origin
        self._origin = 0
        self._h: npt.NDArray[np.float64] | None = None
        self._frames = 0
        self._idle = False  # reset, with no echo path
        self._last_played = -(1 << 40)  # ref sample count when something was last played
        self._resumed = False  # the agent started playing again after a pause
        self._restart = False  # the delay's line starts again at the next measurement
        self._measured = 0  # windows in a row at LOCK_DB since the output was last dropped
        self._misses = 0  # measurements in a row that did not find the echo
        self._gain = 1.0  # the residual gate's gain on the last frame
        self.erle_db: float | None = None
        """ERLE of the linear prediction on echo alone (dB, smoothed); None until measured."""
        self.locked = False
        """Whether the output of :meth:`capture` is good enough to use (see the module)."""

    # -- the two streams -----------------------------------------------------------------
    def render(self, frame: npt.NDArray[np.int16]) -> None:
        """What was handed to the speaker (10 ms)."""
        x = frame.astype(np.float32) / 32768.0
        self._ref.push(x)
        if float(np.dot(x, x)) > _ACTIVE * x.size:
            if self._ref.count - self._last_played > _GAP_S * self.rate:
                self._resumed = True  # read (and cleared) by the capture thread
            self._last_played = self._ref.count

    def capture(
        self,
        raw: npt.NDArray[np.int16],
        coarse_delay: float | None,
        talking: bool,
    ) -> npt.NDArray[np.int16] | None:
        """The raw mic (10 ms); returns it with the predicted echo removed, or None while
        there is no prediction. Whether the prediction is good enough is :attr:`locked`.

        ``coarse_delay`` is the echo path's delay (seconds, push to arrival; None: no echo
        path), ``talking`` whether someone may be talking over the echo now.
        """
        x = raw.astype(np.float32) / 32768.0
        self._mic.push(x)
        self._frames += 1
        end = self._mic.count
        if coarse_delay is None:
            # no echo path (headphones): nothing to do but keep the rings' counts in step
            if not self._idle:
                self._reset(end)
                self._idle = True
            self._aligned.skip(x.size)
            self._res.skip(x.size)
            self._aligned_from, self._res_from = end + _TAPS, end
            return None
        self._idle = False
        if self._points and end - self._points[-1][0] > _STALE_S * self.rate:
            self._reset(end)
        elif self._resumed:
            # The agent speaks again after a pause: the delay's line, extrapolated across the
            # pause, may be a few samples off by now, and the echo would pass at the start of
            # every utterance. The output waits for a new lock (AEC3 meanwhile), and the line
            # starts again from the next measurement (searched for around the old one).
            self._resumed = False
            self.locked, self._measured = False, 0
            self._restart = True
        y: npt.NDArray[np.float32] | None = None
        gain = 1.0
        if self._points:
            basis = self._read(end - x.size, end)
            if basis is not None and self._h is not None:
                echo = np.convolve(basis, self._h, "valid").astype(np.float32)
                y = x - echo
                e_echo = float(np.dot(echo, echo))
                if e_echo > _ACTIVE * x.size and float(np.dot(y, y)) < e_echo * _RESIDUAL:
                    # Only what is left of the echo (40 dB under it, speech-shaped): with
                    # nothing else on the mic (a quiet room, a virtual device) a VAD takes it
                    # for speech and the agent interrupts itself. Someone talking over the
                    # echo is far louder than that, and opens the gate.
                    gain = _GATE
        else:
            self._aligned.push(np.zeros(x.size, dtype=np.float32))
            self._aligned_from = end + _TAPS
        if y is None:
            self._res.push(np.zeros(x.size, dtype=np.float32))
            self._res_from = end
        else:
            self._res.push(y)
        if y is not None and self._adds_echo(end):
            # The prediction no longer matches the echo: subtracting it adds as much as it
            # removes. A good one leaves less than the mic held, with or without someone
            # talking over the echo (the talker is not correlated with it). So the delay is
            # lost (a jump beyond the search, an underrun): the output is dropped at once,
            # and the delay searched for again around the echo path's.
            self._reset_delay()
        if self._frames % _MEASURE_EVERY == 0:
            self._measure(end, coarse_delay, talking)
        if y is None:
            self._gain = 1.0
            return None
        if gain != 1.0 or self._gain != 1.0:
            # a ramp across the frame, from the last frame's gain (no clicks)
            y = y * np.linspace(self._gain, gain, y.size, dtype=np.float32)
        self._gain = gain
        out: npt.NDArray[np.int16] = np.clip(y * 32768.0, -32768, 32767).astype(np.int16)
        return out

    def _energies(self, start: int, end: int) -> tuple[float, float] | None:
        """Energy of the mic and of what capture returned over ``start..end``; None if
        capture did not return all of it."""
        if start < self._res_from:
            return None
        mic, res = self._mic.span(start, end), self._res.span(start, end)
        if mic is None or res is None:
            return None
        return float(np.dot(mic, mic)), float(np.dot(res, res))

    def _judge(self, end: int) -> None:
        """ERLE on the last window, just shown to be echo alone: lock or unlock."""
        energies = self._energies(end - self._win, end)
        if energies is None:
            return
        e_mic, e_res = energies
        erle = 10 * math.log10(max(e_mic, 1e-30) / max(e_res, e_mic * 1e-9, 1e-30))
        # Not in use: only windows measured since the output was dropped count, each of them
        # at LOCK_DB or better. A figure smoothed from before a pause or a jump would vouch
        # for a prediction it never measured, and let echo through for a moment.
        fresh = False
        if not self.locked:
            self._measured = self._measured + 1 if erle >= LOCK_DB else 0
            fresh = self._measured <= 1
        if fresh or self.erle_db is None:
            self.erle_db = erle
        else:
            self.erle_db = _ERLE_SMOOTH * self.erle_db + (1 - _ERLE_SMOOTH) * erle
        if self.locked:
            if self.erle_db < UNLOCK_DB:
                self.locked, self._measured = False, 0
        elif self._measured >= _LOCK_AFTER:
            self.locked = True

    def _reset(self, end: int) -> None:
        self._reset_delay()
        self._slope = 0.0
        self._h = None
        self.erle_db = None
        self._aligned_from = end + _TAPS

    # -- the delay -----------------------------------------------------------------------
    def _reset_delay(self) -> None:
        """Forget the delay's line; the output waits for a new lock."""
        self._points.clear()
        self.locked, self._measured, self._misses = False, 0, 0

    def _adds_echo(self, end: int) -> bool:
        """Whether the last 40 ms of output are louder than the mic (by :data:`_WORSE`)."""
        start = end - _WORSE_WIN * self.rate // 1000
        energies = self._energies(start, end)
        if energies is None:
            return False
        e_mic, e_res = energies
        return e_mic > _ACTIVE * (end - start) and e_res > e_mic * _WORSE

    def delay_at(self, n: int) -> float:
        """The predicted delay (samples) of the echo in mic sample ``n``."""
        return self._icpt + self._slope * (n - self._origin)

    def _search(self, end: int, guess: float, reach: int) -> tuple[float, float] | None:
        """Where the last window's echo is, within ``reach`` samples of ``guess`` (no nearer
        than the newest played sample allows): (delay in samples, to a fraction;
        correlation); None if nothing was played behind it."""
        w, g = self._win, int(round(guess))
        lo, hi = max(g - reach, end - self._ref.count), g + reach
        if hi - lo < 2:
            return None
        y = self._mic.span(end - w, end)
        xs = self._ref.span(end - w - hi, end - lo)
        if y is None or xs is None or float(np.dot(xs, xs)) < _ACTIVE * xs.size:
            return None
        # cor[j] = sum y[t] xs[t + j]: the echo delayed by hi - j samples
        cor = np.abs(_correlate(xs, y))
        j = int(np.argmax(cor))
        if not 0 < j < cor.size - 1:
            return float(hi - j), 0.0
        seg = xs[j : j + w]
        rho = float(cor[j]) / math.sqrt(max(float(np.dot(y, y)) * float(np.dot(seg, seg)), 1e-30))
        y0, y1, y2 = float(cor[j - 1]), float(cor[j]), float(cor[j + 1])
        den = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / den if den < 0 else 0.0
        return hi - (j + frac), rho

    def _measure(self, end: int, coarse_delay: float, talking: bool) -> None:
        """Measure the delay on the last window, to a fraction of a sample."""
        w, wide = self._win, int(_ACQUIRE_S * self.rate)
        if self._points:
            found = self._search(end, self.delay_at(end - w // 2), _TRACK)
        else:
            # push to arrival: the mic's newest sample is what was the newest played sample
            # coarse_delay ago
            found = self._search(end, end - (self._ref.count - coarse_delay * self.rate), wide)
        if found is None:
            return  # nothing played: no evidence
        if talking and found[1] < _MATCH:
            # Someone may be talking over the echo: a window that does not match is no
            # evidence either way. One that matches is the echo alone whatever the talk-over
            # test says (it runs on the echo path's coarse delay, which may be the one just
            # lost), and counts.
            return
        if found[1] < _MATCH and self._points:
            # Not where predicted. If the echo is alone somewhere else, the delay jumped (the
            # streams' buffering changed): the output waits for a new lock. If it matches
            # nowhere, someone is talking over it, unnoticed so far by the talk-over test
            # (or the room is not quiet): the prediction is kept, unchanged, through it.
            found = self._search(end, self.delay_at(end - w // 2), wide)
            if found is None or found[1] < _MATCH:
                self._misses += 1
                if self._misses * _MEASURE_EVERY * 0.01 > _STALE_S:
                    self._reset_delay()
                return
            self._reset_delay()
        elif found[1] < _MATCH:
            return
        self._misses = 0
        if self._restart or (
            self._points and end - w // 2 - self._points[-1][0] > _GAP_S * self.rate
        ):
            # a pause, or someone talked over the echo: the line through the points before
            # would be extrapolated across the gap, so it starts again here (whether the
            # output stays in use is judged on this window, below)
            self._points.clear()
            self._restart = False
        self._points.append((end - w // 2, found[0]))
        self._judge(end)
        horizon = end - int(_HISTORY_S * self.rate)
        self._points = [p for p in self._points if p[0] >= horizon]
        t = np.array([p[0] for p in self._points], dtype=np.float64) - end
        d = np.array([p[1] for p in self._points], dtype=np.float64)
        self._origin = end
        if t.size >= 3 and t[-1] - t[0] > 0.3 * self.rate:
            slope, icpt = np.polyfit(t, d, 1)
            self._slope, self._icpt = float(slope), float(icpt)
        else:
            # too few points for a slope of their own: the last one's (the clocks' drift
            # outlasts a pause) through the newest point
            self._icpt = float(d[-1] - self._slope * t[-1])
        self._refit(end)

    # -- the echo --------------------------------------------------------------------------
    def _basis(self, start: int, stop: int) -> npt.NDArray[np.float64] | None:
        """The played signal at the predicted delay, for mic samples ``start..stop``.

        Read 10 ms at a time, each with the fractional delay at its middle (the delay moves
        a few samples a second, a few hundredths of a sample per 10 ms).
        """
        step = self.rate // 100
        half = _SINC // 2
        parts = []
        for a in range(start, stop, step):
            b = min(a + step, stop)
            d = self.delay_at((a + b) // 2)
            di = math.floor(d)
            # mic sample n hears played sample n - d = (n - di - 1) + (1 - (d - di))
            seg = self._ref.span(a - di - half, b - di + half)
            if seg is None:
                return None
            part = np.convolve(seg, _sinc_weights(1.0 - (d - di)), "valid")[: b - a]
            parts.append(part)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _read(self, start: int, stop: int) -> npt.NDArray[np.float64] | None:
        """The played signal read for mic samples ``start..stop`` and the filter's reach
        around them; the newest ``stop - start`` samples read are kept for the next fit."""
        half = _TAPS // 2
        basis = self._basis(start - half, stop + _TAPS - half - 1)
        if basis is None:
            self._aligned.push(np.zeros(stop - start, dtype=np.float32))
            self._aligned_from = stop + _TAPS
            return None
        # ring sample k (k in start..stop) is the read for mic sample k + _TAPS - half - 1
        self._aligned.push(basis[-(stop - start) :].astype(np.float32))
        return basis

    def _refit(self, end: int) -> None:
        """Least-squares filter over the last :data:`_FIT_S` of echo alone (normal equations
        on the played signal as read at the predicted delay, kept per frame)."""
        half = _TAPS // 2
        ahead = _TAPS - half - 1
        start = end - self._fit
        # the ring's sample k is the read for mic sample k + ahead (see _read), so the taps of
        # mic samples start..end are all there
        first = start - half - ahead
        if first < self._aligned_from:
            return
        basis = self._aligned.span(first, end)
        y = self._mic.span(start, end)
        if basis is None or y is None or float(np.dot(basis, basis)) < _ACTIVE * basis.size:
            return
        cols = np.lib.stride_tricks.sliding_window_view(basis.astype(np.float64), _TAPS)[:, ::-1]
        gram = cols.T @ cols
        gram[np.diag_indices(_TAPS)] += 1e-9 * float(np.trace(gram)) + 1e-12
        self._h = np.asarray(np.linalg.solve(gram, cols.T @ y.astype(np.float64)), np.float64)
