"""Audio frames sent from another thread (the console's audio thread) over a real socket pair.

The direct path writes to the socket from the calling thread; when the peer falls behind, the
rest of a frame and every frame after it go through the loop. Either way the peer must read
whole frames, in the order they were sent, interleaved safely with the loop's own writes.
"""

from __future__ import annotations

import asyncio
import socket
import threading

from agentconsole import protocol
from agentconsole.wire import open_connection


async def _read_frames(peer: socket.socket, count: int) -> list[tuple[int, bytes]]:
    loop = asyncio.get_running_loop()
    decoder = protocol.FrameDecoder()
    frames: list[tuple[int, bytes]] = []
    while len(frames) < count:
        data = await loop.sock_recv(peer, 65536)
        assert data, f"the peer closed after {len(frames)} frames"
        frames += decoder.feed(data)
    return frames


async def test_audio_from_a_thread_keeps_order_when_the_peer_falls_behind() -> None:
    a, b = socket.socketpair()
    # small buffers, so the socket fills while nobody reads: partial sends and hand-offs
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    b.setblocking(False)
    conn = await open_connection(a)
    frames = 400

    def audio_thread() -> None:
        for i in range(frames):
            # 10 ms of 24 kHz mono, numbered in its first two bytes
            conn.send_audio_from_thread(protocol.KIND_MIC, i.to_bytes(2, "little") * 240)

    thread = threading.Thread(target=audio_thread)
    thread.start()
    thread.join(10)  # the loop does not run meanwhile: the socket fills, the rest is handed off
    # a write of the loop's own while hand-offs are pending must queue behind them
    conn.send({"type": "log", "level": "info", "message": "from the loop"})
    conn.send({"type": "log", "level": "info", "message": "last"})
    got = await asyncio.wait_for(_read_frames(b, frames + 2), 20)
    audio = [int.from_bytes(p[:2], "little") for k, p in got if k == protocol.KIND_MIC]
    assert audio == list(range(frames))
    assert all(len(p) == 480 for k, p in got if k == protocol.KIND_MIC)
    logs = [protocol.decode_json(p)["message"] for k, p in got if k != protocol.KIND_MIC]
    assert logs == ["from the loop", "last"]
    assert [k for k, _ in got[-2:]] == [protocol.KIND_JSON, protocol.KIND_JSON]
    await conn.close()
    b.close()


async def test_audio_from_a_thread_goes_straight_to_the_socket() -> None:
    """With nothing queued the frame is on the socket when the call returns, without the loop
    running in between."""
    a, b = socket.socketpair()
    conn = await open_connection(a)
    b.settimeout(5)
    sent = threading.Event()

    def audio_thread() -> None:
        conn.send_audio_from_thread(protocol.KIND_MIC, b"\x01\x00" * 240)
        sent.set()

    threading.Thread(target=audio_thread).start()
    assert sent.wait(5)  # the loop is not running here (no await since the thread started)
    frames = protocol.FrameDecoder().feed(b.recv(65536))
    assert frames == [(protocol.KIND_MIC, b"\x01\x00" * 240)]
    await conn.close()
    b.close()
