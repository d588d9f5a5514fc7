"""An asyncio connection speaking the framing of :mod:`agentconsole.protocol` over a socket.

Used by both processes: the console's supervisor (io thread) and the job. Writes are
synchronous appends to the transport (never awaited per frame), so audio frames can be sent
from callbacks; ``drain()`` applies back-pressure where a caller wants it.

``send_from_thread`` is for the job's watchdog thread, which must report while the loop is
blocked: it writes the frame to the socket itself, under the lock every write takes.
``send_audio_from_thread`` is for the console's audio thread: a mic frame goes to the socket
at once instead of waking the io loop a hundred times a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import threading
import time
from collections.abc import AsyncIterator

from . import protocol

__all__ = ["Connection", "open_connection"]

_READ_CHUNK = 64 * 1024


class Connection:
    """One end of the console <-> job wire."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        sock: socket.socket | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._sock = sock
        self._decoder = protocol.FrameDecoder()
        self._closed = False
        self._loop = asyncio.get_running_loop()
        # Every write takes it: the watchdog thread may write to the socket directly.
        self._lock = threading.Lock()
        # Writes handed to the loop by another thread and not yet made: until they are, every
        # write goes the same way, so frames keep their order.
        self._handoffs = 0

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called or the peer went away."""
        return self._closed or self._writer.is_closing()

    def send(self, obj: protocol.Event) -> None:
        """Queue one JSON frame (an event or a command). Never blocks."""
        self._write(protocol.encode_json(obj))

    def send_audio(self, kind: int, pcm: bytes) -> None:
        """Queue one audio frame. Never blocks."""
        self._write(protocol.encode_audio(kind, pcm))

    def _write(self, data: bytes) -> None:
        with self._lock:
            if self.closed:
                return
            if self._handoffs:
                self._handoffs += 1
                self._loop.call_soon(self._write_handoff, data)
                return
            try:
                self._writer.write(data)
            except (ConnectionError, RuntimeError):
                self._closed = True

    def _write_handoff(self, data: bytes) -> None:
        with self._lock:
            self._handoffs -= 1
            if self.closed:
                return
            try:
                self._writer.write(data)
            except (ConnectionError, RuntimeError):
                self._closed = True

    def _direct(self) -> bool:
        # the socket may be written to from this thread: nothing is queued before this frame
        return (
            self._sock is not None
            and not self._handoffs
            and self._writer.transport.get_write_buffer_size() == 0
        )

    def send_audio_from_thread(self, kind: int, pcm: bytes) -> None:
        """Send one audio frame from another thread. Never blocks.

        With nothing queued, the frame goes straight to the socket; what the socket does not
        take (the peer is behind) is handed to the loop, as is every frame after it until the
        loop has written it.
        """
        data = protocol.encode_audio(kind, pcm)
        with self._lock:
            if self.closed:
                return
            if self._direct():
                assert self._sock is not None
                try:
                    sent = self._sock.send(data)
                except BlockingIOError:
                    sent = 0
                except OSError:
                    self._closed = True
                    return
                if sent == len(data):
                    return
                data = data[sent:]
            self._handoffs += 1
        try:
            self._loop.call_soon_threadsafe(self._write_handoff, data)
        except RuntimeError:  # the loop is closed: this end is done for
            self._closed = True

    def send_from_thread(self, obj: protocol.Event, timeout: float = 2.0) -> None:
        """Send one JSON frame from another thread, even while the loop is blocked.

        When the transport has nothing buffered, the frame goes straight to the socket (the
        lock keeps the loop's own writes out meanwhile, and an empty buffer means the loop has
        nothing half-written). Otherwise it is handed to the loop, which sends it when it runs.
        """
        data = protocol.encode_json(obj)
        with self._lock:
            if self.closed:
                return
            if self._direct():
                self._send_all(data, timeout)
                return
            self._handoffs += 1
        with contextlib.suppress(RuntimeError):  # the loop is closed: the job is ending
            self._loop.call_soon_threadsafe(self._write_handoff, data)

    def _send_all(self, data: bytes, timeout: float) -> None:
        # the socket is non-blocking (asyncio's): wait for room when it is full
        assert self._sock is not None
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        try:
            while view:
                try:
                    sent = self._sock.send(view)
                except BlockingIOError:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError("the console does not read") from None
                    select.select([], [self._sock], [], remaining)
                    continue
                view = view[sent:]
        except OSError:
            # a frame cut short corrupts the stream: this end is done for
            self._closed = True

    async def drain(self) -> None:
        """Wait until the write buffer is below its high-water mark."""
        if not self.closed:
            try:
                await self._writer.drain()
            except ConnectionError:
                self._closed = True

    async def frames(self) -> AsyncIterator[tuple[int, bytes]]:
        """Yield ``(kind, payload)`` frames until the peer closes the socket."""
        while True:
            try:
                data = await self._reader.read(_READ_CHUNK)
            except ConnectionError:
                data = b""
            if not data:
                self._closed = True
                return
            for frame in self._decoder.feed(data):
                yield frame

    async def close(self) -> None:
        """Close the socket (idempotent)."""
        self._closed = True
        if not self._writer.is_closing():
            self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, RuntimeError):
            pass


async def open_connection(sock: socket.socket) -> Connection:
    """Wrap a connected stream socket (e.g. one end of a ``socketpair``)."""
    reader, writer = await asyncio.open_unix_connection(sock=sock, limit=protocol.MAX_FRAME)
    return Connection(reader, writer, sock)
