"""Benchmark of the factory line simulation (issue 7).

Targets: one year of a line building 10,000 racks of three generations simulated in under 5 s
on one core; the model logic (random draws, calendars, yields and rework, book-keeping) costs
at most 25% over a bare SimPy loop that replays exactly the same events (the same racks
visiting the same stations for the same durations, with no model logic).

Run:  PYTHONPATH=src python benchmarks/bench_factory.py          (prints the figures)
      PYTHONPATH=src python -m pytest benchmarks/bench_factory.py --benchmark-enable
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Generator
from typing import Any

from rackforge.factory.sim import (
    LineSpec,
    RawRun,
    ReleasePeriod,
    StationSpec,
    compile_steps,
    release_times,
    simulate_raw,
    summarise,
)
from rackforge.schema.factory import Calendar, Distribution, FailureMode, Step

HOURS_PER_YEAR = 52 * 168.0
RACKS_PER_YEAR = 10_000
TWO_SHIFTS = Calendar(shifts_per_day=2, hours_per_shift=8.0, days_per_week=6)
ALWAYS = Calendar(shifts_per_day=3, hours_per_shift=8.0, days_per_week=7)


def ln(mean_h: float, cv: float = 0.25) -> Distribution:
    return Distribution(dist="lognormal", mean_h=mean_h, cv=cv)


def route(burn_in_h: float, leak: bool) -> tuple[Step, ...]:
    steps = [
        Step(station="l10", time=ln(2.5), first_pass_yield=0.96, rework_station="rework", rework_time=ln(2.0, 0.5),
             failure_modes=(FailureMode(id="tray-fail", category="compute", share=1.0),)),
        Step(station="l11", time=ln(3.0)),
    ]
    if leak:
        steps.append(Step(station="leak", time=ln(1.5, 0.2), first_pass_yield=0.97, rework_station="rework",
                          rework_time=ln(3.0, 0.5), max_attempts=3,
                          failure_modes=(FailureMode(id="qd-leak", category="leak", share=0.8),
                                         FailureMode(id="manifold", category="leak", share=0.2,
                                                     scrap_fraction=0.05))))
    steps += [
        Step(station="power", time=ln(1.0, 0.2), first_pass_yield=0.98, rework_station="rework",
             rework_time=ln(2.0, 0.5), failure_modes=(FailureMode(id="psu", category="power", share=1.0),)),
        Step(station="burn", time=Distribution(dist="fixed", mean_h=burn_in_h), first_pass_yield=0.95,
             rework_station="rework", rework_time=ln(4.0, 0.5),
             failure_modes=(FailureMode(id="gpu", category="compute", share=0.7, coverage=0.95),
                            FailureMode(id="hbm", category="compute", share=0.3))),
        Step(station="fabric", time=ln(2.0, 0.2), first_pass_yield=0.97, rework_station="rework",
             rework_time=ln(1.5, 0.5), failure_modes=(FailureMode(id="link", category="link", share=1.0),)),
        Step(station="pack", time=ln(1.0, 0.2)),
    ]
    return tuple(steps)


def year_line() -> LineSpec:
    """Three generations (24 h, 48 h, 72 h burn-in; one air-cooled without leak test), 10,000 racks a year."""
    stations = (
        StationSpec("l10", 6, TWO_SHIFTS, 0.95, "l10-tray"),
        StationSpec("l11", 7, TWO_SHIFTS, 0.95, "l11-integration"),
        StationSpec("leak", 3, ALWAYS, 0.98, "leak-test"),
        StationSpec("power", 2, ALWAYS, 0.98, "power-on"),
        StationSpec("burn", 70, ALWAYS, 0.97, "burn-in"),
        StationSpec("fabric", 3, ALWAYS, 0.98, "fabric-validation"),
        StationSpec("pack", 2, TWO_SHIFTS, 1.0, "pack-ship"),
        StationSpec("rework", 3, TWO_SHIFTS, 1.0, "rework"),
    )
    index = {s.id: i for i, s in enumerate(stations)}
    routes = {
        "gen-a": compile_steps(route(24.0, True), index, "a"),
        "gen-b": compile_steps(route(48.0, True), index, "b"),
        "gen-c": compile_steps(route(72.0, False), index, "c"),
    }
    share = {"gen-a": 0.5, "gen-b": 0.35, "gen-c": 0.15}
    releases = tuple(ReleasePeriod(d, 0.0, HOURS_PER_YEAR, round(RACKS_PER_YEAR * s)) for d, s in share.items())
    return LineSpec(stations=stations, routes=routes, releases=releases, release_process="even",
                    window_start_h=4 * 168.0, window_end_h=HOURS_PER_YEAR, horizon_h=HOURS_PER_YEAR + 2 * 168.0)


def bare_replay(spec: LineSpec, raw: RawRun) -> float:
    """Replay the recorded events (same racks, stations, durations) in a bare SimPy loop; seconds."""
    import numpy as np
    import simpy

    env = simpy.Environment()
    resources = [simpy.Resource(env, capacity=s.count) for s in spec.stations]
    # each rack's visits as (resource, duration) pairs, resolved before timing: the leanest loop
    trails = {e[0]: [(resources[int(e[k])], e[k + 1]) for k in range(1, len(e), 2)] for e in raw.events}

    def rack(trail: list[tuple[Any, float]]) -> Generator[Any, Any, None]:
        for res, duration in trail:
            req = res.request()
            yield req
            yield env.timeout(duration)
            res.release(req)

    def source(times: list[float], indices: list[int]) -> Generator[Any, Any, None]:
        for t, i in zip(times, indices, strict=True):
            if t > env.now:
                yield env.timeout(t - env.now)
            env.process(rack(trails.get(i, [])))

    rng = np.random.default_rng(0)
    offset = 0
    sources = []
    for design in spec.designs:
        times = np.sort(np.concatenate([release_times(p, spec.release_process, rng)
                                        for p in spec.releases if p.design == design])).tolist()
        sources.append((times, list(range(offset, offset + len(times)))))
        offset += len(times)
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        for times, indices in sources:
            env.process(source(times, indices))
        env.run(until=spec.horizon_h)
        return time.process_time() - start
    finally:
        gc.enable()


def _quiet(fn: Any) -> float:
    """CPU time of one call [s] (process time: other processes on the machine do not count),
    garbage collector off while timing."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        fn()
        return time.process_time() - start
    finally:
        gc.enable()


def measure(repeat: int = 7) -> dict[str, float]:
    """The benchmark figures [s and %]: the fastest of ``repeat`` interleaved runs of each.

    The model and the bare loop are timed alternately so that load from other processes on the
    machine affects both alike; the minimum is the least disturbed run.
    """
    spec = year_line()
    raw = simulate_raw(spec, 1, 0, record_events=True)
    model, model_stats, bare = [], [], []
    for _ in range(repeat):
        model.append(_quiet(lambda: simulate_raw(spec, 1, 0)))
        bare.append(bare_replay(spec, raw))
        model_stats.append(_quiet(lambda: summarise(spec, simulate_raw(spec, 1, 0))))
    summary = summarise(spec, raw)
    return {
        "racks_started": summary["racks_started"], "racks_shipped": summary["racks_shipped"],
        "visits": int(raw.visits.shape[0]), "model_s": min(model), "model_with_statistics_s": min(model_stats),
        "bare_simpy_s": min(bare), "overhead_pct": 100.0 * (min(model) / min(bare) - 1.0),
    }


def test_bench_factory_year(benchmark: Any) -> None:
    spec = year_line()
    benchmark.pedantic(lambda: summarise(spec, simulate_raw(spec, 1, 0)), rounds=3, iterations=1)


if __name__ == "__main__":
    figures = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
    for key, value in figures.items():
        print(f"{key:>26}: {value:,.3f}" if isinstance(value, float) else f"{key:>26}: {value:,}")
