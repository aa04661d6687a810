"""Re-check any sourcing plan against the problem, independently of the model builder.

Written apart from :mod:`rackforge.optimize.model` on purpose: plain loops over sources, parts
and quarters, its own demand from designs × racks, its own stock from receipts and use, its own
share of each quarter a source can ship. The *rules* are the shared ones, not re-invented here:
from when a source may ship is core's :func:`~rackforge.core.supply.source_start_date` with the
optimiser's opening rule (:func:`~rackforge.optimize.data.opening_ready_date`) on top, and domestic
content is the sourcing module's, through its calculator's coefficients
(:meth:`~rackforge.optimize.data.OptimizeInput.content_coefficients`) summed here in loops. A plan
the optimiser returns must pass :func:`check_plan`; a test that breaks a plan must make it fail.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rackforge.calendar import quarter_end, quarter_start
from rackforge.core.supply import source_start_date
from rackforge.optimize.data import OptimizeInput, SourcingTargets, opening_ready_date
from rackforge.schema import Qualification

if TYPE_CHECKING:
    from rackforge.optimize.solve import Plan

TOLERANCE = 1e-6
"""Slack allowed for solver round-off [relative to the quantity checked, at least 1e-6 absolute]."""


@dataclass(frozen=True)
class PlanViolation:
    """One rule a given plan breaks: what, where, by how much (a target the least-violating plan misses
    is :class:`~rackforge.optimize.explain.TargetShortfall`)."""

    rule: str
    where: str
    amount: float
    message: str


def _tol(scale: float) -> float:
    return TOLERANCE * max(1.0, abs(scale))


def source_ready(data: OptimizeInput, s: int) -> dt.date | None:
    """First day source ``s`` may ship [date] (None: from the start): core's start date from its
    qualification, qualified date and site's first production, then the optimiser's opening rule."""
    state = Qualification(str(data.source_qualification[s]))
    start = source_start_date(state, data.qualified_date[s], data.operational_from[s])
    assert data.decision_date is not None  # set on construction
    return opening_ready_date(start, needs_open=bool(data.needs_open[s]), decision_date=data.decision_date,
                              open_lead_time_weeks=float(data.open_lead_time_weeks[s]))


def _shippable_share(ready: dt.date | None, quarter: str) -> float:
    """Share of a quarter's days on or after ``ready`` [fraction]."""
    if ready is None:
        return 1.0
    first, last = quarter_start(quarter), quarter_end(quarter)
    if ready <= first:
        return 1.0
    if ready > last:
        return 0.0
    return ((last - ready).days + 1) / ((last - first).days + 1)


def part_demand(data: OptimizeInput) -> dict[tuple[int, int], float]:
    """Units of part p needed in quarter t, from designs × racks [units]."""
    need: dict[tuple[int, int], float] = defaultdict(float)
    for d in range(len(data.design_ids)):
        for t in range(len(data.quarters)):
            racks = float(data.racks[d, t])
            if racks == 0:
                continue
            for p in range(len(data.part_ids)):
                qty = float(data.parts_per_rack[d, p])
                if qty:
                    need[p, t] += qty * racks
    return dict(need)


def yearly_use(data: OptimizeInput, plan: Plan) -> dict[tuple[int, int], float]:
    """Units of each source used in each calendar year {(source, year): units}."""
    out: dict[tuple[int, int], float] = defaultdict(float)
    for s in range(len(data.source_part)):
        for t, quarter in enumerate(data.quarters):
            out[s, quarter_start(str(quarter)).year] += float(plan.use[s, t])
    return dict(out)


def domestic_content(data: OptimizeInput, plan: Plan, categories: tuple[str, ...] | None = None
                     ) -> dict[tuple[str, int], tuple[float, float]]:
    """Domestic and total value per rack of each design and year with racks [USD/rack], under the
    sourcing module's content test: {(design, year): (V, T)}; content = V / T. Designs with no part
    in the test's scope (``categories``) are not tested and left out.

    A part's supply mix in a year is the share of its units used that year that came from each
    source. Per unit, each source's domestic and total value and each unknown-origin part's value are
    the calculator's coefficients (:meth:`OptimizeInput.content_coefficients`, only ``categories`` when
    given); the sums over parts and sources are this module's own loops. A part no source makes, or
    none supplied in the year, is of unknown origin.
    """
    coef = data.content_coefficients(categories)
    unit_domestic, unit_total = coef.domestic_usd.tolist(), coef.total_usd.tolist()
    unknown_domestic, unknown_total = coef.unknown_domestic_usd.tolist(), coef.unknown_total_usd.tolist()
    use_y = yearly_use(data, plan)
    years = sorted({quarter_start(str(q)).year for q in data.quarters})
    sources_of: dict[int, list[int]] = defaultdict(list)
    for s in range(len(data.source_part)):
        sources_of[int(data.source_part[s])].append(s)
    out: dict[tuple[str, int], tuple[float, float]] = {}
    for d, design in enumerate(data.design_ids):
        if not any(float(q) for q in coef.quantity[d]):
            continue  # no part of the design is in the test's scope: the design is not tested
        for year in years:
            racks = sum(float(data.racks[d, t]) for t, q in enumerate(data.quarters)
                        if quarter_start(str(q)).year == year)
            if racks <= 0:
                continue
            domestic = total = 0.0
            for p in range(len(data.part_ids)):
                qty = float(coef.quantity[d, p])
                if not qty:
                    continue
                sources = sources_of.get(p, [])
                used = sum(use_y.get((s, year), 0.0) for s in sources)
                if not sources or used <= 0:
                    domestic += qty * unknown_domestic[p]
                    total += qty * unknown_total[p]
                    continue
                for s in sources:
                    mix = use_y.get((s, year), 0.0) / used
                    domestic += qty * mix * unit_domestic[s]
                    total += qty * mix * unit_total[s]
            out[str(design), year] = (domestic, total)
    return out


def domestic_shares(data: OptimizeInput, plan: Plan, categories: tuple[str, ...] | None = None
                    ) -> dict[tuple[str, int], float]:
    """Domestic (or regional value) content per design and year [fraction] = V / T of
    :func:`domestic_content`, for designs and years with racks; a zero total (every part of unknown
    origin, excluded by the rule) gives 0, as the sourcing module's ``content_share`` defines it."""
    return {key: dom / tot if tot > 0 else 0.0 for key, (dom, tot) in domestic_content(data, plan, categories).items()}


def plan_cost_usd(data: OptimizeInput, plan: Plan) -> dict[str, float]:
    """Cost of a plan by kind [USD]: price, freight and duty paid on receipts; holding on each part's
    end-of-quarter stock at the holding rate × the mean landed cost of the part's sources; opening
    cost of the planned/qualifying sources opened; and the total."""
    cost = {"price": 0.0, "freight": 0.0, "duty": 0.0, "holding": 0.0, "opening": 0.0}
    value: dict[int, list[float]] = defaultdict(list)
    for s in range(len(data.source_part)):
        value[int(data.source_part[s])].append(float(data.price_usd[s] + data.freight_usd[s] + data.duty_usd[s]))
    for p, landed in value.items():
        unit_value = sum(landed) / len(landed)
        stock = 0.0
        for t in range(len(data.quarters)):
            for s in range(len(data.source_part)):
                if data.source_part[s] == p:
                    stock += float(plan.buy[s, t]) - float(plan.use[s, t])
            cost["holding"] += max(stock, 0.0) * data.holding_rate_per_quarter * unit_value
    for s in range(len(data.source_part)):
        for t in range(len(data.quarters)):
            units = float(plan.buy[s, t])
            cost["price"] += units * float(data.price_usd[s])
            cost["freight"] += units * float(data.freight_usd[s])
            cost["duty"] += units * float(data.duty_usd[s])
        if data.needs_open[s] and plan.opened[s]:
            cost["opening"] += float(data.open_cost_usd[s])
    cost["total"] = sum(cost.values())
    return cost


def check_plan(data: OptimizeInput, plan: Plan, targets: SourcingTargets) -> list[PlanViolation]:
    """Every rule the plan breaks (empty when feasible): capacity, opening, minimum orders, stock,
    demand, domestic content, country caps, critical parts' sources."""
    out: list[PlanViolation] = []
    n_s, quarters = len(data.source_part), [str(q) for q in data.quarters]
    for s in range(n_s):
        label = f"{data.part_ids[data.source_part[s]]}@{data.source_site[s]}"
        ready = source_ready(data, s)
        stock = 0.0
        for t, quarter in enumerate(quarters):
            buy, use = float(plan.buy[s, t]), float(plan.use[s, t])
            where = f"{label} {quarter}"
            if buy < -_tol(0) or use < -_tol(0):
                out.append(PlanViolation("non-negative", where, min(buy, use), "negative quantity"))
            limit = float(data.capacity_per_quarter[s]) * _shippable_share(ready, quarter)
            if buy > limit + _tol(limit):
                out.append(PlanViolation("capacity", where, buy - limit,
                                         f"receives {buy:,.2f} units, can ship {limit:,.2f}"))
            if buy > _tol(0) and data.needs_open[s] and not plan.opened[s]:
                out.append(PlanViolation("opening", where, buy, "ships from a source the plan did not open"))
            moq = float(data.moq_units[s])
            if _tol(0) < buy < moq - _tol(moq):
                out.append(PlanViolation("minimum-order", where, moq - buy,
                                             f"orders {buy:,.2f} below the MOQ {moq:,.0f}"))
            stock += buy - use
            if stock < -_tol(use):
                out.append(PlanViolation("stock", where, -stock, f"uses {-stock:,.2f} units more than received so far"))
    need = part_demand(data)
    supplied: dict[tuple[int, int], float] = defaultdict(float)
    for s in range(n_s):
        for t in range(len(quarters)):
            supplied[int(data.source_part[s]), t] += float(plan.use[s, t])
    has_source = {int(p) for p in data.source_part}
    for (p, t), units in need.items():
        if p not in has_source:
            continue
        got = supplied.get((p, t), 0.0)
        if abs(got - units) > _tol(units):
            out.append(PlanViolation("demand", f"{data.part_ids[p]} {quarters[t]}", units - got,
                                     f"needs {units:,.2f} units, plan uses {got:,.2f}"))
    out.extend(_check_targets(data, plan, targets))
    return out


def _check_targets(data: OptimizeInput, plan: Plan, targets: SourcingTargets) -> list[PlanViolation]:
    out: list[PlanViolation] = []
    for (design, year), (domestic, total) in domestic_content(data, plan, targets.domestic_categories).items():
        target = targets.domestic_target(year)
        share = domestic / total if total > 0 else 0.0
        # nothing in the test's scope has a known cost (V = T = 0): "V ≥ τ T" holds, as in the model
        if target is not None and total > 0 and share < target - TOLERANCE:
            out.append(PlanViolation("domestic-content", f"{design} {year}", target - share,
                                     f"domestic content {share:.4%} below target {target:.4%}"))
    use_y = yearly_use(data, plan)
    need_y: dict[tuple[int, int], float] = defaultdict(float)
    for (p, t), units in part_demand(data).items():
        need_y[p, quarter_start(str(data.quarters[t])).year] += units
    cap = targets.country_cap
    if cap is not None and cap < 1.0:
        if targets.cap_scope == "part":
            by_country: dict[tuple[int, str, int], float] = defaultdict(float)
            for (s, year), units in use_y.items():
                by_country[int(data.source_part[s]), str(data.source_country[s]), year] += units
            for (p, country, year), units in by_country.items():
                total = need_y.get((p, year), 0.0)
                if total > 0 and units > cap * total + _tol(total):
                    out.append(PlanViolation("country-cap", f"{data.part_ids[p]} {country} {year}", units / total - cap,
                                             f"{country} share {units / total:.4%} above cap {cap:.0%}"))
        else:
            spend: dict[tuple[str, str, int], float] = defaultdict(float)
            cat_total: dict[tuple[str, int], float] = defaultdict(float)
            for (s, year), units in use_y.items():
                category = str(data.part_category[data.source_part[s]])
                value = units * float(data.price_usd[s] + data.freight_usd[s] + data.duty_usd[s])
                spend[category, str(data.source_country[s]), year] += value
                cat_total[category, year] += value
            for (category, country, year), value in spend.items():
                total = cat_total[category, year]
                if total > 0 and value > cap * total + _tol(total):
                    out.append(PlanViolation("country-cap", f"{category} {country} {year}", value / total - cap,
                                             f"{country} share of {category} {value / total:.4%} above cap {cap:.0%}"))
    max_share = targets.critical_max_source_share
    if max_share is not None and max_share < 1.0:
        for p in range(len(data.part_ids)):
            if not data.part_critical[p]:
                continue
            for (pp, year), total in need_y.items():
                if pp != p or total <= 0:
                    continue
                used = {s: use_y.get((s, year), 0.0) for s in range(len(data.source_part)) if data.source_part[s] == p}
                if sum(1 for u in used.values() if u > _tol(total)) < 2:
                    out.append(PlanViolation("critical-two-sources", f"{data.part_ids[p]} {year}", 1.0,
                                             "critical part supplied by fewer than two sources"))
                for s, units in used.items():
                    if units > max_share * total + _tol(total):
                        out.append(PlanViolation("critical-share", f"{data.part_ids[p]}@{data.source_site[s]} {year}",
                                                 units / total - max_share,
                                                 f"one source supplies {units / total:.4%} (limit {max_share:.0%})"))
    return out
