"""Where independent pieces of work run: one small protocol the analyses use, never a cluster library.

An analysis that can split its work into independent tasks (Monte Carlo scenario blocks, factory
replications, optimiser sweep points, batch runs) hands them to a :class:`TaskMap`:
``map_ordered(fn, items, shared=...)`` calls ``fn(shared, item)`` for every item and yields the
results **in the order of** ``items``, whatever order they finish in, so the analysis reduces them in
a fixed order and its answer does not depend on where or when each task ran. ``shared`` is sent
once to every place that runs tasks (not once per task). ``fn`` must be a module-level function of
its arguments only (a pure task: running it twice gives the same result), so a lost task can simply
be run again.

:class:`SerialMap` runs everything in this process, in order; it is the default. The Dask
implementation lives in :mod:`rackforge.cluster` (the api layer); the command-line option
``--cluster`` chooses it and puts it in force with :func:`running_on` for the duration of a command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")


class TaskMap(Protocol):
    """Runs independent tasks and yields their results in the order of the items."""

    @property
    def workers(self) -> int:
        """Places tasks run at once [processes]; 1 for :class:`SerialMap`."""
        ...

    def map_ordered(self, fn: Callable[[S, T], R], items: Sequence[T], *, shared: S) -> Iterator[R]:
        """``fn(shared, item)`` for each of ``items``, yielded in the order of ``items``."""
        ...


class SerialMap:
    """Every task in this process, one after another, in order (the one-process run)."""

    @property
    def workers(self) -> int:
        """One [process]."""
        return 1

    def map_ordered(self, fn: Callable[[S, T], R], items: Sequence[T], *, shared: S) -> Iterator[R]:
        """``fn(shared, item)`` for each item, in order."""
        for item in items:
            yield fn(shared, item)


_CURRENT: ContextVar[TaskMap | None] = ContextVar("rackforge_task_map", default=None)


def current_task_map() -> TaskMap:
    """The task map in force (:func:`running_on`), else a :class:`SerialMap`."""
    found = _CURRENT.get()
    return found if found is not None else SerialMap()


def is_distributed(task_map: TaskMap) -> bool:
    """True when ``task_map`` runs tasks elsewhere than in this process, one after another."""
    return not isinstance(task_map, SerialMap)


@contextmanager
def running_on(task_map: TaskMap) -> Iterator[TaskMap]:
    """Put ``task_map`` in force for the analyses called inside the ``with`` block (this thread)."""
    token = _CURRENT.set(task_map)
    try:
        yield task_map
    finally:
        _CURRENT.reset(token)


def split_evenly(total: int, parts: int, unit: int = 1) -> list[tuple[int, int]]:
    """``(first, count)`` ranges covering ``0 .. total − 1`` in at most ``parts`` pieces whose starts
    are multiples of ``unit`` (all but the last piece hold whole units) [items]."""
    if total < 1:
        return []
    units = -(-total // unit)
    parts = max(1, min(parts, units))
    per, extra = divmod(units, parts)
    out: list[tuple[int, int]] = []
    first_unit = 0
    for i in range(parts):
        take = per + (1 if i < extra else 0)
        first = first_unit * unit
        out.append((first, min(total, (first_unit + take) * unit) - first))
        first_unit += take
    return out
