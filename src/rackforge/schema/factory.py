"""The factory model: stations, calendars, routes with yields and rework, material and targets.

A programme folder describes its US integration-and-test line in a ``factory:`` section::

    factory:
      source: "estimate: ..."
      calendar: {shifts_per_day: 2, hours_per_shift: 8 h, days_per_week: 6}
      stations:
        - {id: burn-in, name: Rack burn-in bay, kind: burn-in, count: 12,
           calendar: {shifts_per_day: 3, hours_per_shift: 8 h, days_per_week: 7}}
      routes:
        - id: nvl72
          designs: [gb200-nvl72]
          steps:
            - {station: burn-in, time: {dist: lognormal, mean_h: 24 h, cv: 0.05},
               first_pass_yield: 0.95, rework_station: rework, rework_time: 4 h,
               failure_modes: [{id: gpu-infant, category: compute, share: 1.0}]}

Times are hours of *work*; a station only works in its calendar's open hours (work pauses
at the end of a shift and resumes at the next). The pure functions :func:`open_hours_until`,
:func:`time_at_open_hours` and :func:`finish_time_h` implement that calendar arithmetic.

Test steps follow a simple defect model. A rack reaches a test with a defect of mode ``m``
with probability ``q_m``; the test detects it with probability ``coverage_m``. Given the
observed first-pass yield ``y`` and each mode's share ``s_m`` of *detected* failures,
``q_m = (1 - y) s_m / coverage_m``; the undetected part ``q_m (1 - coverage_m)`` escapes.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from rackforge.schema.base import Id, Model, SourceRef
from rackforge.seeds import DEFAULT_SEED
from rackforge.units import Fraction, Hours, Usd, Weeks

if TYPE_CHECKING:
    import numpy as np

HOURS_PER_WEEK = 168.0
HOURS_PER_DAY = 24.0


# --------------------------------------------------------------------------------------------
# calendar arithmetic (pure functions)


CALENDAR_TOLERANCE_H = 1e-9
"""Times closer than this are the same instant in calendar arithmetic [h] (3.6 µs).

Float sums of work times land a few ULPs either side of an exact shift close (13.1 + 2.9 =
16.000000000000004); without a tolerance such work 'ends' at the next shift's opening, 8 h or a
weekend late. 1e-9 h is far below any process time (a second is 2.8e-4 h) and far above the
rounding of times up to centuries of simulated hours (ULP of 1e6 h is 1.2e-10 h)."""


def open_hours_until(t_h: float, open_h_per_day: float, days_per_week: int) -> float:
    """Open (working) hours in ``[0, t_h)`` of a weekly calendar [h].

    Each of the first ``days_per_week`` days of every 168 h week is open from 00:00 for
    ``open_h_per_day`` hours; ``t_h = 0`` is the start of a week (a Monday, 00:00).
    """
    weeks, rest = divmod(t_h, HOURS_PER_WEEK)
    day, hour = divmod(rest, HOURS_PER_DAY)
    if day >= days_per_week:
        within = days_per_week * open_h_per_day
    else:
        within = day * open_h_per_day + min(hour, open_h_per_day)
    return weeks * days_per_week * open_h_per_day + within


def time_at_open_hours(open_h: float, open_h_per_day: float, days_per_week: int) -> float:
    """The earliest time at which ``open_h`` open hours have elapsed since ``t = 0`` [h].

    Inverse of :func:`open_hours_until`; work that ends exactly at the close of a shift ends
    then, not at the opening of the next shift, also when rounding puts it up to
    :data:`CALENDAR_TOLERANCE_H` past the close.
    """
    week_open = days_per_week * open_h_per_day
    weeks, rest = divmod(open_h, week_open)
    if rest <= CALENDAR_TOLERANCE_H and weeks > 0:
        weeks -= 1
        rest = week_open
    day, hour = divmod(rest, open_h_per_day)
    if hour <= CALENDAR_TOLERANCE_H and day > 0:
        day -= 1
        hour = open_h_per_day
    return weeks * HOURS_PER_WEEK + day * HOURS_PER_DAY + hour


def finish_time_h(start_h: float, work_h: float, open_h_per_day: float, days_per_week: int) -> float:
    """When ``work_h`` hours of work started at ``start_h`` end, pausing outside open hours [h]."""
    if work_h <= 0:
        return start_h
    if open_h_per_day >= HOURS_PER_DAY and days_per_week >= 7:
        return start_h + work_h
    start_h = next_open_h(start_h, open_h_per_day, days_per_week)
    end = time_at_open_hours(open_hours_until(start_h, open_h_per_day, days_per_week) + work_h,
                             open_h_per_day, days_per_week)
    return max(end, start_h)  # a work time below float resolution must not end before it starts


def next_open_h(t_h: float, open_h_per_day: float, days_per_week: int) -> float:
    """``t_h`` if the calendar is open then, else the next opening (00:00 of the next working day) [h]."""
    weeks, rest = divmod(t_h, HOURS_PER_WEEK)
    day, hour = divmod(rest, HOURS_PER_DAY)
    if day < days_per_week and hour < open_h_per_day:
        return t_h
    day += 1
    if day >= days_per_week:
        weeks += 1
        day = 0
    return weeks * HOURS_PER_WEEK + day * HOURS_PER_DAY


def open_hours_until_array(t_h: np.ndarray, open_h_per_day: float, days_per_week: int) -> np.ndarray:
    """Vectorised :func:`open_hours_until` over an array of times [h]."""
    import numpy as np

    weeks = np.floor_divide(t_h, HOURS_PER_WEEK)
    rest = t_h - weeks * HOURS_PER_WEEK
    day = np.floor_divide(rest, HOURS_PER_DAY)
    hour = rest - day * HOURS_PER_DAY
    within = np.where(day >= days_per_week, days_per_week * open_h_per_day,
                      day * open_h_per_day + np.minimum(hour, open_h_per_day))
    return np.asarray(weeks * days_per_week * open_h_per_day + within, dtype=float)


# --------------------------------------------------------------------------------------------
# input models


class Calendar(Model):
    """When a station works: shifts per day, hours per shift, days per week (from Monday 00:00)."""

    shifts_per_day: int = Field(2, ge=1, le=3)
    hours_per_shift: Hours = Field(8.0, gt=0, le=24)
    days_per_week: int = Field(5, ge=1, le=7)

    @model_validator(mode="after")
    def _fits_in_a_day(self) -> Calendar:
        if self.shifts_per_day * self.hours_per_shift > HOURS_PER_DAY + 1e-9:
            raise ValueError(f"{self.shifts_per_day} shifts × {self.hours_per_shift:g} h is more than 24 h a day")
        return self

    @property
    def open_h_per_day(self) -> float:
        """Open hours per working day [h]."""
        return min(HOURS_PER_DAY, self.shifts_per_day * self.hours_per_shift)

    @property
    def open_h_per_week(self) -> float:
        """Open hours per week [h]."""
        return self.open_h_per_day * self.days_per_week

    @property
    def always_open(self) -> bool:
        """True for a 24/7 calendar."""
        return self.open_h_per_day >= HOURS_PER_DAY and self.days_per_week == 7


ALWAYS_OPEN = Calendar(shifts_per_day=3, hours_per_shift=8.0, days_per_week=7)

DistKind = Literal["fixed", "exponential", "lognormal", "gamma", "triangular", "uniform"]


class Distribution(Model):
    """A process-time distribution [h of work].

    ``fixed`` and ``exponential`` need ``mean_h``; ``lognormal`` and ``gamma`` need ``mean_h``
    and ``cv`` (standard deviation / mean); ``triangular`` needs ``min_h``, ``mode_h``,
    ``max_h``; ``uniform`` needs ``min_h`` and ``max_h``. A bare quantity ("8 h") is a fixed time.
    """

    dist: DistKind = "fixed"
    mean_h: Hours | None = None
    cv: float | None = Field(None, ge=0, le=5)
    min_h: Hours | None = None
    mode_h: Hours | None = None
    max_h: Hours | None = None

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        """JSON Schema: the object form, or the shorthand of a fixed time (a number in h, or '8 h')."""
        schema = handler(core_schema)
        return {"anyOf": [{"type": "number", "description": "a fixed time [h]"},
                          {"type": "string", "description": "a fixed time with a unit, e.g. '8 h' or '90 min'"},
                          schema]}

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, int | float | str) and not isinstance(data, bool):
            return {"dist": "fixed", "mean_h": data}
        return data

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        needs: dict[str, tuple[str, ...]] = {
            "fixed": ("mean_h",), "exponential": ("mean_h",), "lognormal": ("mean_h", "cv"),
            "gamma": ("mean_h", "cv"), "triangular": ("min_h", "mode_h", "max_h"), "uniform": ("min_h", "max_h"),
        }
        missing = [f for f in needs[self.dist] if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(needs[self.dist])}; "
                             f"missing {', '.join(missing)}")
        extra = [f for f in ("mean_h", "cv", "min_h", "mode_h", "max_h")
                 if f not in needs[self.dist] and getattr(self, f) is not None]
        if extra:
            raise ValueError(f"a {self.dist} distribution takes only {', '.join(needs[self.dist])}; "
                             f"remove {', '.join(extra)}")
        if self.dist in ("exponential", "lognormal", "gamma") and self.mean_h == 0:
            raise ValueError(f"a {self.dist} distribution needs mean_h > 0 (got 0 h); use 'fixed' with 0 h for "
                             "no work, or give the mean time")
        if self.dist == "gamma" and self.cv == 0:
            raise ValueError("a gamma distribution needs cv > 0 (use 'fixed' for a constant time)")
        if self.dist == "triangular" and not (self.min_h <= self.mode_h <= self.max_h):  # type: ignore[operator]
            raise ValueError("a triangular distribution needs min_h <= mode_h <= max_h")
        if self.dist == "triangular" and self.min_h == self.max_h:
            raise ValueError("a triangular distribution needs min_h < max_h (use 'fixed' for a constant time)")
        if self.dist == "uniform" and not (self.min_h <= self.max_h):  # type: ignore[operator]
            raise ValueError("a uniform distribution needs min_h <= max_h")
        return self

    @property
    def mean(self) -> float:
        """Mean work time [h]."""
        if self.dist == "triangular":
            return (self.min_h + self.mode_h + self.max_h) / 3.0  # type: ignore[operator]
        if self.dist == "uniform":
            return (self.min_h + self.max_h) / 2.0  # type: ignore[operator]
        return float(self.mean_h)  # type: ignore[arg-type]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws [h] (NumPy, vectorised)."""
        import numpy as np

        if self.dist == "fixed":
            return np.full(n, float(self.mean_h))  # type: ignore[arg-type]
        if self.dist == "exponential":
            return rng.exponential(float(self.mean_h), n)  # type: ignore[arg-type]
        if self.dist == "lognormal":
            sigma2 = math.log1p(self.cv**2)  # type: ignore[operator]
            mu = math.log(self.mean_h) - sigma2 / 2.0  # type: ignore[arg-type]
            return rng.lognormal(mu, math.sqrt(sigma2), n)
        if self.dist == "gamma":
            shape = 1.0 / self.cv**2  # type: ignore[operator]
            return rng.gamma(shape, self.mean_h / shape, n)  # type: ignore[operator]
        if self.dist == "uniform":
            return rng.uniform(self.min_h, self.max_h, n)  # type: ignore[arg-type]
        if self.min_h == self.max_h:
            return np.full(n, float(self.min_h))  # type: ignore[arg-type]
        return rng.triangular(self.min_h, self.mode_h, self.max_h, n)  # type: ignore[arg-type]


class StationKind(StrEnum):
    """What a station does in rack integration and test (integration levels L10/L11)."""

    L10_TRAY = "l10-tray"
    L11_INTEGRATION = "l11-integration"
    LEAK_TEST = "leak-test"
    POWER_ON = "power-on"
    RACK_TEST = "rack-test"
    BURN_IN = "burn-in"
    FABRIC = "fabric-validation"
    PACK_SHIP = "pack-ship"
    REWORK = "rework"
    OTHER = "other"


TEST_KINDS = frozenset({StationKind.LEAK_TEST, StationKind.POWER_ON, StationKind.RACK_TEST, StationKind.BURN_IN,
                        StationKind.FABRIC})
"""Station kinds that are test bays (planned first by capacity planning)."""

FailureCategory = Literal["power", "thermal", "leak", "link", "fabric", "compute", "mechanical", "firmware", "other"]


class Station(Model):
    """A kind of station (cell, bay, bench) and how many of it the line has."""

    id: Id
    name: str = ""
    kind: StationKind
    count: PositiveInt = Field(description="parallel stations (bays, cells, benches)")
    calendar: Calendar | None = Field(None, description="default: the factory calendar")
    availability: float = Field(1.0, gt=0, le=1, description="share of open time not lost to breakdowns "
                                "and maintenance; work times are divided by it")
    source: SourceRef | None = None


class FailureMode(Model):
    """A way a rack fails a test step: its share of detected failures, coverage, disposition."""

    id: Id
    name: str = ""
    category: FailureCategory = "other"
    share: Fraction = Field(1.0, description="share of this step's detected failures")
    coverage: float = Field(1.0, gt=0, le=1, description="probability the test detects a defect of this mode")
    scrap_fraction: Fraction = Field(0.0, description="share of detected failures that scrap the rack")
    rework_time: Distribution | None = Field(None, description="default: the step's rework_time")


class Step(Model):
    """One operation of a route at a station; a test when ``first_pass_yield`` < 1 or modes are given."""

    station: Id
    time: Distribution
    first_pass_yield: Fraction = 1.0
    retest_yield: Fraction | None = Field(None, description="yield of a retest after rework; default first_pass_yield")
    failure_modes: tuple[FailureMode, ...] = ()
    rework_station: Id | None = Field(None, description="where failures are reworked; default the step's own station")
    rework_time: Distribution | None = None
    max_attempts: PositiveInt | None = Field(None, description="attempts before a rack is scrapped; default unlimited")
    source: SourceRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_failure_mode(cls, data: Any) -> Any:
        """A test step without failure modes gets one, 'unspecified', taking all its failures."""
        if not isinstance(data, dict) or data.get("failure_modes"):
            return data
        from rackforge.units import parse_quantity

        try:
            yields = [parse_quantity(data[k], "fraction") for k in ("first_pass_yield", "retest_yield")
                      if data.get(k) is not None]
        except (ValueError, TypeError):
            return data  # the field validators report the bad value
        if any(y < 1 for y in yields):
            return {**data, "failure_modes": [{"id": "unspecified"}]}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        if self.is_test:
            total = sum(m.share for m in self.failure_modes)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"failure_modes shares add up to {total:g}; they must add up to 1")
            ids = [m.id for m in self.failure_modes]
            if len(set(ids)) != len(ids):
                raise ValueError("failure mode ids repeat within a step")
            needs_time = any(m.rework_time is None for m in self.failure_modes)
            if self.rework_time is None and needs_time and self.first_pass_yield < 1:
                raise ValueError("a test with first_pass_yield < 1 needs rework_time (or one per failure mode)")
            if self.max_attempts is None and self.retest_yield_or_first == 0 and self.mean_scrap_fraction == 0:
                raise ValueError("with retest_yield 0, no scrap and unlimited attempts a failed rack never "
                                 "leaves; set max_attempts or a retest_yield above 0")
            for yld in (self.first_pass_yield, self.retest_yield_or_first):
                fail, escape = defect_probabilities(yld, self.failure_modes)
                if fail + escape > 1 + 1e-9:
                    raise ValueError(f"with yield {yld:g} and these coverages the defect probability "
                                     f"{fail + escape:.3g} exceeds 1; raise coverage or yield")
        return self

    @property
    def is_test(self) -> bool:
        """True when racks can fail this step."""
        return self.first_pass_yield < 1 or bool(self.failure_modes) or (
            self.retest_yield is not None and self.retest_yield < 1)

    @property
    def retest_yield_or_first(self) -> float:
        """Yield of a retest [fraction]."""
        return self.first_pass_yield if self.retest_yield is None else self.retest_yield

    @property
    def mean_scrap_fraction(self) -> float:
        """Share of detected failures that scrap the rack, over the modes [fraction]."""
        return sum(m.share * m.scrap_fraction for m in self.failure_modes)


class Route(Model):
    """The steps that the racks of some designs go through, in order."""

    id: Id
    designs: tuple[Id, ...] = Field(min_length=1)
    steps: tuple[Step, ...] = Field(min_length=1)
    source: SourceRef | None = None


class Material(Model):
    """How rack kits are released into the line.

    ``cap: sources`` caps each quarter's releases by what the programme's qualified sources can
    supply (per part: capacity / quantity per rack, shared between designs in proportion to
    plan); ``cap: none`` releases the build plan as is. ``cap_per_quarter`` overrides either.
    ``release: even`` spaces kits evenly in the quarter; ``poisson`` releases them at random.
    """

    cap: Literal["sources", "none"] = "sources"
    release: Literal["even", "poisson"] = "even"
    cap_per_quarter: dict[str, dict[Id, int]] = Field(default_factory=dict)
    lead_weeks: Weeks = Field(0.0, description="kits for a quarter are released this much before it starts")


class FactoryTargets(Model):
    """What 'meets the build plan' means for capacity planning."""

    confidence: float = Field(0.9, gt=0, le=1, description="share of replications that must meet the plan")
    ship_grace_weeks: Weeks = Field(2.0, description="racks planned in a quarter may ship this long after its end")
    plan_tolerance: Fraction = Field(0.02, description="shortfall tolerated against the cumulative plan")


class SimulationSettings(Model):
    """Replications, warm-up and seed for the line simulation."""

    replications: PositiveInt = 10
    warmup_weeks: Weeks = 4.0
    seed: int = Field(DEFAULT_SEED, ge=0, description="random seed (default: the one default seed of every "
                      "command, rackforge.seeds.DEFAULT_SEED)")


class TestPlanSettings(Model):
    """Parameters of generated test plans (every default is an estimate, reasoning in docs/factory.md)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    source: SourceRef = "estimate: rackforge defaults, see docs/factory.md (test plans)"
    power_base_h: Hours = Field(0.5, description="power-on: insulation/ground checks and first power-up")
    power_per_shelf_h: Hours = Field(0.1, description="power-on: per power shelf (PSU and BBU checks)")
    leak_hold_h: Hours = Field(1.0, description="leak: pressure-decay hold at test pressure")
    leak_per_connection_h: Hours = Field(0.01, description="leak: per liquid connection (sniff/inspect)")
    thermal_soak_h: Hours = Field(2.0, description="thermal: soak at design power on facility water")
    link_setup_h: Hours = Field(0.5, description="link and fabric: training and setup before BER counting")
    ber_target: float = Field(1e-12, gt=0, lt=1, description="bit-error ratio each lane must demonstrate")
    ber_confidence: float = Field(0.95, gt=0, lt=1, description="confidence of the zero-error BER demonstration")
    fabric_h: Hours = Field(2.0, description="fabric: collective (all-reduce) and scale-out port validation")
    burn_in_h: dict[str, Hours] = Field(
        default_factory=lambda: {"concept": 72.0, "announced": 72.0, "sampling": 48.0, "shipping": 24.0},
        description="burn-in hours by design status (24-72 h at system level)")


class TestSiteComparison(Model):
    """Testing at the origin (rack shipped integrated) vs at the US site (kits shipped, tested here)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    source: SourceRef = "estimate: rackforge defaults, see docs/factory.md (origin vs US)"
    origin_country: str = Field("TW", pattern=r"^[A-Z]{2}$")
    origin_labour_usd_per_h: Usd = 30.0
    us_labour_usd_per_h: Usd = 75.0
    technicians_per_rack: float = Field(1.0, gt=0, description="technicians attending a rack under test")
    attended_share_burn_in: Fraction = Field(0.1, description="share of burn-in hours a technician attends")
    origin_bay_usd_per_h: Usd = 20.0
    us_bay_usd_per_h: Usd = 35.0
    rack_freight_usd: Usd = Field(9000.0, description="integrated rack, crated, shock-monitored, by sea")
    kit_freight_usd: Usd = Field(4000.0, description="the same rack's trays and parts in dense cartons")
    transit_weeks: Weeks | None = Field(None, description="default: the programme's trade lane origin → US, else 5")
    arrival_retest: tuple[str, ...] = Field(("power", "leak", "link"),
                                            description="test categories repeated at the US on arrival")
    transit_damage_rate: Fraction = Field(0.03, description="integrated racks needing rework after transit")
    transit_rework_h: Hours = 6.0


class Factory(Model):
    """The integration-and-test line of a programme (the ``factory:`` section)."""

    source: SourceRef
    site: Id | None = Field(None, description="site id; default the programme's integration site")
    calendar: Calendar = Calendar()
    stations: tuple[Station, ...] = Field(min_length=1)
    routes: tuple[Route, ...] = Field(min_length=1)
    material: Material = Material()
    targets: FactoryTargets = FactoryTargets()
    simulation: SimulationSettings = SimulationSettings()
    test_plan: TestPlanSettings = TestPlanSettings()
    test_sites: TestSiteComparison = TestSiteComparison()

    @model_validator(mode="after")
    def _references(self) -> Factory:
        from rackforge.errors import did_you_mean, valid_list

        problems: list[tuple[tuple[str | int, ...], str]] = []
        first: dict[str, int] = {}
        for i, station in enumerate(self.stations):
            if station.id in first:
                problems.append((("stations", i, "id"),
                                 f"station id {station.id!r} repeats (first: stations[{first[station.id]}])"))
            first.setdefault(station.id, i)
        known = set(first)
        seen_designs: dict[str, str] = {}
        routes: dict[str, int] = {}
        for r, route in enumerate(self.routes):
            if route.id in routes:
                problems.append((("routes", r, "id"), f"route id {route.id!r} repeats"))
            routes.setdefault(route.id, r)
            for i, step in enumerate(route.steps):
                for what, ref in (("station", step.station), ("rework_station", step.rework_station)):
                    if ref is not None and ref not in known:
                        hint = did_you_mean(ref, known) or "; " + valid_list(known)
                        problems.append((("routes", r, "steps", i, what), f"unknown station {ref!r}{hint}"))
            for d, design in enumerate(route.designs):
                if design in seen_designs:
                    problems.append((("routes", r, "designs", d), f"design {design!r} is already in route "
                                     f"{seen_designs[design]!r}; give each design one route"))
                seen_designs.setdefault(design, route.id)
        if problems:
            raise located_errors("Factory", problems)
        return self

    def station(self, ident: str) -> Station:
        """A station by id."""
        return next(s for s in self.stations if s.id == ident)

    def route_of(self, design: str) -> Route | None:
        """The route of a design, or None."""
        return next((r for r in self.routes if design in r.designs), None)

    def calendar_of(self, station: Station) -> Calendar:
        """The calendar a station works to."""
        return station.calendar or self.calendar


def located_errors(title: str, problems: list[tuple[tuple[str | int, ...], str]]) -> Exception:
    """A pydantic ValidationError whose errors point at the fields named in ``problems``.

    Cross-field checks of a model validator would otherwise all be reported at the model's
    first line; this keeps each message at the field (and so the line) it is about.
    """
    from pydantic import ValidationError
    from pydantic_core import InitErrorDetails, PydanticCustomError

    details = [InitErrorDetails(type=PydanticCustomError("reference", message.replace("{", "(").replace("}", ")")),
                                loc=loc, input=None) for loc, message in problems]
    return ValidationError.from_exception_data(title, details)


# --------------------------------------------------------------------------------------------
# step arithmetic (pure functions)


def defect_probabilities(yield_: float, modes: tuple[FailureMode, ...]) -> tuple[float, float]:
    """(probability a test attempt fails, probability it passes with an undetected defect) [fraction].

    Defect model: ``q_m = (1 - y) s_m / c_m``; detected ``q_m c_m`` (sums to ``1 - y``),
    escaped ``q_m (1 - c_m)``.
    """
    fail = 1.0 - yield_
    escape = sum(fail * m.share * (1.0 - m.coverage) / m.coverage for m in modes)
    return fail, escape


def step_visit_expectations(step: Step) -> tuple[float, float, float]:
    """(expected attempts, expected reworks, probability of scrap) per rack that reaches ``step``.

    Attempt 1 always happens. After a detected failure the rack is scrapped with the step's
    mean scrap fraction ``s`` (always at the last allowed attempt); otherwise it is reworked
    once and retested with failure probability ``fr = 1 - retest_yield``. Reworks = attempts - 1.
    Unlimited attempts: ``E[attempts] = 1 + f1 (1-s) / (1 - fr (1-s))`` and
    ``P(scrap) = f1 s + (E[attempts] - 1) fr s`` (geometric series).
    """
    if not step.is_test:
        return 1.0, 0.0, 0.0
    s = step.mean_scrap_fraction
    f1 = 1.0 - step.first_pass_yield
    fr = 1.0 - step.retest_yield_or_first
    if step.max_attempts is None:
        attempts = 1.0 + f1 * (1.0 - s) / (1.0 - fr * (1.0 - s))
        return attempts, attempts - 1.0, f1 * s + (attempts - 1.0) * fr * s
    reach, attempts, scrap = 1.0, 0.0, 0.0
    for k in range(1, step.max_attempts + 1):
        fail = f1 if k == 1 else fr
        last = k == step.max_attempts
        attempts += reach
        scrap += reach * fail * (1.0 if last else s)
        reach *= fail * (1.0 - s)
    return attempts, attempts - 1.0, scrap
