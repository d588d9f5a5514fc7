"""Run Silero's per-window inference on the job's event loop instead of a worker thread.

Silero's stream hands every 32 ms window to the loop's default executor
(``loop.run_in_executor(None, model, window)``). The model call takes about 0.25 ms, but the
hop costs more: a work item, a worker wake-up, the GIL changing hands twice and a wake-up byte
back to the loop. With two Silero streams (the session's VAD and a second one that segments
for the STT, as in the offline example or with ``stt.StreamAdapter``) that is 62 hops a
second, and at idle they cost the job more CPU than the inference itself (profile in
bench/README.md, "Lighter and quicker, third pass"). Run inline, the loop is busy for the same
0.25 ms and nothing else is paid.

Only Silero's model calls run inline; everything else (the STT's decodes, file reads, plugin
work of any length) still goes to the executor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["install", "runs_inline"]

# (module, class) of the callables that run on the loop: one VAD window per call
_INLINE = frozenset({("livekit.plugins.silero.onnx_model", "OnnxModel")})


def runs_inline(func: Callable[..., Any]) -> bool:
    """Whether ``func`` is one of the short calls that run on the loop."""
    kind = type(func)
    return (kind.__module__, kind.__qualname__) in _INLINE


def install(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop.run_in_executor(None, f, ...)`` call ``f`` on the loop when it is short."""
    to_executor = loop.run_in_executor

    def run_in_executor(executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        if executor is not None or not runs_inline(func):
            return to_executor(executor, func, *args)
        future = loop.create_future()
        try:
            future.set_result(func(*args))
        except Exception as exc:  # delivered to the awaiting task, as from a worker
            future.set_exception(exc)
        return future

    # an instance attribute: only this loop, only this process
    setattr(loop, "run_in_executor", run_in_executor)  # noqa: B010
