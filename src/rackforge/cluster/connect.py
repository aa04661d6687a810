"""Where work runs: ``--cluster local:N``, ``--cluster tcp://HOST:PORT``, ``RACKFORGE_CLUSTER``, or here.

- ``local:N``: a ``distributed.LocalCluster`` of N worker processes with one thread each, started for
  the command and closed after it;
- ``tcp://HOST:PORT`` (or ``tls://``): the scheduler of an existing Dask cluster, whose workers have
  the same rackforge installed;
- nothing (no option, ``RACKFORGE_CLUSTER`` unset or empty): one process, as without Dask.

The answer is the same bit for bit wherever it runs (see :mod:`rackforge.core.parallel`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from rackforge.core.parallel import SerialMap, TaskMap, running_on
from rackforge.errors import InputError, Problem

ENV_VAR = "RACKFORGE_CLUSTER"
"""Environment variable naming the cluster when ``--cluster`` is not given."""

INSTALL_HINT = "pip install 'rackforge[dask]'"
"""How to install the optional cluster dependencies."""

MAX_LOCAL_WORKERS = 512
"""Most worker processes ``local:N`` starts [processes]."""

CONNECT_TIMEOUT_S = 20
"""How long to wait for a remote scheduler [s]."""

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")

_FORMS = "'local:N' (N worker processes on this machine) or 'tcp://HOST:PORT' (a running Dask scheduler)"


@dataclass(frozen=True)
class ClusterSpec:
    """A parsed ``--cluster`` value: ``local`` with ``workers``, or a scheduler ``address``."""

    text: str
    workers: int | None = None
    address: str | None = None


def _problem(where: str, message: str) -> InputError:
    return InputError([Problem(where, None, "", message)])


def parse_cluster(text: str | None, where: str = "--cluster") -> ClusterSpec | None:
    """The cluster ``text`` names (None: run in this process). ``where`` names the option or variable
    for the error message; a malformed value is an :class:`~rackforge.errors.InputError`."""
    value = (text or "").strip()
    if not value:
        return None
    local = re.fullmatch(r"local:(\d+)", value)
    if local:
        workers = int(local.group(1))
        if not 1 <= workers <= MAX_LOCAL_WORKERS:
            raise _problem(where, f"local:N takes 1 to {MAX_LOCAL_WORKERS} worker processes, got {workers}")
        return ClusterSpec(value, workers=workers)
    if re.fullmatch(r"(tcp|tls)://[A-Za-z0-9.\-\[\]:]+:\d{1,5}", value):
        return ClusterSpec(value, address=value)
    raise _problem(where, f"{value!r} is not a cluster; give {_FORMS}")


def chosen_cluster(option: str | None) -> ClusterSpec | None:
    """The cluster from the ``--cluster`` option, else from ``RACKFORGE_CLUSTER``, else None."""
    if option is not None and option.strip():
        return parse_cluster(option, "--cluster")
    return parse_cluster(os.environ.get(ENV_VAR), ENV_VAR)


def _require_distributed(spec: ClusterSpec) -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise _problem("--cluster", f"running on a cluster ({spec.text}) needs Dask, which is not installed; "
                       f"install it with: {INSTALL_HINT}") from None


UNSET_FOR_WORKERS = ("MALLOC_TRIM_THRESHOLD_",)
"""Variables Dask sets for its worker processes by default that rackforge's workers go without:
setting ``MALLOC_TRIM_THRESHOLD_`` turns off glibc's adaptive mmap threshold, so every large NumPy
array of the Monte Carlo is mapped and faulted in afresh; measured, a piece of the run took 1.6× the
CPU time it takes in one process (docs/scaling.md)."""


def local_cluster(workers: int) -> Any:
    """A ``distributed.LocalCluster`` of ``workers`` processes with one thread each, no dashboard,
    quiet logs, the worker environment without :data:`UNSET_FOR_WORKERS`, and without the workers'
    statistical profiler (a thread sampling every task's stack every 10 ms: CPU nobody reads here)."""
    import dask
    from distributed import LocalCluster

    environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
               if k not in UNSET_FOR_WORKERS}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ,
                          "distributed.worker.profile.enabled": False}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                            silence_logs=logging.ERROR)


class ClusterMap:
    """The task map of a cluster that starts (or is connected to) when the first task is sent, so a
    command that stops early on bad input, or needs no cluster, starts none; :meth:`close` ends it."""

    def __init__(self, spec: ClusterSpec) -> None:
        self.spec = spec
        self._stack = ExitStack()
        self._map: TaskMap | None = None

    def _started(self) -> TaskMap:
        if self._map is None:
            self._map = self._start()
        return self._map

    def _start(self) -> TaskMap:
        from distributed import Client

        from rackforge.cluster.dask_map import DaskMap

        spec = self.spec
        if spec.workers is not None:
            cluster = self._stack.enter_context(local_cluster(spec.workers))
            return DaskMap(self._stack.enter_context(Client(cluster)))
        try:
            client = Client(spec.address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise _problem("--cluster", f"cannot reach the Dask scheduler at {spec.address}: {exc}; start one "
                           "with 'dask scheduler' or give 'local:N'") from None
        return DaskMap(self._stack.enter_context(client))

    @property
    def workers(self) -> int:
        """Workers of the cluster [processes] (starts it)."""
        return self._started().workers

    def map_ordered(self, fn: Callable[[S, T], R], items: Sequence[T], *, shared: S) -> Iterator[R]:
        """``fn(shared, item)`` on the cluster for each item, in item order (starts it)."""
        return self._started().map_ordered(fn, items, shared=shared)

    def close(self) -> None:
        """Close the client and stop a local cluster."""
        self._stack.close()
        self._map = None


@contextmanager
def cluster_task_map(spec: ClusterSpec | None) -> Iterator[TaskMap]:
    """A task map for ``spec`` (None: :class:`~rackforge.core.parallel.SerialMap`), in force for the
    analyses inside the ``with`` block; the cluster starts when the first task is sent and a local
    one is stopped when the block ends. Without Dask installed, an :class:`~rackforge.errors.InputError`
    saying how to install it."""
    if spec is None:
        with running_on(SerialMap()) as serial:
            yield serial
        return
    _require_distributed(spec)
    task_map = ClusterMap(spec)
    try:
        with running_on(task_map):
            yield task_map
    finally:
        task_map.close()
