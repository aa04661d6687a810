"""Live boards: one publisher per programme computes the board when the line posts, and every connected
panel receives it by server-sent events.

A post marks the programme's board dirty and wakes its publisher; the publisher computes the board once
(in a worker thread) and hands the same JSON to every subscriber. Posts that arrive while it computes
are folded into the next computation, so the work per second is bounded by how long one board takes,
not by the number of events or panels. With subscribers and no posts, the board is recomputed every
:data:`REFRESH_S` seconds (the plan to this hour moves with the clock). One hub per process:
``rackforge serve`` runs one process.
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
"""Seconds between keep-alive comments on an idle stream (the panel calls itself stale after a few missed)."""
RETRY_MS = 2000
"""How long a disconnected browser waits before reconnecting (the SSE ``retry:`` field) [ms]."""


@dataclass
class _Channel:
    dirty: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    payload: str | None = None
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
        while not self.closing and channel.subscribers > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(channel.dirty.wait(), REFRESH_S)
            channel.dirty.clear()
            board = await run_in_threadpool(self.compute, programme_id)
            async with channel.changed:
                channel.payload = json.dumps(board, separators=(",", ":"))
                channel.version += 1
                channel.changed.notify_all()

    async def stream(self, programme_id: int, is_disconnected: Callable[[], Any]) -> AsyncIterator[str]:
        """Server-sent events of ``programme_id``'s board: ``event: board`` with its JSON on every change,
        and a comment every :data:`HEARTBEAT_S` seconds while nothing changes."""
        channel = self._channel(programme_id)
        channel.subscribers += 1
        seen = 0
        try:
            yield f"retry: {RETRY_MS}\n\n"
            while not self.closing:
                async with channel.changed:
                    if channel.version == seen:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(channel.changed.wait(), HEARTBEAT_S)
                    version, payload = channel.version, channel.payload
                if version != seen and payload is not None:
                    seen = version
                    yield f"event: board\nid: {version}\ndata: {payload}\n\n"
                else:
                    if await is_disconnected():
                        break
                    yield "event: ping\ndata: {}\n\n"
        finally:
            channel.subscribers -= 1
            if channel.subscribers == 0:
                channel.dirty.set()  # let the publisher see that nobody watches and stop

    def close(self) -> None:
        """Stop every stream and publisher (the app is shutting down)."""
        self.closing = True
        for channel in self.channels.values():
            channel.dirty.set()
