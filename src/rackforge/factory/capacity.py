"""Capacity planning: the fewest stations of each kind that meet the build plan with a stated confidence.

1. Load bounds per station kind from the expected hours of work the released racks bring
   (attempts, retests and reworks included, divided by availability): the busiest quarter's
   work in its open hours (where the search starts) and all the work in the open hours up to
   the last checkpoint (a necessary condition; the search never goes below it).
2. Starting at the first bound, simulate (the same seeds every time: common random numbers) and, while the
   share of replications that meet the plan is below the confidence, add stations to the
   bottleneck (the most utilised planned station kind); while a planned station runs above the
   utilisation ceiling (:data:`DEFAULT_MAX_UTILISATION`), add stations to it.
3. Then try one station fewer of each kind, test and burn-in bays first; keep any cut that
   still meets the plan and keeps every planned station within the ceiling. The result is minimal
   in that no single kind can lose a station.
4. The plan states its risk: for each planned station, its count, utilisation and the plan's confidence
   (share of replications meeting the plan), at the recommended count and at one fewer (``risk``), and
   a note for every station that runs hot (:data:`HOT_UTILISATION`).

'Meets the plan' is :func:`rackforge.factory.results.plan_met`: cumulative shipments at each
quarter's end plus the grace period reach the cumulative released plan (less the tolerance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rackforge.calendar import quarter_end, quarter_start
from rackforge.errors import SolverError, UsageError
from rackforge.factory.releases import LinePlan, build_line_plan, require_factory
from rackforge.factory.results import plan_met
from rackforge.factory.sim import run_replications
from rackforge.schema import Programme
from rackforge.schema.factory import TEST_KINDS, Factory, StationKind, Step, step_visit_expectations

DEFAULT_MAX_UTILISATION = 0.85
"""Default ceiling on a planned station's utilisation [fraction]. Queueing delay grows as ρ / (1 − ρ)
(Kingman's approximation for a G/G/1 queue: mean wait ≈ ρ/(1 − ρ) · (c_a² + c_s²)/2 · service time): 5.7 at
85 %, 9 at 90 %, 19 at 95 %. Above about 85 % a breakdown, a yield dip or a burst of releases turns into
queues the line does not work off, so capacity planners commonly hold stations to 80-85 %; a plan at
90 % that meets the build plan in simulation does so with little room for what the model leaves out."""

HOT_UTILISATION = 0.85
"""Utilisation above which a capacity plan calls a station out as running hot [fraction] (see
:data:`DEFAULT_MAX_UTILISATION`), whatever ceiling was asked for."""


def work_per_rack_h(steps: tuple[Step, ...], factory: Factory) -> dict[str, float]:
    """Expected hours of station work one released rack brings to each station kind [h].

    For each step: P(rack reaches it) × (expected attempts × mean time + expected reworks ×
    mean rework time at the rework station), divided by each station's availability. A rack
    reaches a step unless scrapped before (probabilities from
    :func:`rackforge.schema.factory.step_visit_expectations`).
    """
    out: dict[str, float] = {}
    reach = 1.0
    for step in steps:
        attempts, reworks, scrap = step_visit_expectations(step)
        station = factory.station(step.station)
        out[station.id] = out.get(station.id, 0.0) + reach * attempts * step.time.mean / station.availability
        if reworks > 0:
            rework_station = factory.station(step.rework_station or step.station)
            weights = [m.share * (1.0 - m.scrap_fraction) for m in step.failure_modes]
            total = sum(weights) or 1.0
            mean_rework = sum(
                w * (m.rework_time or step.rework_time).mean  # type: ignore[union-attr,misc]
                for w, m in zip(weights, step.failure_modes, strict=True)) / total
            out[rework_station.id] = (out.get(rework_station.id, 0.0)
                                      + reach * reworks * mean_rework / rework_station.availability)
        reach *= 1.0 - scrap
    return out


def expected_scrap_share(steps: tuple[Step, ...]) -> float:
    """Expected share of released racks scrapped somewhere on a route: ``1 - Π (1 - scrap_step)`` [fraction]."""
    keep = 1.0
    for step in steps:
        keep *= 1.0 - step_visit_expectations(step)[2]
    return 1.0 - keep


def load_bounds(factory: Factory, plan: LinePlan) -> tuple[dict[str, int], dict[str, int]]:
    """(peak-quarter bound, whole-horizon bound) on the stations of each kind [stations].

    Peak quarter: the fewest stations whose open hours hold the busiest quarter's expected work,
    ``ceil(max_q work_q / open_hours_q)`` (the search starts there). Whole horizon: the fewest
    whose open hours from the first release to the last checkpoint hold all the work, a
    necessary condition for every rack to ship in time (the search never goes below it).
    """
    from rackforge.schema.factory import open_hours_until

    spec = plan.spec
    work = {design: work_per_rack_h(factory.route_of(design).steps, factory)  # type: ignore[union-attr]
            for design in spec.designs}
    peak = {s.id: 1 for s in factory.stations}
    total = {s.id: 0.0 for s in factory.stations}
    for quarter in plan.quarters:
        days = (quarter_end(quarter) - quarter_start(quarter)).days + 1
        released = [r for r in plan.releases if r.quarter == quarter]
        for station in factory.stations:
            hours = sum(r.released * work[r.design].get(station.id, 0.0) for r in released)
            total[station.id] += hours
            open_h = factory.calendar_of(station).open_h_per_week * days / 7.0
            peak[station.id] = max(peak[station.id], math.ceil(hours / open_h - 1e-9))
    start = min((p.start_h for p in spec.releases), default=0.0)
    end = max(spec.checkpoints_h, default=spec.horizon_h)
    horizon = {}
    for station in factory.stations:
        cal = factory.calendar_of(station)
        open_h = (open_hours_until(end, cal.open_h_per_day, cal.days_per_week)
                  - open_hours_until(start, cal.open_h_per_day, cal.days_per_week))
        horizon[station.id] = max(1, math.ceil(total[station.id] / open_h - 1e-9)) if open_h > 0 else 1
    return peak, horizon


@dataclass(frozen=True)
class CapacityPlan:
    """The recommended station counts and how they were found."""

    confidence: float
    replications: int
    counts: dict[str, int]
    current: dict[str, int]
    peak_bounds: dict[str, int]
    horizon_bounds: dict[str, int]
    met_share: float
    utilisation: dict[str, float]
    kinds: dict[str, str]
    trace: list[dict[str, Any]] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    max_utilisation: float = DEFAULT_MAX_UTILISATION
    risk: tuple[dict[str, Any], ...] = ()
    """Per planned station: ``station``, ``count``, its ``utilisation`` [fraction] and the plan's
    ``confidence`` (share of replications meeting the plan) [fraction], at the ``recommended`` count and at
    one fewer (when simulated; below the whole-horizon bound one fewer cannot meet the plan)."""

    @property
    def hot_stations(self) -> list[str]:
        """Planned stations above :data:`HOT_UTILISATION` at the recommended counts."""
        return [r["station"] for r in self.risk if r["recommended"] and r["utilisation"] > HOT_UTILISATION]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "confidence": self.confidence, "replications": self.replications, "met_share": self.met_share,
            "max_utilisation": self.max_utilisation, "hot_utilisation": HOT_UTILISATION,
            "hot_stations": self.hot_stations, "risk": list(self.risk),
            "stations": {s: {"kind": self.kinds[s], "current": self.current[s], "recommended": self.counts[s],
                             "change": self.counts[s] - self.current[s], "peak_quarter_bound": self.peak_bounds[s],
                             "horizon_bound": self.horizon_bounds[s],
                             "utilisation": round(self.utilisation[s], 6)} for s in self.counts},
            "trace": self.trace, "notes": list(self.notes),
        }


def plan_capacity(programme: Programme, *, confidence: float | None = None, replications: int | None = None,
                  seed: int | None = None, workers: int | None = None, stations: list[str] | None = None,
                  max_evaluations: int = 60, max_utilisation: float = DEFAULT_MAX_UTILISATION) -> CapacityPlan:
    """The fewest stations of each planned kind that meet the build plan with ``confidence`` and keep
    each planned station's utilisation at or below ``max_utilisation`` [fraction].

    ``stations`` restricts planning to those station ids (others keep their counts).
    Raises :class:`SolverError` if no count found within ``max_evaluations`` simulations meets
    the plan.
    """
    factory = require_factory(programme)
    confidence = factory.targets.confidence if confidence is None else confidence
    reps = replications or factory.simulation.replications
    seed = factory.simulation.seed if seed is None else seed
    current = {s.id: s.count for s in factory.stations}
    kinds = {s.id: s.kind.value for s in factory.stations}
    planned = list(current) if stations is None else stations
    unknown = [s for s in planned if s not in current]
    if unknown:
        raise UsageError(f"unknown station(s) {', '.join(unknown)}; stations are {', '.join(current)}")
    base_plan = build_line_plan(programme, factory)
    peak, floor = load_bounds(factory, base_plan)
    counts = dict(current)
    for s in planned:
        counts[s] = max(peak[s], floor[s])
    trace: list[dict[str, Any]] = []
    budget_left = True
    cache: dict[tuple[int, ...], tuple[float, dict[str, float]]] = {}

    def evaluate(candidate: dict[str, int]) -> tuple[float, dict[str, float]]:
        key = tuple(candidate[s] for s in current)
        if key not in cache:
            plan = build_line_plan(programme, factory, counts=candidate)
            runs = run_replications(plan.spec, reps, seed, workers)
            share = sum(plan_met(r, plan, factory.targets.plan_tolerance) for r in runs) / len(runs)
            util = {s: sum(r["stations"][s]["utilisation"] for r in runs) / len(runs) for s in current}
            cache[key] = (share, util)
            trace.append({"counts": dict(candidate), "met_share": share,
                          "bottleneck": max(planned, key=lambda s: util[s])})
        return cache[key]

    def within(candidate_util: dict[str, float]) -> bool:
        return all(candidate_util[s] <= max_utilisation + 1e-9 for s in planned)

    share, util = evaluate(counts)
    while share < confidence or not within(util):
        if len(cache) >= max_evaluations:
            scrap = {d: expected_scrap_share(factory.route_of(d).steps)  # type: ignore[union-attr]
                     for d in base_plan.spec.designs}
            worst = max(scrap, key=lambda d: scrap[d])
            why = (f"racks of {worst} are scrapped at an expected {scrap[worst]:.1%}, more than the "
                   f"plan_tolerance of {factory.targets.plan_tolerance:.1%}: scrapped racks never ship; raise "
                   "targets.plan_tolerance or release more material"
                   if scrap[worst] > factory.targets.plan_tolerance else
                   "the line may be limited by something stations cannot fix (calendars, route times longer "
                   "than the grace period); raise targets.ship_grace_weeks or check the routes")
            raise SolverError(
                f"no station counts met the build plan with {confidence:.0%} confidence within "
                f"{max_evaluations} simulations; last tried {counts} (met in {share:.0%} of replications). "
                f"Likely cause: {why}")
        bottleneck = max(planned, key=lambda s: (util[s], kinds[s] in TEST_KINDS))
        if share >= confidence:  # the plan is met but the bottleneck runs above the ceiling: utilisation ∝ 1/count
            step = max(1, math.ceil(counts[bottleneck] * util[bottleneck] / max_utilisation) - counts[bottleneck])
        else:
            step = max(1, round(0.05 * counts[bottleneck])) if util[bottleneck] > 0.95 else 1
        counts[bottleneck] += step
        share, util = evaluate(counts)
    # descent: one fewer of each kind, test and burn-in bays first, while the plan is still met
    order = sorted(planned, key=lambda s: (StationKind(kinds[s]) not in TEST_KINDS, s))
    improved, budget_left = True, True
    while improved and budget_left:
        improved = False
        for s in order:
            if counts[s] <= floor[s]:
                continue
            if len(cache) >= max_evaluations:
                budget_left = False
                break
            trial = dict(counts, **{s: counts[s] - 1})
            trial_share, trial_util = evaluate(trial)
            if trial_share >= confidence and within(trial_util):
                counts, share, util, improved = trial, trial_share, trial_util, True
    notes = list(base_plan.notes)
    if not budget_left:
        notes.append(f"stopped trying fewer stations after {max_evaluations} simulations; counts may not be minimal")
    short = [r for r in base_plan.releases if r.released < r.planned]
    if short:
        notes.append(f"material caps {len(short)} quarter-design releases below the build plan; capacity is "
                     "planned for the racks material allows")
    risk = _risk(planned, counts, share, util, floor, cache, list(current))
    hot = [r for r in risk if r["recommended"] and r["utilisation"] > HOT_UTILISATION]
    for r in hot:
        notes.append(f"{r['station']} runs at {r['utilisation']:.0%} utilisation with {r['count']} station(s): above "
                     f"{HOT_UTILISATION:.0%} queues grow steeply (ρ/(1 − ρ)), so a breakdown or a yield dip delays "
                     "racks; consider one more")
    return CapacityPlan(confidence=confidence, replications=reps, counts=counts, current=current,
                        peak_bounds=peak, horizon_bounds=floor, met_share=share, utilisation=util, kinds=kinds,
                        trace=trace, notes=tuple(notes), max_utilisation=max_utilisation, risk=tuple(risk))


def _risk(planned: list[str], counts: dict[str, int], share: float, util: dict[str, float], floor: dict[str, int],
          cache: dict[tuple[int, ...], tuple[float, dict[str, float]]], order: list[str]) -> list[dict[str, Any]]:
    """Each planned station's utilisation and the plan's confidence at its recommended count and at one fewer
    (from the simulations already run; one fewer is always simulated unless it is below the horizon bound
    or the search ran out of simulations; a single station has no "one fewer")."""
    rows: list[dict[str, Any]] = []
    for s in planned:
        rows.append({"station": s, "count": counts[s], "utilisation": util[s], "confidence": share,
                     "recommended": True})
        fewer = dict(counts, **{s: counts[s] - 1})
        seen = cache.get(tuple(fewer[k] for k in order))
        if counts[s] <= 1:  # no station at all cannot run the route
            continue
        if counts[s] - 1 < floor[s]:
            rows.append({"station": s, "count": counts[s] - 1, "utilisation": None, "confidence": None,
                         "recommended": False, "why": "below the load bound"})
        elif seen is not None:
            rows.append({"station": s, "count": counts[s] - 1, "utilisation": seen[1][s], "confidence": seen[0],
                         "recommended": False})
    return rows
