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

From when a source may ship is the supply view's rule, read from core
(:func:`rackforge.core.supply.source_start_date`): the later of its ``qualified_date`` and its site's
``operational_from``, never when disqualified. The optimiser adds one rule of its own on top
(:func:`opening_ready_date`): a source that is ``planned`` or ``qualifying`` ships only if the plan
decides to open it (a yes/no decision costing ``open_cost_usd``) and no earlier than the decision date
plus ``open_lead_time_weeks``. A quarter in which a source becomes ready gets capacity in proportion
to the days left in it (:func:`available_fraction`).

Domestic content is the sourcing module's: the problem carries that module's calculator
(:class:`~rackforge.sourcing.domestic.DomesticContentCalculator`, with the rule) and every content
figure of the optimiser, its rows, its reported shares and the feasibility re-check, comes from the
calculator's coefficients (:meth:`OptimizeInput.content_coefficients`) or its evaluation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from rackforge.calendar import quarter_end, quarter_start
from rackforge.core.supply import source_start_date
from rackforge.schema import Programme, Qualification

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from rackforge.core.supply import SupplyView
    from rackforge.schema.rules import DomesticContentRule
    from rackforge.sourcing.domestic import ContentCoefficients, DomesticContentCalculator

HOLDING_RATE_PER_QUARTER = 0.25 / 4
"""Inventory carrying cost per quarter as a share of landed cost [fraction/quarter].
estimate: the common 20–30 %/year rule of thumb for inventory carrying cost (capital, storage,
insurance, obsolescence), taken at 25 %/year."""

CRITICAL_MAX_SOURCE_SHARE = 0.9
"""For a part marked critical, no single source may supply more than this share of the part's
yearly demand [fraction]: the linear form of "at least two qualified sources", with the second
source carrying at least 10 %. A policy default, not a figure from a source."""


EXCEEDS_MARGIN = 1e-6
"""Added to a threshold the share must *exceed* (FAR 25.101 "exceeds") [fraction]: a strict
inequality has no optimum in an LP, and 1e-6 is far above the rule's comparison tolerance (1e-9)
and far below any real difference."""


@dataclass(frozen=True)
class SourcingTargets:
    """What the plan must achieve besides meeting the build plan.

    ``domestic_content``: the least domestic share of component cost per design and year
    [fraction]; one number for every year, or ``{year: fraction}``; None for no target.
    ``domestic_margin``: added to the target when the rule says *exceeds* [fraction].
    ``domestic_categories``: hold only these part categories (e.g. cooling, power, cabling,
    networking: the systems moving home first) to the target; None for the whole rack (the rule's test).
    ``country_cap``: the largest share any one country may have [fraction], per part (by units)
    or per category (by landed cost) as ``cap_scope`` says; None for no cap.
    ``critical_max_source_share``: see :data:`CRITICAL_MAX_SOURCE_SHARE`; None switches the
    two-source rule off.
    """

    domestic_content: float | Mapping[int, float] | None = None
    domestic_margin: float = 0.0
    domestic_categories: tuple[str, ...] | None = None
    country_cap: float | None = None
    cap_scope: Literal["part", "category"] = "part"
    critical_max_source_share: float | None = CRITICAL_MAX_SOURCE_SHARE

    @classmethod
    def from_rule(cls, rule: DomesticContentRule, years: Sequence[int], **kw: Any) -> SourcingTargets:
        """The rule's threshold in each year as the domestic-content target; a rule that must be
        *exceeded* (FAR 25.101) gets a margin of :data:`EXCEEDS_MARGIN`."""
        thresholds = {int(y): t for y in years if (t := rule.threshold_for(int(y))) is not None}
        margin = EXCEEDS_MARGIN if rule.comparison == "exceeds" else 0.0
        return cls(domestic_content=thresholds or None, domestic_margin=margin, **kw)

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
            "domestic_categories": list(self.domestic_categories) if self.domestic_categories else None,
            "country_cap": self.country_cap,
            "cap_scope": self.cap_scope,
            "critical_max_source_share": self.critical_max_source_share,
        }


@dataclass(frozen=True, eq=False)
class OptimizeInput:
    """The sourcing problem as arrays. Money in USD, quantities in units, time in quarters.

    ``ready_date``, ``available_fraction`` and ``needs_open`` are derived on construction from the
    sources' qualification, dates and opening lead times by the rule of :func:`ready_date`; the
    content figures (``content_cost_usd``, ``source_domestic``, :meth:`content_coefficients`) from
    ``sourcing``, the sourcing module's calculator.
    """

    # part dimension (P)
    part_ids: NDArray[np.str_]
    part_names: NDArray[np.str_]
    part_category: NDArray[np.str_]
    part_critical: NDArray[np.bool_]
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
    source_qualification: NDArray[np.str_]
    price_usd: NDArray[np.float64]
    freight_usd: NDArray[np.float64]
    duty_usd: NDArray[np.float64]
    capacity_per_quarter: NDArray[np.float64]  # [units/quarter]
    moq_units: NDArray[np.float64]  # [units/order], one order per source and quarter
    open_cost_usd: NDArray[np.float64]
    qualified_date: tuple[dt.date | None, ...]  # the source's qualified (or expected) date
    operational_from: tuple[dt.date | None, ...]  # its site's first production, when given
    open_lead_time_weeks: NDArray[np.float64]  # [weeks] from the decision to open to first shipment
    lead_time_weeks: NDArray[np.float64]
    sourcing: SourcingContext
    """The sourcing module's domestic-content calculator for this problem and how its rows map onto it:
    every domestic-content figure of the optimiser comes from it."""
    holding_rate_per_quarter: float = HOLDING_RATE_PER_QUARTER
    integration_country: str = "US"
    decision_date: dt.date | None = None
    """When sources are opened [date]; None: the first day of the build plan."""
    notes: tuple[str, ...] = field(default=())
    needs_open: NDArray[np.bool_] = field(init=False)
    """Sources that ship only if the plan opens them (:func:`needs_opening`)."""
    ready_date: tuple[dt.date | None, ...] = field(init=False)
    """First day each source may ship (:func:`ready_date`); None: from the start, ``NEVER``: never."""
    available_fraction: NDArray[np.float64] = field(init=False)
    """(S, T) share of each quarter the source can ship (:func:`availability`)."""

    def __post_init__(self) -> None:
        quarters = [str(q) for q in self.quarters]
        decision = self.decision_date or quarter_start(quarters[0])
        object.__setattr__(self, "decision_date", decision)
        object.__setattr__(self, "needs_open",
                           np.array([needs_opening(q) for q in self.source_qualification], dtype=bool))
        ready = tuple(ready_date(q, qd, op, decision_date=decision, open_lead_time_weeks=float(lead))
                      for q, qd, op, lead in zip(self.source_qualification, self.qualified_date,
                                                 self.operational_from, self.open_lead_time_weeks, strict=True))
        object.__setattr__(self, "ready_date", ready)
        object.__setattr__(self, "available_fraction", availability(ready, quarters))

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
    def content_cost_usd(self) -> NDArray[np.float64]:
        """Cost of one unit as a component under the content rule, per source [USD/unit] (the
        calculator's: price, plus transport and duty when the rule includes them)."""
        return self.sourcing.calculator.cost_usd[self.sourcing.network_row]

    @property
    def source_domestic(self) -> NDArray[np.bool_]:
        """True for sources whose origin is domestic under the content rule (the calculator's)."""
        return self.sourcing.calculator.is_domestic[self.sourcing.network_row]

    def content_coefficients(self, categories: Sequence[str] | None = None) -> ContentCoefficients:
        """The content test over this problem's designs, parts and sources, from the sourcing module's
        calculator (:meth:`~rackforge.sourcing.domestic.DomesticContentCalculator.content_coefficients`):
        designs (D), parts (P) and sources (S) in this problem's order; a part with a source here is
        covered by the plan's supply mix, one with none is of unknown origin. ``categories``: only
        those parts enter the test (None: the whole rack)."""
        return self.sourcing.content_coefficients(self.source_part, categories)

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

NEVER = dt.date.max
"""``ready_date`` of a source that never ships."""


def needs_opening(qualification: Qualification | str) -> bool:
    """Optimiser rule: a ``planned`` or ``qualifying`` source ships only if the plan opens it."""
    return Qualification(qualification) in (Qualification.PLANNED, Qualification.QUALIFYING)


def opening_ready_date(start: dt.date | None, *, needs_open: bool, decision_date: dt.date,
                       open_lead_time_weeks: float) -> dt.date | None:
    """First day the optimiser lets a source ship [date], from the supply view's start date.

    ``start`` is :func:`rackforge.core.supply.source_start_date` (None: never, ``dt.date.min``: no
    restriction). The optimiser's own rule on top: a source that must be opened ships no earlier
    than ``decision_date + open_lead_time_weeks``. Returns None when the source ships from the start,
    :data:`NEVER` when it never ships.
    """
    if start is None:
        return NEVER
    if needs_open:
        start = max(start, decision_date + dt.timedelta(weeks=float(open_lead_time_weeks)))
    return None if start == dt.date.min else start


def ready_date(qualification: Qualification | str, qualified_date: dt.date | None, operational_from: dt.date | None,
               *, decision_date: dt.date, open_lead_time_weeks: float = 0.0) -> dt.date | None:
    """First day a source may ship in the optimiser [date]: core's start date
    (:func:`~rackforge.core.supply.source_start_date`: the later of ``qualified_date`` and the site's
    ``operational_from``) with the opening rule of :func:`opening_ready_date` on top. None: from the
    start; :data:`NEVER`: never."""
    state = Qualification(qualification)
    return opening_ready_date(source_start_date(state, qualified_date, operational_from),
                              needs_open=needs_opening(state), decision_date=decision_date,
                              open_lead_time_weeks=open_lead_time_weeks)


_FIRST_DAY = dt.date.min.toordinal()


def availability(ready: Sequence[dt.date | None], quarters: Sequence[str]) -> NDArray[np.float64]:
    """Share of each quarter on or after each ready date (len(ready), len(quarters)) [fraction].

    A source ready on day k of a 91-day quarter ships (91 − k + 1)/91 of its quarterly capacity;
    None: always available.
    """
    first = np.array([quarter_start(q).toordinal() for q in quarters], dtype=np.int64)
    last = np.array([quarter_end(q).toordinal() for q in quarters], dtype=np.int64)
    day = np.array([_FIRST_DAY if r is None else r.toordinal() for r in ready], dtype=np.int64)
    left = last[None, :] - np.maximum(day[:, None], first[None, :]) + 1
    out: NDArray[np.float64] = np.clip(left / (last - first + 1)[None, :], 0.0, 1.0)
    return out.reshape(len(ready), len(quarters))


def available_fraction(ready: dt.date | None, quarters: list[str]) -> NDArray[np.float64]:
    """Share of each quarter on or after ``ready`` [fraction] (None: always available); see
    :func:`availability`."""
    return availability([ready], quarters)[0]


@dataclass(frozen=True, eq=False)
class SourcingContext:
    """The sourcing module's domestic-content calculator and how this problem's rows map onto it."""

    calculator: DomesticContentCalculator
    network_row: NDArray[np.int64]  # row of each optimiser source in the calculator's network
    part_column: NDArray[np.int64]  # column of each optimiser part in the calculator's structure
    design_row: NDArray[np.int64]  # row of each optimiser design in the calculator's structure
    quarters: tuple[str, ...]
    racks: NDArray[np.int64]  # (T, designs of the calculator's structure)
    end_product_country: str
    designs: tuple[str, ...]

    def content_coefficients(self, source_part: NDArray[np.int64], categories: Sequence[str] | None = None
                             ) -> ContentCoefficients:
        """The calculator's coefficients taken over the optimiser's designs, parts and sources
        (``source_part``: the optimiser's part of each of its sources); parts with a source are
        covered."""
        covered = np.zeros(len(self.calculator.structure.part_ids), dtype=bool)
        covered[self.part_column[source_part]] = True
        return self.calculator.content_coefficients(covered, categories).take(
            self.design_row, self.part_column, self.network_row)

    def with_network(self, network: SupplyView) -> SourcingContext:
        """The same problem with the calculator rebuilt on another supply view of the same rows
        (e.g. prices changed)."""
        from rackforge.sourcing.domestic import DomesticContentCalculator

        calculator = DomesticContentCalculator.build(self.calculator.structure, network, self.calculator.rule)
        return replace(self, calculator=calculator)


def build_input(programme: Programme, *, decision_date: dt.date | None = None,
                rule: DomesticContentRule | None = None,
                holding_rate_per_quarter: float = HOLDING_RATE_PER_QUARTER) -> OptimizeInput:
    """Read the arrays of the sourcing problem from a programme.

    Bills of materials, landed costs, origins and start dates come from core
    (:class:`~rackforge.core.bom.BomStructure`, :class:`~rackforge.core.supply.SupplyView`,
    :func:`~rackforge.core.supply.source_start_date`) and domestic content from the sourcing module's
    calculator, so every analysis sees the same numbers. ``rule`` (default: the programme's, else FAR
    25.101) says which origins are domestic and what a component's cost includes. ``decision_date``
    (default: the first day of the build plan) is when sources are opened.
    """
    from rackforge.core.bom import BomStructure, racks_by_quarter
    from rackforge.core.supply import SupplyView
    from rackforge.schema.rules import programme_rule
    from rackforge.sourcing.domestic import DomesticContentCalculator

    rule = rule or programme_rule(programme.rules)
    plan = programme.build_plan
    quarters = plan.quarter_list
    decision = decision_date or quarter_start(quarters[0])
    designs = plan.designs
    structure = BomStructure.from_catalog(programme.catalog, designs)
    network = SupplyView.from_programme(programme, structure.part_ids)
    calculator = DomesticContentCalculator.build(structure, network, rule)
    used = structure.quantity_per_rack.sum(axis=0) > 0
    part_cols = np.flatnonzero(used)  # structure order
    new_index = -np.ones(len(structure.part_ids), dtype=np.int64)
    new_index[part_cols] = np.arange(len(part_cols))
    part_ids = [structure.part_ids[i] for i in part_cols]
    parts = [programme.catalog.parts[p] for p in part_ids]
    design_rows = np.array([structure.design_index[d] for d in designs], dtype=np.int64)
    parts_per_rack = structure.quantity_per_rack[design_rows][:, part_cols].astype(float)
    racks_tq = racks_by_quarter(structure, plan)  # (T, D)
    racks = racks_tq[:, design_rows].T.astype(float)

    part_set = set(structure.part_ids)
    listed = [s for s in programme.sources if s.part in part_set]  # the network's rows, in order
    rows = [i for i, s in enumerate(listed)
            if used[network.source_part[i]] and s.qualification is not Qualification.DISQUALIFIED]
    sources = [listed[i] for i in rows]
    row_a = np.array(rows, dtype=np.int64)
    sites = programme.catalog.sites
    notes = [f"no trade lane {o}->{d}: freight and duty taken as 0 for sources from {o}"
             for o, d in network.missing_lanes]
    context = SourcingContext(calculator, row_a, part_cols, design_rows, tuple(quarters), racks_tq,
                              programme.integration_site.country, tuple(designs))
    return OptimizeInput(
        part_ids=np.array(part_ids, dtype=str),
        part_names=np.array([p.name for p in parts], dtype=str),
        part_category=np.array([p.category.value for p in parts], dtype=str),
        part_critical=np.array([p.critical for p in parts], dtype=bool),
        quarters=np.array(quarters, dtype=str),
        quarter_year=np.array([quarter_start(q).year for q in quarters], dtype=np.int64),
        years=np.array(sorted({quarter_start(q).year for q in quarters}), dtype=np.int64),
        design_ids=np.array(designs, dtype=str),
        parts_per_rack=parts_per_rack,
        racks=racks,
        source_part=new_index[network.source_part[row_a]] if len(rows) else np.zeros(0, dtype=np.int64),
        source_site=network.site[row_a],
        source_country=network.country[row_a],
        source_qualification=np.array([s.qualification.value for s in sources], dtype=str),
        price_usd=network.price_usd[row_a],
        freight_usd=network.freight_usd[row_a],
        duty_usd=network.duty_usd[row_a],
        capacity_per_quarter=network.capacity_per_quarter[row_a],
        moq_units=np.array([s.moq for s in sources], dtype=float),
        open_cost_usd=np.array([s.open_cost_usd for s in sources], dtype=float),
        qualified_date=tuple(s.qualified_date for s in sources),
        operational_from=tuple(sites[s.site].operational_from for s in sources),
        open_lead_time_weeks=np.array([s.open_lead_time_weeks for s in sources], dtype=float),
        lead_time_weeks=network.lead_time_weeks[row_a],
        sourcing=context,
        holding_rate_per_quarter=holding_rate_per_quarter,
        integration_country=programme.integration_site.country,
        decision_date=decision,
        notes=tuple(notes),
    )
