"""Resilience at scale: Monte Carlo kernel, stress test over a 1,000-node network, safety stock on a
500-stage tree.

Run: ``PYTHONPATH=src taskset -c 0 python benchmarks/bench_resilience.py [--scenarios 65536] [--repeat 5]``
from the repository root. Prints, for each figure, the best and median of ``--repeat`` runs, in wall
time and in CPU time of this process (the CPU figure is steadier on a shared machine):

- ``kernel``: the Monte Carlo kernel (:func:`rackforge.resilience.montecarlo.simulate`: supply with
  alternates, lead-time slips, inventory and builds with the allocation rule), the vectorised NumPy
  one and the numba one (when numba imports; timed interleaved with the NumPy one), on pre-sampled
  scenarios of the reference programme (8 quarters, 4 designs, 84 parts, 153 sources) and of a
  synthetic programme (12 quarters, 3 designs, 60 parts); rate in scenario·period·part updates per
  second (target ≥ 2e8 on one core), single and double precision;
- ``reference loop``: the plain per-scenario loop kept in tests/test_resilience_montecarlo.py, on the
  same inputs; the kernel must be ≥ 50× faster;
- ``run``: sampling + kernel + results for the reference programme (end to end, for information);
- ``stress``: TTS and TTR for every node of a 1,000-node synthetic network (2,000 LP solves on one
  reused HiGHS model; target < 30 s), and for every site, country and region of it;
- ``buffers``: the guaranteed-service DP on random 500- and 1,000-stage trees (target < 5 s).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], list[float], Any]:
    """Wall and CPU times [s] of ``repeat`` calls, and the last result."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return wall, cpu, result


def show(name: str, wall: list[float], cpu: list[float], work: float | None = None, unit: str = "") -> float:
    """Print best/median times (and a rate when ``work`` is given); returns the best CPU rate."""
    line = (f"{name:<58} wall best {min(wall):8.4f} s median {statistics.median(wall):8.4f} s | "
            f"cpu best {min(cpu):8.4f} s")
    rate = 0.0
    if work is not None:
        rate = work / min(cpu)
        line += f" | {rate / 1e6:8.1f} M {unit}/s (cpu), {work / min(wall) / 1e6:8.1f} M/s (wall)"
    print(line, flush=True)
    return rate


def random_tree(stages: int, seed: int) -> Any:
    """A random spanning tree: 80 % assembly links (into one of the 20 previous stages), 20 %
    distribution links; processing 1-5 periods; demand stages with σ 1-10 and 2 periods of service."""
    import numpy as np

    from rackforge.resilience.safety_stock import Link, Stage, SupplyTree

    rng = np.random.default_rng(seed)
    links = []
    for k in range(1, stages):
        j = int(rng.integers(max(0, k - 20), k))
        links.append(Link(f"s{k}", f"s{j}", float(rng.integers(1, 4))) if rng.random() < 0.8
                     else Link(f"s{j}", f"s{k}", 1.0))
    feeds = {link.upstream for link in links}
    out = []
    for k in range(stages):
        faces_demand = f"s{k}" not in feeds
        out.append(Stage(f"s{k}", int(rng.integers(1, 6)), float(rng.uniform(0.1, 5.0)),
                         float(rng.uniform(1, 10)) if faces_demand else None, 2 if faces_demand else None))
    return SupplyTree(tuple(out), tuple(links))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", type=int, default=65_536)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference-scenarios", type=int, default=16)
    args = parser.parse_args()

    import numpy as np

    from rackforge.io.loader import load_programme
    from rackforge.resilience.montecarlo import (
        compiled_kernel_available,
        run,
        sample,
        simulate,
        simulation_model,
        synthetic_model,
    )
    from rackforge.resilience.network import synthetic_network
    from rackforge.resilience.safety_stock import optimise
    from rackforge.resilience.stress import stress_test

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_resilience_montecarlo import reference_simulation

    print(f"numpy {np.__version__}, python {sys.version.split()[0]}, scenarios {args.scenarios:,}")
    reference = load_programme(None)
    models = {
        "reference programme": simulation_model(reference),
        "synthetic (12 q, 3 designs, 60 parts)": synthetic_model(
            3, designs=3, parts=60, quarters=12, events=6, lead_time_cv=0.1, capacity_margin=1.3,
            event_probability=(0.02, 0.15)),
    }
    kernel_rate = {}
    for label, model in models.items():
        periods, _, n_parts, _ = model.shape
        updates = args.scenarios * periods * n_parts
        for precision, dtype in (("single", np.float32), ("double", np.float64)):
            s = sample(model, 1, 0, args.scenarios, dtype=dtype)
            kernels = ["numpy", "compiled"] if compiled_kernel_available() else ["numpy"]
            times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in kernels}
            for k in kernels:
                simulate(model, s.capacity, s.late, s.carry_in, kernel=k)  # warm up (and compile)
            for _ in range(args.repeat):  # interleaved, so both see the same machine load
                for k in kernels:
                    w, c, _ = timed(lambda m=model, x=s, k=k: simulate(m, x.capacity, x.late, x.carry_in, kernel=k), 1)
                    times[k][0].extend(w)
                    times[k][1].extend(c)
            for k in kernels:
                rate = show(f"kernel {k}, {label}, {precision}", *times[k], updates, "updates")
                kernel_rate[(label, precision)] = max(kernel_rate.get((label, precision), 0.0), rate)
        n_ref = args.reference_scenarios
        s = sample(model, 1, 0, n_ref)
        wall, cpu, _ = timed(lambda m=model, x=s: reference_simulation(m, x.capacity, x.late, x.carry_in), 1)
        ref_rate = show(f"reference loop, {label} ({n_ref} scenarios)", wall, cpu, n_ref * periods * n_parts,
                        "updates")
        for precision in ("single", "double"):
            best = kernel_rate[(label, precision)]
            print(f"  fastest kernel / reference loop ({precision}): {best / ref_rate:,.0f}×")

    model = models["reference programme"]
    wall, cpu, _ = timed(lambda: run(model, args.scenarios, 1), max(1, args.repeat // 2))
    periods, _, n_parts, _ = model.shape
    show("run (sample + kernel + results), reference programme", wall, cpu, args.scenarios * periods * n_parts,
         "updates")

    network = synthetic_network(1000, 1)
    nodes = network.disruptions(["node"])
    wall, cpu, result = timed(lambda: stress_test(network, nodes), max(1, args.repeat // 2))
    show(f"stress, every node of a {len(network.nodes):,}-node network ({result.solves:,} solves)", wall, cpu)
    groups = network.disruptions(["site", "country", "region"])
    wall, cpu, result = timed(lambda: stress_test(network, groups), max(1, args.repeat // 2))
    show(f"stress, {len(groups)} sites, countries and regions of it", wall, cpu)

    for stages in (500, 1000):
        tree = random_tree(stages, 1)
        wall, cpu, res = timed(lambda t=tree: optimise(t), args.repeat)
        show(f"buffers, {stages}-stage random tree (max service {max(r.service_time for r in res.stages)})",
             wall, cpu)


if __name__ == "__main__":
    main()
