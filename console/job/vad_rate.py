"""Which of the session VAD's inferences the job sends to the console as ``vad`` events.

Silero reports ~31 probabilities a second. While there is any voice they all go (the graph is
live at full rate); in plain silence (not speaking, probability under ``quiet``) one every
``quiet_interval`` seconds is enough: they draw the same empty graph, and each event costs a
wire write in the job and a parse, a state update and a graph check in the console.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["VadRate"]


class VadRate:
    """Decides, per inference, whether to send it (`should_send`)."""

    def __init__(
        self,
        *,
        quiet: float = 0.1,
        quiet_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet = quiet
        """Probabilities under this, while not speaking, count as silence."""
        self.quiet_interval = quiet_interval
        """Seconds between two silence samples sent."""
        self._clock = clock
        self._last_sent = float("-inf")
        self._last_loud = False

    def should_send(self, probability: float | None, speaking: bool) -> bool:
        """Whether to send this inference (call once per inference, in order); always for a
        VAD that gives no probability (``None``)."""
        loud = speaking or probability is None or probability >= self.quiet
        now = self._clock()
        # the first silent sample after voice goes at once, so the graph shows the drop
        send = loud or self._last_loud or now - self._last_sent >= self.quiet_interval
        self._last_loud = loud
        if send:
            self._last_sent = now
        return send
