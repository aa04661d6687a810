"""The ``scenarios:`` section of a programme: what can go wrong, and what buffers exist.

One mapping (in one programme file) holds everything the resilience analyses need beyond the
sources and the build plan:

- ``events``: the disruption library for the Monte Carlo (a Taiwan Strait disruption, a fab
  earthquake, an export control, a port closure, a supplier failure, a US site ramp delay),
  each with a probability, a duration, the sources it hits and what capacity survives;
- ``stock``: inventory on hand and in the pipeline at plan start, of parts, assemblies or racks;
- ``recovery``: times to recover (TTR) of sites, countries or regions for the stress test;
- ``lead_time``: how much realised lead times vary (stochastic lead times);
- ``safety_stock``: the service level, holding rate and demand variability for the
  guaranteed-service safety-stock model.

Every figure carries ``source:`` (a public document) or ``estimate: <reasoning>``.
Cross-references (sites, parts, suppliers, designs) are checked by
:func:`check_scenarios` when an analysis runs, with file and line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from rackforge.calendar import WEEKS_PER_QUARTER
from rackforge.schema.base import Id, Model, Sourced
from rackforge.schema.parts import Category
from rackforge.schema.supply import CountryCode
from rackforge.units import Fraction, Usd, Weeks

if TYPE_CHECKING:
    pass

DEFAULT_TTR_WEEKS = WEEKS_PER_QUARTER
"""Time to recover used when the data gives none [weeks]. estimate: one quarter, the typical time to
requalify an alternate line or rebuild a lost shipment window for electronics (placeholder until the
programme states its own)."""


def _weeks_range(value: Any) -> Any:
    """Accept ``12``/``"3 months"`` (fixed) or ``{low, mode, high}`` for a duration."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return {"low_weeks": value, "mode_weeks": value, "high_weeks": value}
    return value


class WeeksRange(Model):
    """A duration drawn from a triangular distribution (low, mode, high) [weeks]."""

    low_weeks: Weeks
    mode_weeks: Weeks
    high_weeks: Weeks

    @model_validator(mode="after")
    def _ordered(self) -> WeeksRange:
        if not self.low_weeks <= self.mode_weeks <= self.high_weeks:
            raise ValueError(f"need low_weeks ≤ mode_weeks ≤ high_weeks, got {self.low_weeks:g}, "
                             f"{self.mode_weeks:g}, {self.high_weeks:g}")
        return self

    @property
    def mean_weeks(self) -> float:
        """Mean of the triangular distribution [weeks]: (low + mode + high) / 3."""
        return (self.low_weeks + self.mode_weeks + self.high_weeks) / 3.0


_WEEKS_VALUE = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}]}
Duration = Annotated[WeeksRange, BeforeValidator(_weeks_range), WithJsonSchema({
    "anyOf": [
        {**_WEEKS_VALUE, "description": "a fixed duration: weeks, or a value with a unit ('3 months')"},
        {"type": "object", "additionalProperties": False, "required": ["low_weeks", "mode_weeks", "high_weeks"],
         "properties": {k: _WEEKS_VALUE for k in ("low_weeks", "mode_weeks", "high_weeks")},
         "description": "a triangular distribution of weeks"},
    ]})]


class Selector(Model):
    """Which sources an event hits.

    A source is hit when it matches every list that is given (AND across lists) and any entry
    within a list (OR): ``{countries: [TW], parts: [b200-gpu]}`` is the B200 from Taiwan.
    """

    sites: tuple[Id, ...] = ()
    countries: tuple[CountryCode, ...] = ()
    regions: tuple[str, ...] = ()
    suppliers: tuple[Id, ...] = ()
    parts: tuple[Id, ...] = ()
    categories: tuple[Category, ...] = Field((), description="part categories, e.g. cooling, cabling")

    @model_validator(mode="after")
    def _not_empty(self) -> Selector:
        if not (self.sites or self.countries or self.regions or self.suppliers or self.parts or self.categories):
            raise ValueError("say which sources are hit: give at least one of sites, countries, regions, "
                             "suppliers, parts, categories")
        return self

    def matches(self, *, part: str, site: str, supplier: str, country: str, region: str,
                category: str = "") -> bool:
        """True if a source of ``part`` (of ``category``) at ``site`` is hit."""
        checks = ((self.sites, site), (self.countries, country), (self.regions, region),
                  (self.suppliers, supplier), (self.parts, part), (tuple(c.value for c in self.categories), category))
        return all(not wanted or value in wanted for wanted, value in checks)


class DisruptionEvent(Sourced):
    """One kind of disruption in the Monte Carlo library.

    ``kind: outage``: during the event the hit sources keep ``capacity_factor`` of their capacity.
    ``kind: ramp_delay``: hit sources that start shipping during the plan (qualification or site
    start-up in the future) start ``duration`` later.
    Give ``annual_probability`` (a recurring hazard; at most one occurrence per run is drawn, with
    probability 1 − (1 − p)^years over the plan horizon, starting uniformly in it) or
    ``probability`` (a one-off risk over the whole plan, e.g. a ramp delay).
    """

    id: Id
    name: str
    kind: Literal["outage", "ramp_delay"] = "outage"
    annual_probability: Fraction | None = None
    probability: Fraction | None = Field(None, description="probability over the plan horizon")
    duration: Duration = Field(description="outage length or ramp delay: a number of weeks or {low, mode, high}")
    capacity_factor: Fraction = Field(0.0, description="share of capacity left during an outage")
    affects: Selector
    description: str = ""

    @model_validator(mode="after")
    def _one_probability(self) -> DisruptionEvent:
        if (self.annual_probability is None) == (self.probability is None):
            raise ValueError("give exactly one of annual_probability (recurring hazard) or probability "
                             "(over the plan horizon)")
        return self

    def horizon_probability(self, horizon_weeks: float) -> float:
        """Probability that the event occurs within a horizon [0-1]: 1 − (1 − p_annual)^(years)."""
        if self.probability is not None:
            return self.probability
        assert self.annual_probability is not None
        years = horizon_weeks / 52.1775
        return float(1.0 - (1.0 - self.annual_probability) ** years)


class StockEntry(Sourced):
    """Inventory of a part, assembly or rack design at plan start.

    ``on_hand_units`` are usable at once; ``pipeline_units`` are in transit and arrive in the
    first quarter. With ``site`` (parts only) the stock is attributed to that source (finished
    goods at, or already shipped from, that site); without it, it sits at the integration site.
    """

    ref: Id = Field(description="part, assembly or design id")
    site: Id | None = None
    on_hand_units: float = Field(0.0, ge=0)
    pipeline_units: float = Field(0.0, ge=0)

    @property
    def total_units(self) -> float:
        """On hand plus pipeline [units] (s_i of the stress test)."""
        return self.on_hand_units + self.pipeline_units


class RecoveryTime(Sourced):
    """Time to recover (TTR) of one site, country or region after it goes down."""

    site: Id | None = None
    country: CountryCode | None = None
    region: str | None = None
    ttr_weeks: Weeks

    @model_validator(mode="after")
    def _one_target(self) -> RecoveryTime:
        given = [x for x in (self.site, self.country, self.region) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of site, country or region")
        return self

    @property
    def target(self) -> str:
        """``site:<id>``, ``country:<code>`` or ``region:<name>``."""
        if self.site is not None:
            return f"site:{self.site}"
        if self.country is not None:
            return f"country:{self.country}"
        return f"region:{self.region}"


class LeadTimeVariability(Sourced):
    """Stochastic lead times: realised lead time = planned × a lognormal factor of mean 1.

    The part of a quarter's deliveries pushed past the quarter end by a delay Δ is
    min(1, Δ / quarter length) (deliveries spread evenly over the quarter); early arrivals wait.
    """

    cv: float = Field(ge=0, le=3, description="coefficient of variation of the realised lead time")


class SafetyStockSettings(Sourced):
    """Inputs of the guaranteed-service model for a design's supply tree."""

    service_level: float = Field(0.95, gt=0.5, lt=1.0, description="probability of covering demand from stock")
    holding_rate_per_year: Fraction = Field(0.25, description="holding cost as a share of value per year")
    demand_cv: float = Field(0.3, ge=0, description="coefficient of variation of weekly rack demand")
    rack_service_weeks: int = Field(0, ge=0, description="service time quoted to the rack customer")
    integration_weeks: int = Field(2, ge=0, description="rack integration and test time")
    assembly_weeks: int = Field(1, ge=0, description="time to build a sub-assembly")


class ScenarioLibrary(Model):
    """The ``scenarios:`` section: disruption library, stock, recovery times and buffer settings."""

    events: tuple[DisruptionEvent, ...] = ()
    stock: tuple[StockEntry, ...] = ()
    default_stock_weeks: Weeks = Field(0.0, description="weeks of its first planned quarter's need held of every "
                                                       "part that has no stock entry")
    recovery: tuple[RecoveryTime, ...] = ()
    default_ttr_weeks: Weeks = Field(DEFAULT_TTR_WEEKS, description="TTR of a site with no recovery entry")
    lead_time: LeadTimeVariability | None = Field(None, description="omit for deterministic lead times")
    alternate_response: Fraction = Field(
        0.5, description="share of the alternate sources' spare capacity that can be called on in the quarter "
                         "a primary source falls short (estimate: a quarter is enough to expedite from an "
                         "already qualified alternate, not to double its output)")
    allocation: Literal["proportional", "priority"] = Field(
        "proportional", description="how scarce parts are shared between designs")
    priority: tuple[Id, ...] = Field((), description="designs in priority order (default: build-plan order)")
    rack_value_usd: dict[Id, Usd] = Field(default_factory=dict,
                                          description="value of one rack per design (default: its component "
                                                      "cost, the landed cost of its parts as in the BOM)")
    safety_stock: SafetyStockSettings | None = None

    @model_validator(mode="after")
    def _unique(self) -> ScenarioLibrary:
        for label, keys in (("event id", [e.id for e in self.events]),
                            ("recovery target", [r.target for r in self.recovery]),
                            ("stock entry", [f"{s.ref}@{s.site}" for s in self.stock])):
            seen: set[str] = set()
            for key in keys:
                if key in seen:
                    raise ValueError(f"duplicate {label} {key!r}")
                seen.add(key)
        return self

    def recovery_weeks(self, target: str) -> float | None:
        """TTR given in the data for ``site:x``, ``country:XX`` or ``region:y`` [weeks], else None."""
        for r in self.recovery:
            if r.target == target:
                return r.ttr_weeks
        return None
