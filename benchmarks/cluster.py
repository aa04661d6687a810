"""Work on a Dask LocalCluster vs one process (issue 17).

Run from the repository root, e.g.::

    PYTHONPATH=src python benchmarks/cluster.py mc --scenarios 10000000 --workers 2
    PYTHONPATH=src python benchmarks/cluster.py overhead --tasks 2000 --workers 2
    PYTHONPATH=src python benchmarks/cluster.py sweep --rows 1000 --serial-rows 100 --workers 2

- ``mc``: the reference programme's Monte Carlo, one process vs a LocalCluster of ``--workers``
  single-threaded processes (the cluster is started before the clock starts; its start is timed on
  its own); wall time, CPU time of this process and of the workers, and whether the two JSON results
  are identical;
- ``overhead``: scheduler overhead per task: ``--tasks`` tasks that do nothing, through the same
  :class:`rackforge.cluster.dask_map.DaskMap` the analyses use (wall time per task);
- ``sweep``: ``rackforge sweep`` rows of stress tests (source capacities and the build plan's scale
  varied): ``--rows`` on the cluster, the first ``--serial-rows`` in one process for the per-row cost
  and to check that those rows are identical.

The machine may be shared: every figure gives wall and CPU time so a loaded machine can be told apart.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")


@contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A DaskMap on a LocalCluster of ``workers`` single-threaded processes (start printed)."""
    from distributed import Client

    from rackforge.cluster.connect import local_cluster as start
    from rackforge.cluster.dask_map import DaskMap

    t0 = time.perf_counter()
    with start(workers) as cluster, Client(cluster) as client:
        print(f"cluster of {workers} workers started in {time.perf_counter() - t0:.2f} s wall")
        yield DaskMap(client)


def worker_cpu_s(task_map: Any) -> float:
    """User + system CPU time of every worker process so far [s]."""
    def cpu() -> float:
        import psutil

        t = psutil.Process().cpu_times()
        return float(t.user + t.system)

    return float(sum(task_map.client.run(cpu).values()))


def measure(fn: Callable[[], Any], task_map: Any | None = None) -> tuple[Any, dict[str, float]]:
    """Result of ``fn()`` with wall time, this process's CPU time and (on a cluster) the workers' CPU time [s]."""
    w0 = worker_cpu_s(task_map) if task_map is not None else 0.0
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn()
    figures = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
    if task_map is not None:
        figures["workers_cpu_s"] = worker_cpu_s(task_map) - w0
    return result, figures


def bench_mc(scenarios: int, workers: int, seed: int) -> None:
    from rackforge import api
    from rackforge.core.parallel import running_on
    from rackforge.io.loader import load_programme
    from rackforge.resilience.montecarlo import run, simulation_model

    programme = load_programme(None)
    model = simulation_model(programme)

    def warm() -> None:  # imports, the compiled kernel's JIT (or its disk cache), here or on every worker
        run(model, 4096 * workers, seed, chunk=1024, kernel="compiled")

    warm()
    one, serial = measure(lambda: api.simulate(programme, scenarios, seed))
    print(f"one process: {scenarios:,} scenarios in {serial['wall_s']:.1f} s wall, {serial['cpu_s']:.1f} s CPU")
    with local_cluster(workers) as task_map, running_on(task_map):
        warm()
        two, spread = measure(lambda: api.simulate(programme, scenarios, seed), task_map)
    same = json.dumps(one.to_json()) == json.dumps(two.to_json())
    print(f"{workers} workers: {spread['wall_s']:.1f} s wall, {spread['cpu_s']:.1f} s CPU here + "
          f"{spread['workers_cpu_s']:.1f} s CPU on the workers; speed-up {serial['wall_s'] / spread['wall_s']:.2f}x "
          f"wall; identical JSON: {same}")


def _noop(shared: Any, item: int) -> int:
    return item


def bench_overhead(tasks: int, workers: int) -> None:
    with local_cluster(workers) as task_map:
        list(task_map.map_ordered(_noop, list(range(4 * workers)), shared=None))  # warm
        out, figures = measure(lambda: list(task_map.map_ordered(_noop, list(range(tasks)), shared=None)), task_map)
    assert out == list(range(tasks))
    print(f"{tasks:,} empty tasks on {workers} workers: {figures['wall_s']:.2f} s wall, "
          f"{1e3 * figures['wall_s'] / tasks:.2f} ms per task; {figures['cpu_s']:.2f} s CPU here, "
          f"{figures['workers_cpu_s']:.2f} s on the workers")


SWEEP = """\
sweep:
  inputs:
    - field: build_plan.scale
      range: [0.5, 1.5]
      steps: {a}
    - field: sources[nvidia-b300-gpu@amkor-peoria].capacity_per_quarter
      range: [500, 20000]
      steps: {b}
    - field: sources[nvidia-b300-gpu@spil-taichung].capacity_per_quarter
      range: [500, 20000]
      steps: {c}
  run:
    stress: {{}}
  outputs:
    - stress.exposed
    - stress.baseline_tts_weeks
"""


def bench_sweep(rows: int, serial_rows: int, workers: int) -> None:
    from rackforge.cluster.sweep import design_rows, load_spec, run_rows
    from rackforge.core.parallel import running_on
    from rackforge.io.loader import load_programme

    programme = load_programme(None)
    side = max(2, round(rows ** (1 / 3)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.yaml"
        path.write_text(SWEEP.format(a=side, b=side, c=max(2, -(-rows // (side * side)))))
        spec = load_spec(path, programme)
    grid = design_rows(spec, programme)[:rows]
    head, serial = measure(lambda: list(run_rows(programme, spec, grid[:serial_rows], None)))
    print(f"one process: {serial_rows} stress-test rows in {serial['wall_s']:.1f} s wall, {serial['cpu_s']:.1f} s CPU "
          f"({serial['wall_s'] / serial_rows:.3f} s per row)")
    with local_cluster(workers) as task_map, running_on(task_map):
        out, spread = measure(lambda: list(run_rows(programme, spec, grid, None)), task_map)
    failed = sum(r["error"] is not None for r in out)
    per_row = spread["wall_s"] / len(grid)
    print(f"{workers} workers: {len(grid):,} rows in {spread['wall_s']:.1f} s wall ({per_row:.3f} s per row), "
          f"{spread['cpu_s']:.1f} s CPU here + {spread['workers_cpu_s']:.1f} s on the workers; "
          f"{failed} rows with an error; first {serial_rows} identical to one process: {out[:serial_rows] == head}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["mc", "overhead", "sweep"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenarios", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--serial-rows", type=int, default=100)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.what == "mc":
        bench_mc(args.scenarios, args.workers, args.seed)
    elif args.what == "overhead":
        bench_overhead(args.tasks, args.workers)
    else:
        bench_sweep(args.rows, args.serial_rows, args.workers)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
