"""Live boards: one publisher per programme computes the board when the line posts, and every connected
panel receives it by server-sent events.

A post marks the programme's board dirty and wakes its publisher; the publisher computes the board once
(in a worker thread) and hands the same JSON to every subscriber. Posts that arrive while it computes,
or within :data:`MIN_INTERVAL_S` of the last board, are folded into the next one, so the work per second
is bounded by how long one board takes, not by the number of events or panels. With subscribers and no
posts, the board is recomputed every :data:`REFRESH_S` seconds (the plan to this hour moves with the
clock). One hub per process: ``rackforge serve`` runs one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

REFRESH_S = 30.0
"""Seconds between recomputations of a watched board when nothing is posted."""
HEARTBEAT_S = 5.0
"""Seconds between ``ping`` events on an idle stream (the panel calls itself stale after three missed)."""
MIN_INTERVAL_S = 0.1
"""Shortest time between two boards of a programme [s]: a busy line's posts are folded into at most ten
boards a second, which bounds the work of sending them to every panel (a figure changes at most that
often on a screen read from two metres)."""
RETRY_MS = 2000
"""How long a disconnected browser waits before reconnecting (the SSE ``retry:`` field) [ms]."""


@dataclass
class _Channel:
    """One programme's board: the newest message (SSE bytes, made once for every panel), its version, and a
    future that the next board resolves (subscribers wait on it without a lock or a task each)."""

    dirty: asyncio.Event = field(default_factory=asyncio.Event)
    next_board: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    message: bytes = b""
    version: int = 0
    subscribers: int = 0
    task: asyncio.Task[None] | None = None


class BoardHub:
    """Publishers and subscribers of programme boards. ``compute(programme_id)`` returns the board JSON
    (a blocking function; it runs in a thread)."""

    def __init__(self, compute: Callable[[int], dict[str, Any]]) -> None:
        self.compute = compute
        self.channels: dict[int, _Channel] = {}
        self.closing = False

    def _channel(self, programme_id: int) -> _Channel:
        channel = self.channels.get(programme_id)
        if channel is None:
            channel = self.channels[programme_id] = _Channel()
        if channel.task is None or channel.task.done():
            channel.task = asyncio.get_running_loop().create_task(self._publish(programme_id, channel))
        return channel

    def posted(self, programme_id: int) -> None:
        """The line posted to ``programme_id``: recompute its board (if anyone watches)."""
        channel = self.channels.get(programme_id)
        if channel is not None:
            channel.dirty.set()

    async def _publish(self, programme_id: int, channel: _Channel) -> None:
        from starlette.concurrency import run_in_threadpool

        channel.dirty.set()
        loop = asyncio.get_running_loop()
        last = -MIN_INTERVAL_S
        while not self.closing and channel.subscribers > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(channel.dirty.wait(), REFRESH_S)
            await asyncio.sleep(max(0.0, last + MIN_INTERVAL_S - loop.time()))
            last = loop.time()
            channel.dirty.clear()
            board = await run_in_threadpool(self.compute, programme_id)
            channel.version += 1
            payload = json.dumps(board, separators=(",", ":"))
            channel.message = f"event: board\nid: {channel.version}\ndata: {payload}\n\n".encode()
            done, channel.next_board = channel.next_board, asyncio.get_running_loop().create_future()
            done.set_result(None)

    async def stream(self, programme_id: int, is_disconnected: Callable[[], Any]) -> AsyncIterator[bytes]:
        """Server-sent events of ``programme_id``'s board: ``event: board`` with its JSON on every change,
        and ``event: ping`` every :data:`HEARTBEAT_S` seconds while nothing changes."""
        channel = self._channel(programme_id)
        channel.subscribers += 1
        seen = 0
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            while not self.closing:
                if channel.version == seen:
                    await asyncio.wait([channel.next_board], timeout=HEARTBEAT_S)
                if channel.version != seen and channel.message:
                    seen = channel.version
                    yield channel.message
                else:
                    if await is_disconnected():
                        break
                    yield b"event: ping\ndata: {}\n\n"
        finally:
            channel.subscribers -= 1
            if channel.subscribers == 0:
                channel.dirty.set()  # let the publisher see that nobody watches and stop

    def close(self) -> None:
        """Stop every stream and publisher (the app is shutting down)."""
        self.closing = True
        for channel in self.channels.values():
            channel.dirty.set()
