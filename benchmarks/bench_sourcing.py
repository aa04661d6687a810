"""Sourcing analysis at scale: BOM explosion + origin + concentration, and what-if re-evaluation.

Run: ``taskset -c 0 python benchmarks/bench_sourcing.py [--parts 5000] [--sources 20000] [--repeat 5]``
(PYTHONPATH=src from the repository root). Builds a synthetic programme (nested assemblies three
levels deep, 4 designs, 8 quarters, alternates qualifying over two years) and prints the median and
best wall time of:

- ``analysis``: BOM explosion, supply-network resolution, domestic content per design/quarter/year/
  category in both source views, per-part and per-category HHI, single-source/-country parts,
  country exposure, lead-time paths and the JSON document (target < 2 s on one core);
- ``whatif``: one move (a share of a part to another site) re-evaluated by the incremental engine
  (target < 100 ms), over different random moves;
- ``rank``: ranking every part of one design for a move to a US site, and the cheapest passing set.

Building the programme (pydantic validation of every record) is not timed.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Wall times [s] of ``repeat`` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def full_analysis(programme: Any) -> Any:
    """Everything `rackforge sourcing` computes, from the model."""
    from rackforge.sourcing.analysis import analyse_sourcing

    analysis = analyse_sourcing(programme)
    analysis.to_json()  # domestic content, parts, exposure, category HHI, lead-time paths
    return analysis


def main() -> None:
    import numpy as np

    from rackforge.sourcing.synthetic import synthetic_programme
    from rackforge.sourcing.whatif import Move, WhatIfEngine

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", type=int, default=5000)
    parser.add_argument("--sources", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--moves", type=int, default=50)
    ns = parser.parse_args()

    start = time.perf_counter()
    programme = synthetic_programme(n_parts=ns.parts, n_sources=ns.sources)
    build = time.perf_counter() - start
    print(f"synthetic programme: {len(programme.catalog.parts)} part types, {len(programme.sources)} source rows, "
          f"{len(programme.catalog.assemblies)} assemblies, {len(programme.build_plan.designs)} designs "
          f"(built and validated in {build:.2f} s, not timed below)")

    times, analysis = timed(lambda: full_analysis(programme), ns.repeat)
    print(f"analysis (explode + origin + concentration + JSON): median {statistics.median(times):.3f} s, "
          f"best {min(times):.3f} s over {ns.repeat} runs (target < 2 s)")

    start = time.perf_counter()
    engine = WhatIfEngine(analysis)
    print(f"what-if engine precompute (once per programme): {time.perf_counter() - start:.3f} s")
    rng = np.random.default_rng(1)
    sites = list(programme.catalog.sites)
    moves = [Move(f"p{int(rng.integers(ns.parts)):05d}", sites[int(rng.integers(len(sites)))],
                  float(rng.uniform(0.1, 1.0))) for _ in range(ns.moves)]
    move_times = []
    for move in moves:
        start = time.perf_counter()
        engine.evaluate([move])
        move_times.append(time.perf_counter() - start)
    print(f"what-if one move re-evaluated: median {statistics.median(move_times) * 1e3:.1f} ms, "
          f"max {max(move_times) * 1e3:.1f} ms over {len(moves)} moves (target < 100 ms)")

    times, _ = timed(lambda: engine.rank_domestic_moves("design-0", 2027), ns.repeat)
    print(f"rank parts to bring home (one design, one year): median {statistics.median(times) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
