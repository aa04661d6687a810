"""From a programme to a line the simulator runs: material caps, release periods, time origin.

Time 0 of the simulation is the Monday on or before the first release (the first plan
quarter's start less ``material.lead_weeks``); calendars count weeks from that Monday.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from rackforge.calendar import quarter_end, quarter_start
from rackforge.core.bom import explode
from rackforge.core.supply import SourceMode, may_ship_on
from rackforge.errors import InputError, Problem
from rackforge.factory.sim import LineSpec, ReleasePeriod, StationSpec, compile_steps
from rackforge.schema import Programme
from rackforge.schema.factory import Factory

HOURS_PER_WEEK = 168.0


@dataclass(frozen=True)
class QuarterRelease:
    """Racks of one design planned and released (after the material cap) in one quarter."""

    quarter: str
    design: str
    planned: int
    released: int
    limiting_part: str | None = None


@dataclass(frozen=True)
class LinePlan:
    """A compiled line and the plan it is measured against."""

    spec: LineSpec
    t0: dt.date
    quarters: tuple[str, ...]
    releases: tuple[QuarterRelease, ...]
    checkpoint_quarters: tuple[str, ...]
    targets: dict[str, tuple[int, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def planned(self, design: str) -> int:
        """Racks of ``design`` in the build plan [racks]."""
        return sum(r.planned for r in self.releases if r.design == design)


def require_factory(programme: Programme) -> Factory:
    """The programme's factory section, or an input error saying how to add one."""
    factory = programme.factory
    if factory is None:
        raise InputError([Problem(programme.root or "rackforge/reference", None, "factory",
                                  "the programme has no 'factory:' section; add factory.yaml "
                                  "(see docs/factory.md, or copy it from 'rackforge init DIR')")])
    if not isinstance(factory, Factory):
        factory = Factory.model_validate(factory)
    return factory


def check_factory(programme: Programme, factory: Factory) -> None:
    """Cross-references of the factory section to the programme (designs, site, a route for every planned
    design; :func:`rackforge.io.validate.factory_problems`, which loading runs too); raises InputError."""
    from rackforge.io.validate import factory_problems, raise_if

    raise_if(factory_problems(programme, factory))


def material_caps(programme: Programme) -> dict[str, dict[str, tuple[int, str | None]]]:
    """Racks per quarter and design that the programme's qualified sources can supply.

    For each part, quarter supply is the sum of ``capacity_per_quarter`` of its sources that may ship
    on the quarter's start (:func:`~rackforge.core.supply.may_ship_on`, alternates from their expected
    dates, a site that has not started yet not at all); demand is the build plan times the part's
    quantity per rack (through every assembly level). A part short of demand is shared between designs in proportion to
    plan, so a design's cap is ``floor(plan × min over its parts of min(1, supply / demand))``.
    Parts without sources do not cap. Returns ``{quarter: {design: (cap, limiting part or None)}}``.
    """
    plan = programme.build_plan
    per_rack = {d: explode(programme.catalog, d) for d in plan.designs if d in programme.catalog.designs}
    by_part = programme.sources_by_part
    sites = programme.catalog.sites
    out: dict[str, dict[str, tuple[int, str | None]]] = {}
    for quarter in plan.quarter_list:
        start = quarter_start(quarter)
        row = plan.quarters[quarter]
        demand: dict[str, float] = {}
        for design, racks in row.items():
            for part, qty in per_rack.get(design, {}).items():
                demand[part] = demand.get(part, 0.0) + racks * qty
        ratio: dict[str, float] = {}
        for part, need in demand.items():
            sources = by_part.get(part)
            if not sources or need <= 0:
                continue
            supply = sum(s.capacity_per_quarter for s in sources
                         if may_ship_on(s, sites[s.site], start, SourceMode.ALTERNATES))
            ratio[part] = min(1.0, supply / need)
        caps: dict[str, tuple[int, str | None]] = {}
        for design, racks in row.items():
            parts = [p for p in per_rack.get(design, {}) if p in ratio]
            limiting = min(parts, key=lambda p: (ratio[p], p), default=None)
            share = ratio[limiting] if limiting is not None else 1.0
            cap = math.floor(racks * share + 1e-9)
            caps[design] = (cap, limiting if share < 1.0 else None)
        out[quarter] = caps
    return out


def _monday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _hours(day: dt.date, t0: dt.date) -> float:
    return (day - t0).days * 24.0


def build_line_plan(programme: Programme, factory: Factory | None = None, *, weeks: float | None = None,
                    warmup_weeks: float | None = None, counts: dict[str, int] | None = None,
                    release: str | None = None) -> LinePlan:
    """Compile the programme's factory and build plan into a :class:`LinePlan`.

    ``weeks`` limits the simulated horizon; ``counts`` overrides station counts (capacity
    planning); ``release`` overrides the material release process ('even' or 'poisson').
    """
    factory = factory or require_factory(programme)
    check_factory(programme, factory)
    plan = programme.build_plan
    quarters = tuple(plan.quarter_list)
    lead = dt.timedelta(weeks=factory.material.lead_weeks)
    t0 = _monday_on_or_before(quarter_start(quarters[0]) - lead)
    caps = material_caps(programme) if factory.material.cap == "sources" else {}
    rows: list[QuarterRelease] = []
    periods: list[ReleasePeriod] = []
    notes: list[str] = []
    for quarter in quarters:
        start = quarter_start(quarter) - lead
        end = quarter_end(quarter) + dt.timedelta(days=1) - lead
        for design, racks in plan.quarters[quarter].items():
            if racks <= 0:
                continue
            cap, limiting = caps.get(quarter, {}).get(design, (racks, None))
            explicit = factory.material.cap_per_quarter.get(quarter, {}).get(design)
            if explicit is not None:
                cap, limiting = explicit, "cap_per_quarter"
            released = min(racks, cap)
            if released < racks:
                notes.append(f"{quarter} {design}: material for {released} of {racks} racks "
                             f"(limited by {limiting})")
            rows.append(QuarterRelease(quarter, design, racks, released, limiting if released < racks else None))
            periods.append(ReleasePeriod(design, _hours(start, t0), _hours(end, t0), released))
    first_release = min(p.start_h for p in periods) if periods else 0.0
    plan_end = _hours(quarter_end(quarters[-1]) + dt.timedelta(days=1), t0)
    grace_h = factory.targets.ship_grace_weeks * HOURS_PER_WEEK
    horizon = plan_end + grace_h
    window_end = plan_end
    if weeks is not None:
        horizon = min(horizon, first_release + weeks * HOURS_PER_WEEK)
        window_end = min(window_end, horizon)
    warmup = factory.simulation.warmup_weeks if warmup_weeks is None else warmup_weeks
    if weeks is not None and weeks <= warmup:
        from rackforge.errors import UsageError

        raise UsageError(f"simulate more weeks than the {warmup:g}-week warm-up (statistics start after it)")
    window_start = min(first_release + warmup * HOURS_PER_WEEK, window_end)
    checkpoints: list[float] = []
    checkpoint_quarters: list[str] = []
    for quarter in quarters:
        t = _hours(quarter_end(quarter) + dt.timedelta(days=1), t0) + grace_h
        if t <= horizon + 1e-9:
            checkpoints.append(t)
            checkpoint_quarters.append(quarter)
    designs = list(dict.fromkeys(p.design for p in periods))
    targets = {
        d: tuple(sum(r.released for r in rows if r.design == d and quarters.index(r.quarter) <= quarters.index(q))
                 for q in checkpoint_quarters)
        for d in designs
    }
    counts = counts or {}
    stations = tuple(
        StationSpec(s.id, counts.get(s.id, s.count), factory.calendar_of(s), s.availability, s.kind.value)
        for s in factory.stations)
    index = {s.id: i for i, s in enumerate(factory.stations)}
    routes = {}
    for design in designs:
        route = factory.route_of(design)
        assert route is not None  # check_factory guarantees it
        routes[design] = compile_steps(route.steps, index, route.id)
    spec = LineSpec(
        stations=stations, routes=routes, releases=tuple(periods),
        release_process=release or factory.material.release,
        window_start_h=window_start, window_end_h=window_end, horizon_h=horizon,
        checkpoints_h=tuple(checkpoints),
    )
    return LinePlan(spec, t0, quarters, tuple(rows), tuple(checkpoint_quarters), targets, tuple(notes))
