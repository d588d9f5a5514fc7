"""asyncio helpers for the console's io thread."""

from __future__ import annotations

import asyncio

__all__ = ["finish_other_tasks"]


async def finish_other_tasks(timeout: float) -> None:
    """Let every other task of the running loop end within ``timeout`` seconds, then cancel
    whatever is left, so the loop closes with no task pending."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    if others:
        _, pending = await asyncio.wait(others, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
