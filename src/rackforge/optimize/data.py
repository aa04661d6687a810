"""The sourcing problem as NumPy arrays over named dimensions, read from a :class:`Programme`.

Dimensions:

- ``part`` (P): part types a planned design needs;
- ``source`` (S): a part made at a site (a programme ``Source``), disqualified ones left out;
- ``quarter`` (T): quarters of the build plan in time order; ``year`` (Y): their calendar years;
- ``design`` (D): designs in the build plan.

Costs follow the component-cost rule of FAR 25.003: the cost of a purchased component is its
price plus transport to the place of incorporation (the integration site) plus duty. Freight and
duty come from the source when it overrides them, else from the programme's trade lane from the
site's country to the integration site's country (freight as a share of price; duty ad valorem on
the ex-works price). Landed unit cost [USD] = price + freight + duty.

A source that is ``planned`` or ``qualifying`` ships only if the plan decides to open it (a yes/no
decision costing ``open_cost_usd``) and only from its ready date: the later of its expected
``qualified_date`` and the decision date plus ``open_lead_time_weeks``. A quarter in which a source
becomes ready gets capacity in proportion to the days left in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from rackforge.model import Programme, Qualification, Source, quarter_end, quarter_start

if TYPE_CHECKING:
    from numpy.typing import NDArray

HOLDING_RATE_PER_QUARTER = 0.25 / 4
"""Inventory carrying cost per quarter as a share of landed cost [fraction/quarter].
estimate: the common 20–30 %/year rule of thumb for inventory carrying cost (capital, storage,
insurance, obsolescence), taken at 25 %/year."""

CRITICAL_MAX_SOURCE_SHARE = 0.9
"""For a part marked critical, no single source may supply more than this share of the part's
yearly demand [fraction]: the linear form of "at least two qualified sources", with the second
source carrying at least 10 %. A policy default, not a figure from a source."""


@dataclass(frozen=True)
class Targets:
    """What the plan must achieve besides meeting the build plan.

    ``domestic_content``: the least domestic share of component cost per design and year
    [fraction]; one number for every year, or ``{year: fraction}``; None for no target.
    ``domestic_margin``: added to the target when the rule says *exceeds* [fraction].
    ``country_cap``: the largest share any one country may have [fraction], per part (by units)
    or per category (by landed cost) as ``cap_scope`` says; None for no cap.
    ``critical_max_source_share``: see :data:`CRITICAL_MAX_SOURCE_SHARE`; None switches the
    two-source rule off.
    """

    domestic_content: float | Mapping[int, float] | None = None
    domestic_margin: float = 0.0
    country_cap: float | None = None
    cap_scope: Literal["part", "category"] = "part"
    critical_max_source_share: float | None = CRITICAL_MAX_SOURCE_SHARE

    def domestic_target(self, year: int) -> float | None:
        """The domestic-content target for ``year`` [fraction], margin included, or None."""
        if self.domestic_content is None:
            return None
        if isinstance(self.domestic_content, Mapping):
            value = self.domestic_content.get(year)
            return None if value is None else float(value) + self.domestic_margin
        return float(self.domestic_content) + self.domestic_margin

    def describe(self) -> dict[str, object]:
        """The targets as plain data (for JSON output)."""
        dc = self.domestic_content
        return {
            "domestic_content": dict(dc) if isinstance(dc, Mapping) else dc,
            "country_cap": self.country_cap,
            "cap_scope": self.cap_scope,
            "critical_max_source_share": self.critical_max_source_share,
        }


@dataclass(frozen=True, eq=False)
class OptimizeInput:
    """The sourcing problem as arrays. Money in USD, quantities in units, time in quarters."""

    # part dimension (P)
    part_ids: NDArray[np.str_]
    part_names: NDArray[np.str_]
    part_category: NDArray[np.str_]
    part_critical: NDArray[np.bool_]
    part_reference_price_usd: NDArray[np.float64]  # NaN when unknown
    # quarter dimension (T) and years (Y)
    quarters: NDArray[np.str_]
    quarter_year: NDArray[np.int64]
    years: NDArray[np.int64]
    # design dimension (D)
    design_ids: NDArray[np.str_]
    parts_per_rack: NDArray[np.float64]  # (D, P) [units/rack]
    racks: NDArray[np.float64]  # (D, T) [racks/quarter]
    # source dimension (S)
    source_part: NDArray[np.int64]  # index into part
    source_site: NDArray[np.str_]
    source_country: NDArray[np.str_]
    source_domestic: NDArray[np.bool_]
    source_qualification: NDArray[np.str_]
    price_usd: NDArray[np.float64]
    freight_usd: NDArray[np.float64]
    duty_usd: NDArray[np.float64]
    content_cost_usd: NDArray[np.float64]  # cost of one unit as a component under the content rule
    capacity_per_quarter: NDArray[np.float64]  # [units/quarter]
    moq_units: NDArray[np.float64]  # [units/order], one order per source and quarter
    needs_open: NDArray[np.bool_]
    open_cost_usd: NDArray[np.float64]
    ready_date: tuple[dt.date | None, ...]
    available_fraction: NDArray[np.float64]  # (S, T) share of the quarter the source can ship
    lead_time_weeks: NDArray[np.float64]
    holding_rate_per_quarter: float = HOLDING_RATE_PER_QUARTER
    integration_country: str = "US"
    decision_date: dt.date | None = None
    notes: tuple[str, ...] = field(default=())

    # ----- derived arrays -------------------------------------------------------------
    @property
    def n_parts(self) -> int:
        return len(self.part_ids)

    @property
    def n_sources(self) -> int:
        return len(self.source_part)

    @property
    def n_quarters(self) -> int:
        return len(self.quarters)

    @property
    def landed_cost_usd(self) -> NDArray[np.float64]:
        """Landed unit cost per source [USD/unit] = price + freight + duty."""
        return self.price_usd + self.freight_usd + self.duty_usd

    @property
    def holding_cost_usd(self) -> NDArray[np.float64]:
        """Cost of holding one unit for one quarter, per source [USD/(unit·quarter)]."""
        return self.holding_rate_per_quarter * self.landed_cost_usd

    @property
    def demand(self) -> NDArray[np.float64]:
        """Units of each part needed per quarter (P, T) = parts per rack (D, P)ᵀ · racks (D, T)."""
        return self.parts_per_rack.T @ self.racks

    @property
    def year_of_quarter(self) -> NDArray[np.int64]:
        """Index into ``years`` of each quarter (T,)."""
        return np.searchsorted(self.years, self.quarter_year)

    @property
    def quarter_in_year(self) -> NDArray[np.float64]:
        """Incidence of quarters in years (T, Y): 1 where quarter t falls in year y."""
        out = np.zeros((self.n_quarters, len(self.years)))
        out[np.arange(self.n_quarters), self.year_of_quarter] = 1.0
        return out

    @property
    def demand_per_year(self) -> NDArray[np.float64]:
        """Units of each part needed per year (P, Y)."""
        return self.demand @ self.quarter_in_year

    @property
    def racks_per_year(self) -> NDArray[np.float64]:
        """Racks of each design built per year (D, Y)."""
        return self.racks @ self.quarter_in_year

    @property
    def buy_upper_units(self) -> NDArray[np.float64]:
        """Most a source can ship in a quarter (S, T) [units] = capacity × share of quarter available."""
        return self.capacity_per_quarter[:, None] * self.available_fraction

    @property
    def sourced_parts(self) -> NDArray[np.bool_]:
        """True for parts with at least one source in the problem (P,)."""
        out = np.zeros(self.n_parts, dtype=bool)
        out[self.source_part] = True
        return out

    @property
    def unsourced_parts(self) -> list[str]:
        """Parts a design needs that no usable source makes (counted foreign at reference price)."""
        needed = self.demand.sum(axis=1) > 0
        return [str(p) for p in self.part_ids[needed & ~self.sourced_parts]]

    @property
    def source_labels(self) -> list[str]:
        """``part@site`` for each source."""
        return [f"{self.part_ids[p]}@{s}" for p, s in zip(self.source_part, self.source_site, strict=True)]


# ----- pure helpers -------------------------------------------------------------------------

def available_fraction(ready: dt.date | None, quarters: list[str]) -> NDArray[np.float64]:
    """Share of each quarter on or after ``ready`` [fraction] (None: always available).

    A source ready on day k of a 91-day quarter ships (91 − k + 1)/91 of its quarterly capacity.
    """
    out = np.ones(len(quarters))
    if ready is None:
        return out
    for i, q in enumerate(quarters):
        start, end = quarter_start(q), quarter_end(q)
        days = (end - start).days + 1
        left = (end - max(ready, start)).days + 1
        out[i] = min(max(left / days, 0.0), 1.0)
    return out


def ready_date(source: Source, decision_date: dt.date) -> dt.date | None:
    """First day a source can ship [date], or None when it ships from the start.

    Qualified: its ``qualified_date`` (None when not given). Planned or qualifying: the later of
    ``qualified_date`` and ``decision_date + open_lead_time_weeks``.
    """
    if source.qualification is Qualification.QUALIFIED:
        return source.qualified_date
    opened = decision_date + dt.timedelta(weeks=float(source.open_lead_time_weeks))
    if source.qualified_date is None:
        return opened
    return max(source.qualified_date, opened)


def freight_and_duty_usd(source: Source, origin: str, destination: str,
                         lanes: Mapping[tuple[str, str], tuple[float, float]]) -> tuple[float, float, str | None]:
    """Freight and duty per unit [USD/unit] for a source, and a note when a default was assumed.

    The source's own ``freight_usd``/``duty_rate`` win; else the lane ``origin -> destination``
    gives ``freight_rate × price`` and ``duty_rate × price``. With no lane, a domestic move costs
    nothing and a foreign one is taken at zero freight and duty with a note saying so.
    """
    lane = lanes.get((origin, destination))
    note = None
    if lane is None:
        lane = (0.0, 0.0)
        if origin != destination and (source.freight_usd is None or source.duty_rate is None):
            note = (f"no trade lane {origin}->{destination} for {source.part}@{source.site}: "
                    "freight and duty taken as 0")
    freight = source.freight_usd if source.freight_usd is not None else lane[0] * source.price_usd
    duty_rate = source.duty_rate if source.duty_rate is not None else lane[1]
    return float(freight), float(duty_rate * source.price_usd), note


def build_input(programme: Programme, *, decision_date: dt.date | None = None,
                domestic_countries: tuple[str, ...] = ("US",),
                content_includes_transport: bool = True, content_includes_duty: bool = True,
                holding_rate_per_quarter: float = HOLDING_RATE_PER_QUARTER) -> OptimizeInput:
    """Read the arrays of the sourcing problem from a programme.

    ``decision_date`` (default: the first day of the build plan) is when sources are opened.
    ``domestic_countries`` are the origins whose components count as domestic.
    """
    plan = programme.build_plan
    quarters = plan.quarter_list
    decision = decision_date or quarter_start(quarters[0])
    designs = plan.designs
    per_design = [programme.catalog.explode(d) for d in designs]
    part_ids = sorted({p for bom in per_design for p in bom})
    part_index = {p: i for i, p in enumerate(part_ids)}
    parts = [programme.catalog.parts[p] for p in part_ids]

    parts_per_rack = np.zeros((len(designs), len(part_ids)))
    for d, bom in enumerate(per_design):
        for p, qty in bom.items():
            parts_per_rack[d, part_index[p]] = qty
    racks = np.array([[plan.racks(d)[q] for q in quarters] for d in designs], dtype=float).reshape(
        len(designs), len(quarters))

    destination = programme.integration_site.country
    lanes = {(lane.origin, lane.destination): (lane.freight_rate, lane.duty_rate) for lane in programme.trade}
    usable = [s for s in programme.sources
              if s.part in part_index and s.qualification is not Qualification.DISQUALIFIED]
    notes: list[str] = []
    freight, duty, ready, frac = [], [], [], []
    for s in usable:
        origin = programme.catalog.sites[s.site].country
        f, u, note = freight_and_duty_usd(s, origin, destination, lanes)
        freight.append(f)
        duty.append(u)
        if note:
            notes.append(note)
        r = ready_date(s, decision)
        ready.append(r)
        frac.append(available_fraction(r, quarters))
    price = np.array([s.price_usd for s in usable], dtype=float)
    freight_a, duty_a = np.array(freight, dtype=float), np.array(duty, dtype=float)
    content = price + (freight_a if content_includes_transport else 0.0) + (duty_a if content_includes_duty else 0.0)
    countries = [programme.catalog.sites[s.site].country for s in usable]
    return OptimizeInput(
        part_ids=np.array(part_ids, dtype=str),
        part_names=np.array([p.name for p in parts], dtype=str),
        part_category=np.array([p.category.value for p in parts], dtype=str),
        part_critical=np.array([p.critical for p in parts], dtype=bool),
        part_reference_price_usd=np.array([np.nan if p.reference_price_usd is None else p.reference_price_usd
                                           for p in parts], dtype=float),
        quarters=np.array(quarters, dtype=str),
        quarter_year=np.array([quarter_start(q).year for q in quarters], dtype=np.int64),
        years=np.array(sorted({quarter_start(q).year for q in quarters}), dtype=np.int64),
        design_ids=np.array(designs, dtype=str),
        parts_per_rack=parts_per_rack,
        racks=racks,
        source_part=np.array([part_index[s.part] for s in usable], dtype=np.int64),
        source_site=np.array([s.site for s in usable], dtype=str),
        source_country=np.array(countries, dtype=str),
        source_domestic=np.array([c in domestic_countries for c in countries], dtype=bool),
        source_qualification=np.array([s.qualification.value for s in usable], dtype=str),
        price_usd=price,
        freight_usd=freight_a,
        duty_usd=duty_a,
        content_cost_usd=content,
        capacity_per_quarter=np.array([s.capacity_per_quarter for s in usable], dtype=float),
        moq_units=np.array([s.moq for s in usable], dtype=float),
        needs_open=np.array([s.qualification in (Qualification.PLANNED, Qualification.QUALIFYING)
                             for s in usable], dtype=bool),
        open_cost_usd=np.array([s.open_cost_usd for s in usable], dtype=float),
        ready_date=tuple(ready),
        available_fraction=np.array(frac, dtype=float).reshape(len(usable), len(quarters)),
        lead_time_weeks=np.array([s.lead_time_weeks for s in usable], dtype=float),
        holding_rate_per_quarter=holding_rate_per_quarter,
        integration_country=destination,
        decision_date=decision,
        notes=tuple(dict.fromkeys(notes)),
    )
