"""An asyncio connection speaking the framing of :mod:`agentconsole.protocol` over a socket.

Used by both processes: the console's supervisor (io thread) and the job. Writes are
synchronous appends to the transport (never awaited per frame), so audio frames can be sent
from callbacks; ``drain()`` applies back-pressure where a caller wants it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

from . import protocol

__all__ = ["Connection", "open_connection"]

_READ_CHUNK = 64 * 1024


class Connection:
    """One end of the console <-> job wire."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._decoder = protocol.FrameDecoder()
        self._closed = False

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
        if self.closed:
            return
        try:
            self._writer.write(data)
        except (ConnectionError, RuntimeError):
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
    return Connection(reader, writer)
