"""watch.debounce on a fake change stream: which batches of saves become reloads.

The stream is a queue the test feeds; no file system. Batches fed without awaiting in
between arrive microseconds apart, far inside the quiet period, whatever the machine's load.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from agentconsole.watch import debounce

pytestmark = pytest.mark.timeout(30)

QUIET = 0.2
_END = object()


class FakeChanges:
    """An async stream of change batches, fed by the test."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue()

    def feed(self, *batches: list[str]) -> None:
        for batch in batches:
            self.queue.put_nowait(batch)

    def end(self) -> None:
        self.queue.put_nowait(_END)

    async def __aiter__(self) -> AsyncIterator[list[str]]:
        while (item := await self.queue.get()) is not _END:
            assert isinstance(item, list)
            yield item


async def test_a_single_save_reloads_at_once() -> None:
    changes = FakeChanges()
    reloads = debounce(changes.__aiter__(), QUIET)
    changes.feed(["/a/agent.py", "/a/agent.py"])
    assert await anext(reloads) == ["/a/agent.py"]
    await reloads.aclose()


async def test_a_burst_costs_two_reloads_and_the_last_has_everything() -> None:
    changes = FakeChanges()
    reloads = debounce(changes.__aiter__(), QUIET)
    changes.feed(["/a/agent.py"], ["/a/prompt.md"], ["/a/tools.py", "/a/agent.py"])
    assert await anext(reloads) == ["/a/agent.py"]  # leading edge
    assert await anext(reloads) == ["/a/agent.py", "/a/prompt.md", "/a/tools.py"]  # trailing
    # quiet since: the next save is a leading edge again, on its own
    changes.feed(["/a/agent.py"], ["/a/config.yaml"])
    assert await anext(reloads) == ["/a/agent.py"]
    assert await anext(reloads) == ["/a/config.yaml"]
    await reloads.aclose()


async def test_changes_during_a_slow_reload_are_gathered() -> None:
    changes = FakeChanges()
    reloads = debounce(changes.__aiter__(), QUIET)
    changes.feed(["/a/agent.py"])
    assert await anext(reloads) == ["/a/agent.py"]
    # the consumer is busy (a cold reload) while two saves come in quick succession
    changes.feed(["/a/b.py"], ["/a/c.py"])
    await asyncio.sleep(QUIET * 2)
    assert await anext(reloads) == ["/a/b.py", "/a/c.py"]
    await reloads.aclose()


async def test_the_end_of_the_stream_flushes_what_is_pending() -> None:
    changes = FakeChanges()
    reloads = debounce(changes.__aiter__(), QUIET)
    changes.feed(["/a/agent.py"], ["/a/b.py"])
    changes.end()
    assert [batch async for batch in reloads] == [["/a/agent.py"], ["/a/b.py"]]


async def test_an_error_in_the_stream_reaches_the_consumer() -> None:
    async def broken() -> AsyncIterator[list[str]]:
        yield ["/a/agent.py"]
        raise OSError("inotify watch limit reached")

    reloads = debounce(broken(), QUIET)
    assert await anext(reloads) == ["/a/agent.py"]
    with pytest.raises(OSError, match="inotify"):
        await anext(reloads)


async def test_closing_the_consumer_stops_reading_the_stream() -> None:
    changes = FakeChanges()
    reloads = debounce(changes.__aiter__(), QUIET)
    changes.feed(["/a/agent.py"])
    assert await anext(reloads) == ["/a/agent.py"]
    await reloads.aclose()
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == {asyncio.current_task()}
