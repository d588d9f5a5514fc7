"""Small helpers shared by the benchmarks: percentiles and a table printer."""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank on sorted values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def row(name: str, values: Sequence[float], unit: str = "s") -> str:
    """One line: name, n, p50, p95, min, max; NaNs (no measurement) are counted as missing
    and left out of the figures (sorted with them, the percentiles would be meaningless)."""
    measured = [v for v in values if not math.isnan(v)]
    missing = f" missing={len(values) - len(measured)}" if len(measured) < len(values) else ""
    if not measured:
        return f"{name:<44} n=0{missing}"
    return (
        f"{name:<44} n={len(measured):<3} p50={pct(measured, 50):7.3f}{unit} "
        f"p95={pct(measured, 95):7.3f}{unit} min={min(measured):7.3f}{unit} "
        f"max={max(measured):7.3f}{unit} mean={statistics.fmean(measured):7.3f}{unit}{missing}"
    )


def mic_probe_python(work: Path) -> str:
    """A ``python`` for job processes that runs the mic probe job (``_mic_probe_job.py``), which
    stamps each microphone frame as the job's audio input receives it."""
    wrapper = work / "job-python"
    wrapper.write_text(
        f'#!/bin/sh\nexec {sys.executable} {Path(__file__).with_name("_mic_probe_job.py")} "$@"\n'
    )
    wrapper.chmod(0o755)
    return str(wrapper)
