"""The Dask implementation of :class:`rackforge.core.parallel.TaskMap`.

``shared`` is scattered to every worker once per map (``Client.scatter(broadcast=True)``), tasks
reference it, so the programme crosses the network once per worker, not once per task. Tasks are
submitted in a sliding window (a few per worker ahead of the one awaited), so the scheduler holds a
bounded number of them and each worker's memory holds a bounded number of results. Results are
taken in the order of the items, whatever order they finish in. Tasks are pure functions of their
arguments: a task on a worker that is lost is run again elsewhere by the scheduler, and one that
raises is retried :data:`RETRIES` times, with the same result.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from distributed import Client, Future

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

RETRIES = 2
"""Times Dask runs a task again after it raised (a worker lost mid-task is rescheduled anyway)."""

AHEAD_PER_WORKER = 4
"""Tasks submitted ahead per worker (keeps every worker busy while results are taken in order)."""


class DaskMap:
    """Tasks on the workers of a ``distributed.Client``; results in item order."""

    def __init__(self, client: Client, *, retries: int = RETRIES) -> None:
        self.client = client
        self.retries = retries

    @property
    def workers(self) -> int:
        """Workers the scheduler knows now (at least 1) [processes]."""
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def map_ordered(self, fn: Callable[[S, T], R], items: Sequence[T], *, shared: S) -> Iterator[R]:
        """``fn(shared, item)`` on the cluster for each item, yielded in the order of ``items``."""
        if not items:
            return
        run = uuid.uuid4().hex[:12]
        name = getattr(fn, "__name__", "task")
        [data] = self.client.scatter([shared], broadcast=True, hash=False)
        pending: deque[Future] = deque()
        window = AHEAD_PER_WORKER * self.workers
        queue = iter(enumerate(items))

        def submit_next() -> None:
            for index, item in queue:
                pending.append(self.client.submit(fn, data, item, key=f"rackforge-{name}-{run}-{index}",
                                                  pure=False, retries=self.retries))
                return

        try:
            for _ in range(window):
                submit_next()
            while pending:
                future = pending.popleft()
                result: Any = future.result()
                future.release()
                submit_next()
                yield result
        finally:
            for future in pending:
                future.cancel()
            data.release()
