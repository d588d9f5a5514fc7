"""The real job process, with ``WireAudioInput.push`` observed (for bench_mic_path.py).

Started by the supervisor in place of ``python``: argv is ``-m agentconsole.job --fd N ...``.
Appends ``{"t": monotonic, "h": frame hash}`` per non-silent frame to $AGENTCONSOLE_PROBE_OUT.
With $AGENTCONSOLE_PROBE_LAG set (seconds), a loop-lag probe starts on the job's event loop at
the first pushed frame: a 10 ms sleep in a loop; each wake-up later than that threshold appends
``{"lag": seconds late, "t": monotonic, "where": [...]}`` (for bench_soak.py); "where" is the
loop thread's innermost frames, taken by a watcher thread while the loop was late.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path

from agentconsole.job import io, runner

_out = open(os.environ["AGENTCONSOLE_PROBE_OUT"], "a", buffering=1)
_push = io.WireAudioInput.push
_lag_threshold = float(os.environ.get("AGENTCONSOLE_PROBE_LAG", "0") or 0)
_lag_task: list[asyncio.Task[None]] = []


_beat = [time.monotonic()]
_where: list[list[str]] = []


def _watch(loop_thread: int) -> None:
    """Take the loop thread's stack once per late period (the first look past the threshold)."""
    taken = False
    while True:
        time.sleep(0.005)
        if time.monotonic() - _beat[0] > _lag_threshold + 0.01:
            if not taken:
                frame = sys._current_frames().get(loop_thread)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-6:]
                    _where.append([f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack])
                taken = True
        else:
            taken = False


async def _lag_probe() -> None:
    threading.Thread(target=_watch, args=(threading.get_ident(),), daemon=True).start()
    while True:
        t0 = _beat[0] = time.monotonic()
        await asyncio.sleep(0.01)
        late = time.monotonic() - t0 - 0.01
        if late > _lag_threshold:
            where = _where.pop() if _where else []
            _out.write(json.dumps({"lag": late, "t": time.monotonic(), "where": where}) + "\n")
        _where.clear()


def push(self: io.WireAudioInput, pcm: bytes) -> None:
    now = time.monotonic()
    if _lag_threshold and not _lag_task:
        _lag_task.append(asyncio.get_running_loop().create_task(_lag_probe()))
    _push(self, pcm)
    if any(pcm):
        _out.write(
            json.dumps({"t": now, "h": hashlib.blake2b(pcm, digest_size=8).hexdigest()}) + "\n"
        )


io.WireAudioInput.push = push  # type: ignore[method-assign]
args = sys.argv[1:]
if args[:2] == ["-m", "agentconsole.job"]:
    args = args[2:]
runner.main(args)
