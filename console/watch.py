"""File watching rules and debounce: which saves reload the agent, and when.

Watched: the agent file's folder (recursively) and any ``--watch-path``: Python files plus the
files the agent's job opened for reading (prompts, config; the job reports them); a file the
agent writes itself (a ledger, a log) does not reload it. Without that report (``reads`` not
given) prompt and config suffixes are watched. Never: virtualenvs, caches, VCS folders,
``node_modules``, recordings. :func:`watch_changes` yields one batch per burst of file system
events (an editor's save-by-rename lands in one); :func:`debounce` turns batches into reloads:
a save reloads at once, and a burst of saves (a ``git checkout``, a formatter, an editor saving
twice) costs at most two reloads, the last one with everything that changed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Set
from pathlib import Path

from watchfiles import Change, DefaultFilter, awatch

__all__ = ["IGNORED_DIRS", "QUIET", "WATCHED_SUFFIXES", "AgentFilter", "debounce", "watch_changes"]

WATCHED_SUFFIXES = frozenset({".py", ".md", ".txt", ".yaml", ".yml", ".json", ".toml", ".env"})
IGNORED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        "env",
        ".env.d",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".idea",
        ".vscode",
        "console-recordings",
        "recordings",
        "dist",
        "build",
        ".eggs",
    }
)

# A batch is yielded once no change was seen for STEP_MS; a continuous stream of changes is
# cut into batches of at most DEBOUNCE_MS. 50 ms keeps a save-to-reload path short while an
# editor's write+rename (a few ms apart) still lands in one batch.
STEP_MS = 50
DEBOUNCE_MS = 1600
QUIET = 0.3
"""Seconds without changes that end a burst of saves."""


class AgentFilter(DefaultFilter):
    """watchfiles filter: agent sources and config, minus environments, caches, recordings."""

    def __init__(self, ignore: Iterable[Path] = (), reads: Set[str] | None = None) -> None:
        super().__init__(ignore_dirs=sorted(IGNORED_DIRS))
        self._ignore = tuple(str(p.resolve()) for p in ignore)
        self._reads = reads

    def __call__(self, change: Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        if self._ignore and path.startswith(self._ignore):
            return False
        p = Path(path)
        # (IGNORED_DIRS themselves were refused by DefaultFilter above)
        if any(part.endswith(".egg-info") for part in p.parts):
            return False
        name = p.name
        if self._reads is not None:
            # the live set of files the job read (updated as the job reports them)
            return p.suffix == ".py" or os.path.realpath(path) in self._reads
        return p.suffix in WATCHED_SUFFIXES or name == ".env" or name.startswith(".env.")


async def watch_changes(
    paths: Iterable[Path],
    *,
    stop: asyncio.Future[None] | None = None,
    ignore: Iterable[Path] = (),
    reads: Set[str] | None = None,
) -> AsyncIterator[list[str]]:
    """Yield the sorted list of changed files for each burst of changes."""
    stop_event = asyncio.Event()
    if stop is not None:
        stop.add_done_callback(lambda _: stop_event.set())
    roots = [str(Path(p).resolve()) for p in paths if Path(p).exists()]
    async for changes in awatch(
        *roots,
        watch_filter=AgentFilter(ignore, reads),
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        stop_event=stop_event,
    ):
        yield sorted({path for _, path in changes})


async def debounce(
    batches: AsyncIterable[list[str]], quiet: float = QUIET
) -> AsyncIterator[list[str]]:
    """Batches of changed paths -> batches to reload for (sorted, no duplicates).

    Leading edge: a batch that comes after ``quiet`` seconds without changes is yielded at
    once. Batches that keep coming within ``quiet`` of each other are gathered and yielded
    together once they stop (or the stream ends). Pure: no file system, no reload.
    """
    loop = asyncio.get_running_loop()
    arrivals: asyncio.Queue[tuple[float, list[str]] | None] = asyncio.Queue()

    async def pump() -> None:
        # stamp each batch as it arrives, even while the consumer is busy reloading
        try:
            async for batch in batches:
                arrivals.put_nowait((loop.time(), batch))
        finally:
            arrivals.put_nowait(None)

    reader = asyncio.create_task(pump(), name="agentconsole-watch-pump")
    last = float("-inf")
    pending: set[str] = set()
    try:
        while True:
            if pending and arrivals.empty():
                wait = last + quiet - loop.time()
                try:
                    if wait <= 0:
                        raise asyncio.TimeoutError
                    item = await asyncio.wait_for(arrivals.get(), wait)
                except asyncio.TimeoutError:
                    yield sorted(pending)  # trailing edge: the burst is over
                    pending.clear()
                    continue
            else:
                item = await arrivals.get()
            if item is None:
                break
            now, batch = item
            if pending and now - last > quiet:  # came after the burst had ended
                yield sorted(pending)
                pending.clear()
            leading = now - last > quiet and not pending
            last = now
            if leading:
                yield sorted(set(batch))
            else:
                pending.update(batch)
        if pending:
            yield sorted(pending)
        await reader  # re-raise what ended the stream, if anything
    finally:
        reader.cancel()
