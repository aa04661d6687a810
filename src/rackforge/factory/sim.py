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
import itertools
import math
import os
from bisect import bisect_right
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge.schema.factory import (
    ALWAYS_OPEN,
    CALENDAR_TOLERANCE_H,
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
    """Pre-drawn samples, refilled in chunks of ``chunk`` when used up (fast ``next()`` in the rack loop:
    a C-level iterator over a list of Python floats)."""
    return itertools.chain.from_iterable(map(lambda _: draw(chunk).tolist(), itertools.repeat(None)))


def _no_calendar(t0: float, w: float) -> float:
    """End of ``w`` hours of work started at ``t0`` at an always-open station [h]."""
    return t0 + w


@dataclass
class _StepRuntime:
    """A route step as the rack process uses it: station and rework station (indices and SimPy
    resources), pre-drawn work times [h] and uniforms, rework times per failure mode [h], test
    thresholds for the first attempt and retests (see :func:`_thresholds`), scrap fraction per mode,
    the attempt limit (0: none), the failure/escape counter index per mode, and the calendar
    ``finish(start_h, work_h)`` of each station (``finish=None``: always open)."""

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

    The fast path returns ``start + work`` when the work fits in the open part of the current day
    (to :data:`~rackforge.schema.factory.CALENDAR_TOLERANCE_H`: work ending on the close ends then).
    """
    if cal.always_open:
        return lambda t0, w: t0 + w
    per_day, days = cal.open_h_per_day, cal.days_per_week

    def fin(t0: float, w: float) -> float:
        hour_of_week = t0 % HOURS_PER_WEEK
        hour = hour_of_week % 24.0
        if hour_of_week < days * 24.0 and hour < per_day and hour + w <= per_day + CALENDAR_TOLERANCE_H:
            return t0 + w
        return finish_time_h(t0, w, per_day, days)

    return fin


def simulate_raw(spec: LineSpec, seed: int, replication: int, record_events: bool = False) -> RawRun:
    """Run one replication of the line and return its raw records.

    ``record_events`` also keeps each rack's visit sequence (station, duration) so the
    benchmark can replay the same events in a bare SimPy loop.

    The parts, in order: random streams (:func:`_rng_streams`), release times
    (:func:`_release_schedule`), stations and route steps with their pre-drawn samples
    (:func:`_route_runtimes`), the book-keeping (:class:`_Records`), one process per rack
    (:func:`_rack_process`, which visits stations with :func:`_station_visit` and judges tests
    with :func:`_test_verdict`), a release process per design (:func:`_release_process`) and WIP
    snapshots at the window bounds (:func:`_wip_snapshot`).
    """
    import simpy

    new_rng = _rng_streams(seed, replication)
    env = simpy.Environment()
    resources = [simpy.Resource(env, capacity=s.count) for s in spec.stations]
    released = _release_schedule(spec, new_rng())  # own stream first, so line changes keep the same arrivals
    count_keys: list[tuple[str, str, str, str]] = []
    runtimes = {design: _route_runtimes(spec, design, max(len(released[design]), 1), new_rng, resources, count_keys)
                for design in spec.designs}
    records = _Records(sum(len(v) for v in released.values()), len(count_keys), record_events)
    rack = _rack_process(env, records)
    first_index = 0
    for design_index, design in enumerate(spec.designs):
        times = released[design].tolist()
        env.process(_release_process(env, records, rack, design_index, first_index, times, runtimes[design]))
        first_index += len(times)
    for t in {spec.window_start_h, spec.window_end_h}:
        if 0 < t <= spec.horizon_h:
            env.process(_wip_snapshot(env, records, t))
    env.run(until=spec.horizon_h)
    if spec.drain:
        env.run()
    return records.raw_run(env.now, count_keys)


# ---- set-up: random streams, releases, route steps


def _rng_streams(seed: int, replication: int) -> Callable[[], np.random.Generator]:
    """A maker of independent random streams for one replication: its ``k``-th call returns the
    stream ``SeedSequence(seed, spawn_key=(replication, k))``, independent of the number of
    processes and of the other streams."""
    import numpy as np

    counter = itertools.count()

    def new_rng() -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, next(counter))))

    return new_rng


def _release_schedule(spec: LineSpec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Release times of each design's kits, sorted [h], drawn period by period from ``rng``."""
    import numpy as np

    per_design: dict[str, list[np.ndarray]] = {d: [] for d in spec.designs}
    for period in spec.releases:
        per_design[period.design].append(release_times(period, spec.release_process, rng))
    return {d: np.sort(np.concatenate(v)) if v else np.empty(0) for d, v in per_design.items()}


def _scaled_sampler(dist: Distribution, rng: np.random.Generator, availability: float
                    ) -> Callable[[int], np.ndarray]:
    """``draw(n)``: ``n`` work times of ``dist`` stretched by a station's ``availability`` [h]."""
    return lambda n: dist.sample(rng, n) / availability


def _rework_distribution(step: Step, mode_index: int) -> Distribution:
    """Rework time of a failure mode: its own, else the step's, else none [h]."""
    mode = step.failure_modes[mode_index]
    return mode.rework_time or step.rework_time or Distribution(dist="fixed", mean_h=0.0)


def _route_runtimes(spec: LineSpec, design: str, n_racks: int, new_rng: Callable[[], np.random.Generator],
                    resources: list[Any], count_keys: list[tuple[str, str, str, str]]) -> list[_StepRuntime]:
    """The run-time form of ``design``'s route for ``n_racks`` racks; appends one failure/escape
    counter key (design, step, mode, category) per failure mode of each step to ``count_keys``."""
    stations = spec.stations
    finishers = [station_finisher(s.calendar) for s in stations]
    steps = []
    for sspec in spec.routes[design]:
        step = sspec.step
        chunk = int(n_racks * 1.1) + 16
        # stream order matters (it fixes which stream each draw comes from): times, uniforms, rework per mode
        times = _stream(_scaled_sampler(sspec.time, new_rng(), stations[sspec.station].availability), chunk)
        uniforms = _stream(new_rng().random, chunk)
        rework_availability = stations[sspec.rework_station].availability
        rework_times = [_stream(_scaled_sampler(_rework_distribution(step, k), new_rng(), rework_availability),
                                max(16, n_racks // 10)) for k in range(len(step.failure_modes))]
        base = len(count_keys)
        count_keys.extend((design, sspec.key, mode.id, mode.category) for mode in step.failure_modes)
        steps.append(_StepRuntime(
            station=sspec.station, rework_station=sspec.rework_station, is_test=step.is_test,
            times=times,
            uniforms=uniforms,
            rework_times=rework_times,
            first=_thresholds(step, step.first_pass_yield),
            retest=_thresholds(step, step.retest_yield_or_first),
            scrap=[m.scrap_fraction for m in step.failure_modes],
            max_attempts=step.max_attempts or 0,
            keys=[base + k for k in range(len(step.failure_modes))],
            resource=resources[sspec.station],
            finish=None if stations[sspec.station].calendar.always_open else finishers[sspec.station],
            rework_resource=resources[sspec.rework_station],
            rework_finish=finishers[sspec.rework_station],
        ))
    return steps


# ---- book-keeping


class _Records:
    """Records of one replication as it runs: per rack (design, entry and exit times [h], outcome,
    reworks, escapes), per visit (station, requested, started, ended [h]), failure and escape
    counters, and the time integral of total work in progress [rack·h]."""

    def __init__(self, n_racks: int, n_counters: int, record_events: bool):
        self.design_of = [0] * n_racks
        self.entry = [math.nan] * n_racks
        self.exit = [math.nan] * n_racks
        self.outcome = [IN_PROCESS] * n_racks
        self.reworks = [0] * n_racks
        self.escapes = [0] * n_racks
        self.fail_counts = [0] * n_counters
        self.escape_counts = [0] * n_counters
        # flat doubles: station, requested, started, ended [h] per visit; an array keeps no float objects alive
        self.visits = array.array("d")
        self.record_events = record_events
        self.events: list[tuple[int, ...]] = []
        self.wip = 0
        self.area = 0.0
        self.last_t = 0.0
        self.area_at: dict[float, float] = {}

    def area_until(self, now: float) -> float:
        """Integral of WIP from 0 to ``now`` [rack·h] (``now`` not before the last arrival or departure)."""
        return self.area + self.wip * (now - self.last_t)

    def arrive(self, index: int, now: float) -> None:
        """Rack ``index`` enters the line at ``now`` [h]."""
        self.area += self.wip * (now - self.last_t)
        self.last_t = now
        self.wip += 1
        self.entry[index] = now

    def depart(self, index: int, now: float, fate: int, reworks: int, escapes: int) -> None:
        """Rack ``index`` leaves the line at ``now`` [h], shipped or scrapped."""
        self.area += self.wip * (now - self.last_t)
        self.last_t = now
        self.wip -= 1
        self.exit[index] = now
        self.outcome[index] = fate
        self.reworks[index] = reworks
        self.escapes[index] = escapes

    def raw_run(self, end_h: float, count_keys: list[tuple[str, str, str, str]]) -> RawRun:
        """The records as arrays, with the run ending at ``end_h`` [h]."""
        import numpy as np

        self.area_at.setdefault(0.0, 0.0)
        return RawRun(
            end_h=end_h,
            design_of=np.asarray(self.design_of, dtype=np.int64),
            entry_h=np.asarray(self.entry, dtype=float),
            exit_h=np.asarray(self.exit, dtype=float),
            outcome=np.asarray(self.outcome, dtype=np.int8),
            reworks=np.asarray(self.reworks, dtype=np.int64),
            escapes=np.asarray(self.escapes, dtype=np.int64),
            visits=np.frombuffer(self.visits, dtype=float).copy().reshape(-1, 4),
            fail_counts=self.fail_counts,
            escape_counts=self.escape_counts,
            count_keys=count_keys,
            area_at=self.area_at,
            area_end=self.area_until(end_h),
            wip_end=self.wip,
            events=self.events,
        )


# ---- the processes: releases, racks, station visits, snapshots

_PASSED, _ESCAPED, _REWORK, _SCRAP = 0, 1, 2, 3
"""Verdicts of a test attempt: passed, passed with an undetected defect, failed (rework), failed (scrap)."""


def _test_verdict(st: _StepRuntime, attempt: int) -> tuple[int, int]:
    """Verdict of test attempt ``attempt`` (1 = first) at step ``st``, and the failure mode drawn
    (index into the step's modes; the escaped mode for an escape, 0 for a clean pass).

    Draws one uniform, and a second (the scrap draw) only for a failure that still has attempts left.
    """
    fail, fail_or_escape, fail_cum, escape_cum = st.first if attempt == 1 else st.retest
    u = next(st.uniforms)
    if u >= fail:
        if u < fail_or_escape:
            return _ESCAPED, min(bisect_right(escape_cum, u), len(escape_cum) - 1)
        return _PASSED, 0
    mode = min(bisect_right(fail_cum, u), len(fail_cum) - 1)
    if attempt == st.max_attempts or next(st.uniforms) < st.scrap[mode]:
        return _SCRAP, mode
    return _REWORK, mode


def _rack_process(env: Any, records: _Records
                  ) -> Callable[[int, list[_StepRuntime]], Generator[Any, Any, None]]:
    """``rack(index, steps)``: the SimPy process of one rack walking its route.

    At each step the rack visits the station; at a test step the verdict decides: pass (possibly
    with an escape), rework at the rework station and retest, or scrap (the rack leaves the line).
    """
    visit = _station_visit(env, records)
    fail_counts, escape_counts = records.fail_counts, records.escape_counts

    def rack(index: int, steps: list[_StepRuntime]) -> Generator[Any, Any, None]:
        records.arrive(index, env.now)
        reworks = 0
        escapes = 0
        fate = SHIPPED
        trail: list[float] | None = [] if records.record_events else None
        for st in steps:
            attempt = 0
            while True:
                yield from visit(st.station, st.resource, st.finish, st.times, trail)
                if not st.is_test:
                    break
                attempt += 1
                verdict, mode = _test_verdict(st, attempt)
                if verdict == _PASSED:
                    break
                if verdict == _ESCAPED:
                    escapes += 1
                    escape_counts[st.keys[mode]] += 1
                    break
                fail_counts[st.keys[mode]] += 1
                if verdict == _SCRAP:
                    fate = SCRAPPED
                    break
                reworks += 1
                yield from visit(st.rework_station, st.rework_resource, st.rework_finish, st.rework_times[mode],
                                 trail)
            if fate == SCRAPPED:
                break
        records.depart(index, env.now, fate, reworks, escapes)
        if trail is not None:
            records.events.append((index, *trail))  # type: ignore[arg-type]

    return rack


def _station_visit(env: Any, records: _Records) -> Callable[..., Generator[Any, Any, None]]:
    """``visit(station, resource, finish, work_times, trail)``: the SimPy steps of one visit.

    Wait for a server of ``resource``, draw the work time from ``work_times`` once served, work it
    (through ``finish(start, work)`` for a station with a calendar; ``finish=None``: always open),
    release the server, and record (station, requested, started, ended) [h]; ``trail`` (when not
    ``None``) also gets (station, duration [h]).
    """
    timeout = env.timeout
    record = records.visits.extend

    def visit(station: int, resource: Any, finish: Callable[[float, float], float] | None,
              work_times: Iterator[float], trail: list[float] | None) -> Generator[Any, Any, None]:
        t_req = env.now
        req = resource.request()
        yield req
        t0 = env.now
        if finish is None:
            work = next(work_times)
            yield timeout(work)
            t1 = t0 + work
        else:
            t1 = finish(t0, next(work_times))
            yield timeout(t1 - t0)
        resource.release(req)
        record((station, t_req, t0, t1))
        if trail is not None:
            trail += (station, t1 - t0)

    return visit


def _release_process(env: Any, records: _Records, rack: Callable[[int, list[_StepRuntime]], Any],
                     design_index: int, first_index: int, times: list[float],
                     steps: list[_StepRuntime]) -> Generator[Any, Any, None]:
    """Release one design's racks at ``times`` [h]: rack ``first_index + k`` starts at ``times[k]``."""
    for k, t in enumerate(times):
        if t > env.now:
            yield env.timeout(t - env.now)
        records.design_of[first_index + k] = design_index
        env.process(rack(first_index + k, steps))


def _wip_snapshot(env: Any, records: _Records, t: float) -> Generator[Any, Any, None]:
    """Record the WIP integral up to ``t`` [rack·h] at time ``t`` [h]."""
    yield env.timeout(t)
    records.area_at[t] = records.area_until(env.now)


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


def replication_task(shared: tuple[LineSpec, int], replication: int) -> dict[str, Any]:
    """One replication as a cluster task: ``shared`` is (line, seed), sent once per worker."""
    spec, seed = shared
    return run_replication(spec, seed, replication)


def run_replications(spec: LineSpec, replications: int, seed: int, workers: int | None = None) -> list[dict[str, Any]]:
    """Run ``replications`` independent replications, in ``workers`` processes (default: CPUs), or on
    the cluster in force (:func:`rackforge.core.parallel.current_task_map`; ``workers`` is then unused).

    Replication ``i`` is seeded by ``SeedSequence(seed, spawn_key=(i,))``, so the list of
    results is the same for any number of workers and wherever they run.
    """
    from rackforge.core.parallel import current_task_map, is_distributed

    task_map = current_task_map()
    if is_distributed(task_map):
        return list(task_map.map_ordered(replication_task, range(replications), shared=(spec, seed)))
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
    value or NaNs give a half-width of NaN. The quantile is ``scipy.special.stdtrit`` (exact; importing
    ``scipy.stats`` for it cost about 0.7 s of every report).
    """
    import numpy as np
    from scipy.special import stdtrit

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan
    if x.size == 1:
        return float(x[0]), math.nan
    half = float(stdtrit(x.size - 1, (1 + level) / 2) * x.std(ddof=1) / math.sqrt(x.size))
    return float(x.mean()), half
