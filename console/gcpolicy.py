"""The console's garbage-collector policy: keep the audio callbacks on time.

PortAudio runs the console's audio callbacks on its own threads, and each must get the GIL
within the device buffer (50 ms) or the speaker underruns; through the ALSA pulse plugin an
underrun is then followed by a ~2 s stall while the stream recovers. CPython's cyclic
collector holds the GIL for a whole collection, and a full (oldest generation) collection
scans every tracked object. In the TUI that set grows with the conversation (Textual keeps
each widget's rendered lines): with CPython's defaults, full collections came every ~2 s,
36 ms long at the start and 184 ms after a minute of 2,000 tokens/s, and every one over the
buffer was an underrun (``bench/bench_tui_soak.py``).

The policy, applied once the console has started:

* ``gc.freeze()`` first: what start-up built (modules, classes, the app) moves to the
  permanent generation, which no collection scans;
* after a full collection that took longer than :data:`FULL_COLLECTION_BUDGET`, what survived
  it is frozen as well (it has lived through a whole collection cycle: conversation widgets,
  the session's state), so the next full collection scans only what was promoted since. A
  small session never reaches the budget and is collected as usual;
* full collections come more often (:data:`OLD_THRESHOLD`), each with less to free.

The price: a frozen object that later becomes unreachable inside a reference cycle is not
freed (objects freed by reference counting, most of them, are). In the console that is a
dialog that was open while a flood of text froze the heap: up to about 0.5 MB each.

The collector's pauses bounded, Textual's main thread still holds the GIL in other bursts;
the TUI also gives the speaker a larger buffer (``audio.TUI_OUTPUT_LATENCY``).
"""

from __future__ import annotations

import gc
import time
from typing import Any

__all__ = ["FULL_COLLECTION_BUDGET", "OLD_THRESHOLD", "apply"]

FULL_COLLECTION_BUDGET = 0.005
"""Seconds: a full collection longer than this freezes its survivors. Low, because the
objects promoted between two full collections add up: with 15 ms, collections of 30-35 ms
still came under a flood of text (the audio buffer is 50 ms). An idle console's full
collections take 1-3 ms once start-up is frozen, and never reach it."""

OLD_THRESHOLD = 3
"""Middle-generation collections between two full ones (CPython's default: 10). What a full
collection costs under a flood of text is mostly the reference cycles Textual leaves behind
(10-25 thousand objects a second): collected in smaller batches, each pause is shorter."""

_applied = False
_started = [0.0]


def apply() -> None:
    """Set the policy for this process (idempotent). Call once start-up is done."""
    global _applied
    if _applied:
        return
    _applied = True
    gc.collect()  # start-up garbage is freed, not frozen
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, OLD_THRESHOLD)
    gc.callbacks.append(_on_collection)


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    if info.get("generation") != 2:
        return
    if phase == "start":
        _started[0] = time.perf_counter()
    elif time.perf_counter() - _started[0] > FULL_COLLECTION_BUDGET:
        gc.freeze()
