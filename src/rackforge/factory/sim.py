"""Discrete-event simulation of the rack integration-and-test line (SimPy).

The engine is deliberately lean: one SimPy process per rack (plus one release process per
design), one :class:`simpy.Resource` per station kind with ``count`` servers, and work times,
pass/fail draws and rework times pre-drawn with NumPy in chunks from one independent random
stream per step. A rack walks its route; at a test step it may fail (a failure mode is drawn),
be scrapped, or be reworked (at the rework station) and retested; a pass may carry an
undetected defect (an escape). Calendars pause work outside open hours
(:func:`rackforge.schema.factory.finish_time_h`).

Statistics (per replication, over the window from the end of the warm-up to the end of the
plan) are computed afterwards from per-rack and per-visit records, except total work in
progress, which is integrated by a counter at every arrival and departure so that Little's
law (time-average WIP vs. the sum of sojourn times) checks two independent book-keepings.

Replications are independent: replication ``i`` draws from ``SeedSequence(seed, spawn_key=(i,))``,
so results do not depend on how many processes run them (:class:`ProcessPoolExecutor`).
"""

from __future__ import annotations

import array
import math
import os
from bisect import bisect_right
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge.schema.factory import (
    ALWAYS_OPEN,
    Calendar,
    Distribution,
    Step,
    defect_probabilities,
    finish_time_h,
    open_hours_until_array,
)

if TYPE_CHECKING:
    import numpy as np

HOURS_PER_WEEK = 168.0
IN_PROCESS, SHIPPED, SCRAPPED = 0, 1, 2


# --------------------------------------------------------------------------------------------
# the compiled line (plain, picklable data)


@dataclass(frozen=True)
class StationSpec:
    """A station kind as the engine sees it."""

    id: str
    count: int
    calendar: Calendar = ALWAYS_OPEN
    availability: float = 1.0
    kind: str = "other"


@dataclass(frozen=True)
class StepSpec:
    """One step of a route, with its station index and its probabilities pre-computed."""

    station: int
    time: Distribution
    step: Step
    rework_station: int
    key: str = ""

    @property
    def is_test(self) -> bool:
        return self.step.is_test


@dataclass(frozen=True)
class ReleasePeriod:
    """``racks`` kits of ``design`` released in ``[start_h, end_h)``."""

    design: str
    start_h: float
    end_h: float
    racks: int


@dataclass(frozen=True)
class LineSpec:
    """Everything one replication needs: stations, routes, releases and the measurement window.

    ``window_start_h``/``window_end_h`` bound the statistics (warm-up before the start);
    the simulation runs to ``horizon_h`` (or until empty with ``drain``). ``checkpoints_h``
    are times at which cumulative shipments are counted (capacity planning).
    """

    stations: tuple[StationSpec, ...]
    routes: dict[str, tuple[StepSpec, ...]]
    releases: tuple[ReleasePeriod, ...]
    release_process: str = "even"
    window_start_h: float = 0.0
    window_end_h: float = 0.0
    horizon_h: float = 0.0
    drain: bool = False
    checkpoints_h: tuple[float, ...] = ()

    @property
    def designs(self) -> list[str]:
        """Designs in release order (first appearance)."""
        return list(dict.fromkeys(r.design for r in self.releases))


def compile_steps(steps: tuple[Step, ...], station_index: dict[str, int], prefix: str) -> tuple[StepSpec, ...]:
    """Resolve station ids of a route's steps to indices."""
    out = []
    for i, step in enumerate(steps):
        station = station_index[step.station]
        rework = station_index[step.rework_station] if step.rework_station else station
        out.append(StepSpec(station, step.time, step, rework, f"{prefix}#{i + 1}:{step.station}"))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# one replication


def _stream(draw: Callable[[int], np.ndarray], chunk: int) -> Iterator[float]:
    """Pre-drawn samples, refilled in chunks (fast ``next()`` in the rack loop)."""
    while True:
        yield from draw(chunk).tolist()


def _no_calendar(t0: float, w: float) -> float:
    return t0 + w


@dataclass
class _StepRuntime:
    station: int
    rework_station: int
    is_test: bool
    times: Iterator[float]
    uniforms: Iterator[float]
    rework_times: list[Iterator[float]]
    first: tuple[float, float, list[float], list[float]]
    retest: tuple[float, float, list[float], list[float]]
    scrap: list[float]
    max_attempts: int
    keys: list[int]
    resource: Any = None
    finish: Callable[[float, float], float] | None = None
    rework_resource: Any = None
    rework_finish: Callable[[float, float], float] = _no_calendar


def _thresholds(step: Step, yield_: float) -> tuple[float, float, list[float], list[float]]:
    """(fail prob, fail+escape prob, cumulative fail thresholds by mode, cumulative escape thresholds)."""
    fail, escape = defect_probabilities(yield_, step.failure_modes)
    fail_cum, acc = [], 0.0
    for m in step.failure_modes:
        acc += fail * m.share
        fail_cum.append(acc)
    escape_cum, acc = [], fail
    for m in step.failure_modes:
        acc += fail * m.share * (1.0 - m.coverage) / m.coverage
        escape_cum.append(acc)
    return fail, fail + escape, fail_cum, escape_cum


def run_replication(spec: LineSpec, seed: int, replication: int) -> dict[str, Any]:
    """Run one replication and return its summary (see :func:`summarise`)."""
    raw = simulate_raw(spec, seed, replication)
    return summarise(spec, raw)


@dataclass
class RawRun:
    """Records of one replication."""

    end_h: float
    design_of: np.ndarray
    entry_h: np.ndarray
    exit_h: np.ndarray
    outcome: np.ndarray
    reworks: np.ndarray
    escapes: np.ndarray
    visits: np.ndarray
    fail_counts: list[int]
    escape_counts: list[int]
    count_keys: list[tuple[str, str, str, str]]
    area_at: dict[float, float]
    area_end: float
    wip_end: int
    events: list[tuple[int, ...]] = field(default_factory=list)


def release_times(period: ReleasePeriod, process: str, rng: np.random.Generator) -> np.ndarray:
    """Release times of one period [h]: evenly spaced (mid-slot) or a Poisson process of the same rate."""
    import numpy as np

    length = period.end_h - period.start_h
    if period.racks <= 0 or length <= 0:
        return np.empty(0)
    if process == "even":
        return period.start_h + (np.arange(period.racks) + 0.5) * (length / period.racks)
    rate = period.racks / length
    n = int(period.racks + 6 * math.sqrt(period.racks) + 20)
    times = period.start_h + np.cumsum(rng.exponential(1.0 / rate, n))
    while times[-1] < period.end_h:
        times = np.concatenate([times, times[-1] + np.cumsum(rng.exponential(1.0 / rate, n))])
    return times[times < period.end_h]


def station_finisher(cal: Calendar) -> Callable[[float, float], float]:
    """``finish(start_h, work_h)`` for a calendar: :func:`finish_time_h` with a fast path [h].

    The fast path returns ``start + work`` when the work fits in the open part of the current day.
    """
    if cal.always_open:
        return lambda t0, w: t0 + w
    per_day, days = cal.open_h_per_day, cal.days_per_week

    def fin(t0: float, w: float) -> float:
        hour_of_week = t0 % HOURS_PER_WEEK
        hour = hour_of_week % 24.0
        if hour_of_week < days * 24.0 and hour < per_day and hour + w <= per_day:
            return t0 + w
        return finish_time_h(t0, w, per_day, days)

    return fin


def simulate_raw(spec: LineSpec, seed: int, replication: int, record_events: bool = False) -> RawRun:
    """Run one replication of the line and return its raw records.

    ``record_events`` also keeps each rack's visit sequence (station, duration) so the
    benchmark can replay the same events in a bare SimPy loop.
    """
    import numpy as np
    import simpy

    stream_counter = iter(range(1_000_000))

    def new_rng() -> np.random.Generator:
        # stream k of replication r: independent of the number of processes and of other streams
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, next(stream_counter))))

    env = simpy.Environment()
    stations = spec.stations
    resources = [simpy.Resource(env, capacity=s.count) for s in stations]

    finish = [station_finisher(s.calendar) for s in stations]
    always_open = [s.calendar.always_open for s in stations]

    # releases (own stream so that line changes keep the same arrivals)
    release_rng = new_rng()
    designs = spec.designs
    per_design: dict[str, list[np.ndarray]] = {d: [] for d in designs}
    for period in spec.releases:
        per_design[period.design].append(release_times(period, spec.release_process, release_rng))
    released = {d: np.sort(np.concatenate(v)) if v else np.empty(0) for d, v in per_design.items()}
    n_total = sum(len(v) for v in released.values())

    # counters of failures and escapes per (route step, mode)
    count_keys: list[tuple[str, str, str, str]] = []
    runtimes: dict[str, list[_StepRuntime]] = {}
    for design in designs:
        n_racks = max(len(released[design]), 1)
        steps = []
        for sspec in spec.routes[design]:
            step = sspec.step
            avail = stations[sspec.station].availability
            chunk = int(n_racks * 1.1) + 16

            def draw(n: int, d: Distribution = sspec.time, rng: np.random.Generator = new_rng(),
                     a: float = avail) -> np.ndarray:
                return d.sample(rng, n) / a

            uniforms_rng = new_rng()

            def draw_u(n: int, rng: np.random.Generator = uniforms_rng) -> np.ndarray:
                return rng.random(n)

            rw_avail = stations[sspec.rework_station].availability
            rework_streams = []
            for mode in step.failure_modes:
                dist = mode.rework_time or step.rework_time or Distribution(dist="fixed", mean_h=0.0)

                def draw_rw(n: int, d: Distribution = dist, rng: np.random.Generator = new_rng(),
                            a: float = rw_avail) -> np.ndarray:
                    return d.sample(rng, n) / a

                rework_streams.append(_stream(draw_rw, max(16, n_racks // 10)))
            base = len(count_keys)
            for mode in step.failure_modes:
                count_keys.append((design, sspec.key, mode.id, mode.category))
            steps.append(_StepRuntime(
                station=sspec.station, rework_station=sspec.rework_station, is_test=step.is_test,
                times=_stream(draw, chunk),
                uniforms=_stream(draw_u, chunk),
                rework_times=rework_streams,
                first=_thresholds(step, step.first_pass_yield),
                retest=_thresholds(step, step.retest_yield_or_first),
                scrap=[m.scrap_fraction for m in step.failure_modes],
                max_attempts=step.max_attempts or 0,
                keys=[base + k for k in range(len(step.failure_modes))],
                resource=resources[sspec.station],
                finish=None if always_open[sspec.station] else finish[sspec.station],
                rework_resource=resources[sspec.rework_station],
                rework_finish=finish[sspec.rework_station],
            ))
        runtimes[design] = steps

    fail_counts = [0] * len(count_keys)
    escape_counts = [0] * len(count_keys)
    design_of = [0] * n_total
    entry = [math.nan] * n_total
    exit_ = [math.nan] * n_total
    outcome = [IN_PROCESS] * n_total
    reworks_of = [0] * n_total
    escapes_of = [0] * n_total
    # flat doubles: station, requested, started, ended [h] per visit; an array keeps no float objects alive
    visits = array.array("d")
    record = visits.append
    events: list[tuple[int, ...]] = []
    wip = 0
    area = 0.0
    last_t = 0.0
    area_at: dict[float, float] = {}

    def rack(index: int, steps: list[_StepRuntime]) -> Generator[Any, Any, None]:
        nonlocal wip, area, last_t
        now = env.now
        area += wip * (now - last_t)
        last_t = now
        wip += 1
        entry[index] = now
        reworks = 0
        escapes = 0
        fate = SHIPPED
        trail: list[float] = []
        for st in steps:
            res = st.resource
            fin = st.finish
            attempt = 0
            while True:
                t_req = env.now
                req = res.request()
                yield req
                t0 = env.now
                if fin is None:
                    work = next(st.times)
                    yield env.timeout(work)
                    t1 = t0 + work
                else:
                    t1 = fin(t0, next(st.times))
                    yield env.timeout(t1 - t0)
                res.release(req)
                record(st.station)
                record(t_req)
                record(t0)
                record(t1)
                if record_events:
                    trail += (st.station, t1 - t0)
                if not st.is_test:
                    break
                attempt += 1
                fail, fail_or_escape, fail_cum, escape_cum = st.first if attempt == 1 else st.retest
                u = next(st.uniforms)
                if u >= fail:
                    if u < fail_or_escape:
                        escapes += 1
                        escape_counts[st.keys[min(bisect_right(escape_cum, u), len(escape_cum) - 1)]] += 1
                    break
                mode = min(bisect_right(fail_cum, u), len(fail_cum) - 1)
                fail_counts[st.keys[mode]] += 1
                if attempt == st.max_attempts or next(st.uniforms) < st.scrap[mode]:
                    fate = SCRAPPED
                    break
                reworks += 1
                rres = st.rework_resource
                t_req = env.now
                req = rres.request()
                yield req
                t0 = env.now
                t1 = st.rework_finish(t0, next(st.rework_times[mode]))
                yield env.timeout(t1 - t0)
                rres.release(req)
                record(st.rework_station)
                record(t_req)
                record(t0)
                record(t1)
                if record_events:
                    trail += (st.rework_station, t1 - t0)
            if fate == SCRAPPED:
                break
        now = env.now
        area += wip * (now - last_t)
        last_t = now
        wip -= 1
        exit_[index] = now
        outcome[index] = fate
        reworks_of[index] = reworks
        escapes_of[index] = escapes
        if record_events:
            events.append((index, *trail))  # type: ignore[arg-type]

    def source(design_index: int, first_index: int, times: list[float],
               steps: list[_StepRuntime]) -> Generator[Any, Any, None]:
        for k, t in enumerate(times):
            if t > env.now:
                yield env.timeout(t - env.now)
            design_of[first_index + k] = design_index
            env.process(rack(first_index + k, steps))

    def snapshot(t: float) -> Generator[Any, Any, None]:
        yield env.timeout(t)
        area_at[t] = area + wip * (env.now - last_t)

    offset = 0
    for d_index, design in enumerate(designs):
        times = released[design].tolist()
        env.process(source(d_index, offset, times, runtimes[design]))
        offset += len(times)
    for t in {spec.window_start_h, spec.window_end_h}:
        if 0 < t <= spec.horizon_h:
            env.process(snapshot(t))
    env.run(until=spec.horizon_h)
    if spec.drain:
        env.run()
    end = env.now
    area_end = area + wip * (end - last_t)
    area_at.setdefault(0.0, 0.0)
    return RawRun(
        end_h=end,
        design_of=np.asarray(design_of, dtype=np.int64),
        entry_h=np.asarray(entry, dtype=float),
        exit_h=np.asarray(exit_, dtype=float),
        outcome=np.asarray(outcome, dtype=np.int8),
        reworks=np.asarray(reworks_of, dtype=np.int64),
        escapes=np.asarray(escapes_of, dtype=np.int64),
        visits=np.frombuffer(visits, dtype=float).copy().reshape(-1, 4),
        fail_counts=fail_counts,
        escape_counts=escape_counts,
        count_keys=count_keys,
        area_at=area_at,
        area_end=area_end,
        wip_end=wip,
        events=events,
    )


# --------------------------------------------------------------------------------------------
# statistics of one replication


def _area_between(raw: RawRun, a: float, b: float) -> float:
    """Integral of WIP over [a, b] from the counter snapshots [rack·h]."""
    start = raw.area_at.get(a, 0.0 if a == 0 else math.nan)
    end = raw.area_end if b >= raw.end_h else raw.area_at.get(b, math.nan)
    return end - start


def summarise(spec: LineSpec, raw: RawRun) -> dict[str, Any]:
    """Summary statistics of one replication over the window ``[window_start_h, window_end_h]``.

    Per design: racks released, shipped (in window and in all), scrapped, in process at the
    end, racks shipped per week in the window, mean and 90th-percentile cycle time of racks
    released in the window, reworks per rack, share of finished racks without rework, escape
    rate (shipped racks carrying an undetected defect), cumulative shipments at the checkpoints
    and shipments per week. Per station: utilisation (busy open hours / (count × open hours)),
    mean wait for a server, time-average racks at the station. Total: time-average WIP in the
    window, and the Little's-law gap of the whole run.
    """
    import numpy as np

    a, b = spec.window_start_h, spec.window_end_h
    window_h = max(b - a, 1e-12)
    window_weeks = window_h / HOURS_PER_WEEK
    entered = ~np.isnan(raw.entry_h)
    shipped = raw.outcome == SHIPPED
    scrapped = raw.outcome == SCRAPPED
    finished = shipped | scrapped
    n_weeks = math.ceil(raw.end_h / HOURS_PER_WEEK)
    designs_out: dict[str, Any] = {}
    for d_index, design in enumerate(spec.designs):
        mine = entered & (raw.design_of == d_index)
        ship_t = raw.exit_h[mine & shipped]
        in_window = (raw.entry_h >= a) & (raw.entry_h <= b) & mine & shipped
        cycle = raw.exit_h[in_window] - raw.entry_h[in_window]
        fin = mine & finished
        designs_out[design] = {
            "released": int(mine.sum()),
            "shipped": int((mine & shipped).sum()),
            "scrapped": int((mine & scrapped).sum()),
            "in_process": int((mine & ~finished).sum()),
            "shipped_in_window": int(((ship_t >= a) & (ship_t <= b)).sum()),
            "racks_per_week": float(((ship_t >= a) & (ship_t <= b)).sum() / window_weeks),
            "cycle_time_h": float(cycle.mean()) if cycle.size else math.nan,
            "cycle_time_p90_h": float(np.percentile(cycle, 90)) if cycle.size else math.nan,
            "reworks_per_rack": float(raw.reworks[fin].mean()) if fin.any() else math.nan,
            "first_pass_rack_share": float((raw.reworks[fin] == 0).mean()) if fin.any() else math.nan,
            "escape_rate": float((raw.escapes[mine & shipped] > 0).mean()) if ship_t.size else math.nan,
            "shipped_by_checkpoint": [int((ship_t <= t).sum()) for t in spec.checkpoints_h],
            "weekly_shipped": np.bincount((ship_t // HOURS_PER_WEEK).astype(np.int64),
                                          minlength=n_weeks)[:n_weeks].tolist(),
        }
    stations_out: dict[str, Any] = {}
    v = raw.visits
    for s_index, station in enumerate(spec.stations):
        rows = v[v[:, 0] == s_index] if v.size else np.empty((0, 4))
        t_req, t0, t1 = rows[:, 1], rows[:, 2], rows[:, 3]
        cal = station.calendar
        if cal.always_open:
            busy = np.clip(np.minimum(t1, b) - np.maximum(t0, a), 0, None).sum()
            open_h = window_h
        else:
            per_day, days = cal.open_h_per_day, cal.days_per_week
            c_end = open_hours_until_array(np.minimum(t1, b), per_day, days)
            c_start = open_hours_until_array(np.maximum(t0, a), per_day, days)
            busy = np.clip(c_end - c_start, 0, None).sum()
            bounds = open_hours_until_array(np.array([a, b]), per_day, days)
            open_h = float(bounds[1] - bounds[0])
        waits = (t_req >= a) & (t_req <= b)
        present = np.clip(np.minimum(t1, b) - np.maximum(t_req, a), 0, None).sum()
        stations_out[station.id] = {
            "count": station.count,
            "utilisation": float(busy / (station.count * open_h)) if open_h > 0 else 0.0,
            "mean_wait_h": float((t0[waits] - t_req[waits]).mean()) if waits.any() else 0.0,
            "mean_racks_present": float(present / window_h),
            "visits": int(waits.sum()),
        }
    sojourn_sum = float(np.nansum(np.where(np.isnan(raw.exit_h), raw.end_h, raw.exit_h)[entered]
                                  - raw.entry_h[entered]))
    little_gap = abs(raw.area_end - sojourn_sum) / max(raw.area_end, 1e-12)
    failures = [
        {"design": k[0], "step": k[1], "mode": k[2], "category": k[3], "failures": f, "escapes": e}
        for k, f, e in zip(raw.count_keys, raw.fail_counts, raw.escape_counts, strict=True)
    ]
    return {
        "end_h": raw.end_h,
        "designs": designs_out,
        "stations": stations_out,
        "wip_mean": _area_between(raw, a, b) / window_h,
        "wip_end": raw.wip_end,
        "racks_started": int(entered.sum()),
        "racks_shipped": int((entered & shipped).sum()),
        "racks_scrapped": int((entered & scrapped).sum()),
        "little_law_gap": little_gap,
        "failures": failures,
    }


# --------------------------------------------------------------------------------------------
# replications, in parallel


def _run_one(args: tuple[LineSpec, int, int]) -> dict[str, Any]:
    spec, seed, replication = args
    return run_replication(spec, seed, replication)


def run_replications(spec: LineSpec, replications: int, seed: int, workers: int | None = None) -> list[dict[str, Any]]:
    """Run ``replications`` independent replications, in ``workers`` processes (default: CPUs).

    Replication ``i`` is seeded by ``SeedSequence(seed, spawn_key=(i,))``, so the list of
    results is the same for any number of workers.
    """
    jobs = [(spec, seed, i) for i in range(replications)]
    workers = min(replications, workers if workers is not None else (os.cpu_count() or 1))
    if workers <= 1:
        return [_run_one(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_run_one, jobs))


def mean_ci(values: list[float] | np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of its two-sided Student-t confidence interval over replications.

    ``half = t_{(1+level)/2, n-1} · s / √n`` with ``s`` the sample standard deviation; a single
    value or NaNs give a half-width of NaN.
    """
    import numpy as np
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan
    if x.size == 1:
        return float(x[0]), math.nan
    half = float(stats.t.ppf((1 + level) / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return float(x.mean()), half
