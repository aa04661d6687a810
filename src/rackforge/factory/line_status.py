"""The line-side board's figures, from the line's own events (pure functions).

The board (``/line/{programme}`` in the service, docs/service.md) shows, per station of the factory
model: its status, the racks in process, racks done today against the plan to this hour, takt time
against the actual cycle, first-pass yield against the model's, and the top three failure modes of the
last 24 hours; an andon strip lists the stations that are down, blocked or behind. Every figure is a
function of three inputs and nothing else:

- the model (:class:`LineModel`, from the programme's ``factory:`` section and the same release plan the
  simulation runs, :func:`rackforge.factory.releases.build_line_plan`);
- line events (:class:`LineEvent`: a rack serial starts or finishes work at a station; a station goes
  down, is blocked, or is back up);
- per-serial test records (:class:`rackforge.factory.testresults.TestRecord`, the rows ``rackforge tests
  import`` reads); yields and Paretos come from :func:`rackforge.factory.testresults.report`, the one
  definition of first-pass yield and of the failure Pareto.

Times are the plant's clock, naive (as in test results: an offset is converted to UTC). "Today" is the
calendar day of ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from rackforge.schema.factory import HOURS_PER_WEEK, Calendar, open_hours_until

if TYPE_CHECKING:
    from rackforge.factory.releases import LinePlan
    from rackforge.factory.testresults import TestRecord
    from rackforge.schema import Programme

EventStatus = Literal["start", "finish", "down", "blocked", "up"]
EVENT_STATUSES: tuple[str, ...] = ("start", "finish", "down", "blocked", "up")
"""``start``/``finish``: a rack (``serial``) begins or ends work at the station; ``down``: the station
cannot work; ``blocked``: it cannot pass work on; ``up``: it is back to normal (clears down and blocked)."""
StationStatus = Literal["running", "idle", "blocked", "down"]
WINDOW = dt.timedelta(hours=24)
"""Look-back of the actual cycle, first-pass yield and failure modes on the board."""
TOP_FAILURE_MODES = 3


@dataclass(frozen=True)
class LineEvent:
    """One event from the line: ``station`` id, ``status`` (:data:`EVENT_STATUSES`), ``time``, ``serial``
    (the rack, for ``start`` and ``finish``)."""

    station: str
    status: str
    time: dt.datetime
    serial: str | None = None


@dataclass(frozen=True)
class StationModel:
    """What the model says about one station: parallel ``count``, working ``calendar``, the designs whose
    route passes it, and its first-pass yield (plan-weighted over those designs' test steps there; None
    when no test runs there)."""

    id: str
    name: str
    count: int
    calendar: Calendar
    designs: tuple[str, ...]
    first_pass_yield: float | None


@dataclass(frozen=True)
class PlanRate:
    """``racks`` of ``design`` planned for a release period ``[start, end)`` (plant clock)."""

    design: str
    start: dt.datetime
    end: dt.datetime
    racks: int


@dataclass(frozen=True)
class LineModel:
    """The factory model the board compares the line against. ``week_origin``: a Monday 00:00, where the
    stations' weekly calendars start (:func:`rackforge.schema.factory.open_hours_until`)."""

    stations: tuple[StationModel, ...]
    plan: tuple[PlanRate, ...]
    week_origin: dt.datetime

    def station(self, ident: str) -> StationModel | None:
        """A station by id, or None."""
        return next((s for s in self.stations if s.id == ident), None)


# --------------------------------------------------------------------------------------------
# the model


def line_model(programme: Programme, plan: LinePlan | None = None) -> LineModel:
    """The board's model of ``programme``'s line: stations, routes, yields and the release plan.

    The plan is the build plan's racks per quarter (before material caps: the board measures against
    what was planned), spread over each quarter's release period of :func:`build_line_plan`.
    """
    from rackforge.factory.releases import build_line_plan, require_factory

    factory = require_factory(programme)
    plan = plan or build_line_plan(programme, factory)
    origin = dt.datetime.combine(plan.t0, dt.time())
    rates = tuple(
        PlanRate(row.design, origin + dt.timedelta(hours=period.start_h), origin + dt.timedelta(hours=period.end_h),
                 row.planned)
        for row, period in zip(plan.releases, plan.spec.releases, strict=True))
    planned = {design: plan.planned(design) for design in plan.spec.designs}
    stations = []
    for station in factory.stations:
        designs = tuple(d for d in plan.spec.designs
                        if any(step.station == station.id for step in factory.route_of(d).steps))  # type: ignore[union-attr]
        weighted = [(planned[d], step.first_pass_yield) for d in designs
                    for step in factory.route_of(d).steps  # type: ignore[union-attr]
                    if step.station == station.id and step.is_test]
        total = sum(w for w, _ in weighted)
        fpy = sum(w * y for w, y in weighted) / total if total > 0 else None
        stations.append(StationModel(station.id, station.name or station.id, station.count,
                                     factory.calendar_of(station), designs, fpy))
    return LineModel(tuple(stations), rates, origin)


# --------------------------------------------------------------------------------------------
# formulas


def takt_time_h(open_h_per_week: float, racks_per_week: float) -> float | None:
    """Takt time: available working time divided by demand, ``open hours per week / racks per week``
    [h per rack] (Ohno, *Toyota Production System*, 1988); None when nothing is planned."""
    if racks_per_week <= 0:
        return None
    return open_h_per_week / racks_per_week


def planned_racks_per_week(model: LineModel, station: StationModel, now: dt.datetime) -> float:
    """Racks per week planned through ``station`` at ``now``: for each design routed through it, the
    racks of the release period holding ``now`` over the period's length [racks/week]."""
    rate = 0.0
    for period in model.plan:
        if period.design in station.designs and period.start <= now < period.end:
            weeks = (period.end - period.start).total_seconds() / 3600.0 / HOURS_PER_WEEK
            rate += period.racks / weeks
    return rate


def open_hours_between(model: LineModel, calendar: Calendar, start: dt.datetime, end: dt.datetime) -> float:
    """Open hours of ``calendar`` in ``[start, end)`` [h] (weeks counted from the model's Monday)."""
    def hours(t: dt.datetime) -> float:
        return open_hours_until((t - model.week_origin).total_seconds() / 3600.0, calendar.open_h_per_day,
                                calendar.days_per_week)

    return max(0.0, hours(end) - hours(start))


def plan_to_hour(model: LineModel, station: StationModel, now: dt.datetime) -> float:
    """Racks the plan expects ``station`` to have finished today by ``now`` [racks]: the weekly plan
    spread over the station's open hours, ``racks/week × open hours since midnight / open hours per
    week``."""
    weekly = planned_racks_per_week(model, station, now)
    midnight = dt.datetime.combine(now.date(), dt.time())
    return weekly * open_hours_between(model, station.calendar, midnight, now) / station.calendar.open_h_per_week


def station_status(events: Sequence[LineEvent], in_process: int) -> StationStatus:
    """``down`` or ``blocked`` when the station's last state event says so (``up`` clears it); else
    ``running`` with racks in process, ``idle`` without. ``events``: the station's, in time order."""
    for event in reversed(events):
        if event.status in ("down", "blocked"):
            return event.status  # type: ignore[return-value]
        if event.status == "up":
            break
    return "running" if in_process > 0 else "idle"


def racks_in_process(events: Sequence[LineEvent]) -> tuple[str, ...]:
    """Serials that started at the station and have not finished, in start order."""
    present: dict[str, None] = {}
    for event in events:
        if event.serial is None:
            continue
        if event.status == "start":
            present[event.serial] = None
        elif event.status == "finish":
            present.pop(event.serial, None)
    return tuple(present)


def finished_visits(events: Sequence[LineEvent]) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """(serial, start, finish) of each visit that finished, from matched start and finish events."""
    started: dict[str, dt.datetime] = {}
    visits = []
    for event in events:
        if event.serial is None:
            continue
        if event.status == "start":
            started[event.serial] = event.time
        elif event.status == "finish" and event.serial in started:
            visits.append((event.serial, started.pop(event.serial), event.time))
    return visits


def actual_cycle_h(visits: Sequence[tuple[str, dt.datetime, dt.datetime]], count: int) -> float | None:
    """The station's actual cycle per rack: mean hours from start to finish of ``visits`` divided by the
    parallel ``count`` (with ``count`` bays one rack leaves every ``work / count`` hours) [h per rack]."""
    if not visits:
        return None
    mean_h = sum((end - start).total_seconds() for _, start, end in visits) / len(visits) / 3600.0
    return mean_h / count


# --------------------------------------------------------------------------------------------
# the board


@dataclass(frozen=True)
class StationBoard:
    """One station's figures on the board (see the module docstring)."""

    id: str
    name: str
    status: StationStatus
    in_process: tuple[str, ...]
    done_today: int
    plan_to_hour: float
    takt_h: float | None
    cycle_h: float | None
    first_pass_yield: float | None
    model_first_pass_yield: float | None
    failure_modes: tuple[tuple[str, int], ...]
    behind: bool

    @property
    def andon(self) -> str | None:
        """Why the station is on the andon strip: ``down``, ``blocked``, ``behind``; None when it is not."""
        if self.status in ("down", "blocked"):
            return self.status
        return "behind" if self.behind else None


@dataclass(frozen=True)
class Board:
    """The whole board at ``now``."""

    now: dt.datetime
    stations: tuple[StationBoard, ...]
    last_event: dt.datetime | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def andon(self) -> tuple[tuple[str, str], ...]:
        """(station, reason) of every station that is down, blocked or behind."""
        return tuple((s.id, s.andon) for s in self.stations if s.andon is not None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times ISO 8601, hours and yields rounded to 4 decimals)."""
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "now": self.now.isoformat(timespec="seconds"),
            "last_event": None if self.last_event is None else self.last_event.isoformat(timespec="seconds"),
            "andon": [{"station": s, "reason": why} for s, why in self.andon],
            "stations": [{
                "id": s.id, "name": s.name, "status": s.status, "in_process": list(s.in_process),
                "done_today": s.done_today, "plan_to_hour": r(s.plan_to_hour), "takt_h": r(s.takt_h),
                "cycle_h": r(s.cycle_h), "first_pass_yield": r(s.first_pass_yield),
                "model_first_pass_yield": r(s.model_first_pass_yield), "behind": s.behind,
                "failure_modes": [{"mode": m, "failures": n} for m, n in s.failure_modes],
            } for s in self.stations],
        }


BEHIND_RACKS = 1.0
"""A station is behind when the plan to this hour exceeds the racks done today by at least this [racks]."""


def line_board(model: LineModel, events: Sequence[LineEvent], tests: Sequence[TestRecord],
               now: dt.datetime, stations: Sequence[str] | None = None) -> Board:
    """The board at ``now`` from the line's events and test records (events after ``now`` ignored).

    ``stations`` limits the board to those ids (the ``?station=`` view), in the model's order.
    """
    from rackforge.factory.testresults import report

    events = sorted((e for e in events if e.time <= now), key=lambda e: e.time)
    by_station: dict[str, list[LineEvent]] = {}
    for event in events:
        by_station.setdefault(event.station, []).append(event)
    recent = [t for t in tests if now - WINDOW <= t.started <= now]
    test_report = report(list(recent)) if recent else None
    midnight = dt.datetime.combine(now.date(), dt.time())
    out = []
    for station in model.stations:
        if stations is not None and station.id not in stations:
            continue
        mine = by_station.get(station.id, [])
        present = racks_in_process(mine)
        visits = finished_visits(mine)
        done_today = sum(1 for _, _, end in visits if end >= midnight)
        to_hour = plan_to_hour(model, station, now)
        weekly = planned_racks_per_week(model, station, now)
        fpy, modes = _station_tests(test_report, station.id)
        out.append(StationBoard(
            id=station.id, name=station.name, status=station_status(mine, len(present)), in_process=present,
            done_today=done_today, plan_to_hour=to_hour,
            takt_h=takt_time_h(station.calendar.open_h_per_week, weekly),
            cycle_h=actual_cycle_h([v for v in visits if v[2] >= now - WINDOW], station.count),
            first_pass_yield=fpy, model_first_pass_yield=station.first_pass_yield,
            failure_modes=modes, behind=to_hour - done_today >= BEHIND_RACKS))
    return Board(now, tuple(out), events[-1].time if events else None)


def _station_tests(test_report: Any, station: str) -> tuple[float | None, tuple[tuple[str, int], ...]]:
    """First-pass yield and the top failure modes of ``station`` in a :class:`TestReport` (or None)."""
    if test_report is None or station not in test_report.by_station.index:
        return None, ()
    fpy = test_report.by_station.loc[station, "first_pass_yield"]
    pareto = test_report.pareto_stations
    modes: tuple[tuple[str, int], ...] = ()
    if not pareto.empty and station in pareto.index.get_level_values("station"):
        rows = pareto.xs(station, level="station").head(TOP_FAILURE_MODES)
        modes = tuple((str(mode), int(n)) for mode, n in rows["failures"].items())
    return (None if fpy != fpy else float(fpy)), modes
