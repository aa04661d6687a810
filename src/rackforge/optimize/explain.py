"""Say in domain words what binds, what relaxing it is worth, and why no plan meets the targets.

Binding constraints come from the duals of the LP solved with the yes/no decisions fixed
(:func:`rackforge.optimize.solve.fixed_decisions`). HiGHS reports each dual as the change of the
objective per unit increase of the constraint's active bound [USD per unit]; a relaxation of
``Δ`` is then worth about ``−dual × Δ`` — a first-order estimate, exact while the basis stays the
same.

Infeasibility is explained by a relaxation with penalised slacks: the build plan and every target
get a non-negative slack, each costed per unit of *normalised* violation (a share of a quarter's
demand, of a rack's component cost, of a part's yearly units), and HiGHS finds the least-violating
plan. Its non-zero slacks name the violated targets and by how much. Then each target family is
tried alone and in pairs to say which targets conflict with which.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from rackforge.optimize.data import OptimizeInput, SourcingTargets
from rackforge.optimize.highs import RawSolution, SolveOptions, solve
from rackforge.optimize.model import DEMAND_BLOCKS, TARGET_BLOCKS, LinearModel, build_model, domestic_row_factor

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from rackforge.optimize.relaxations import Relaxation

VIOLATION_TOL = 1e-6
"""Normalised violations below this are solver noise [fraction]."""


def nice_step(capacity: float) -> float:
    """About a tenth of ``capacity`` rounded down to 1, 2 or 5 × 10^k [units] (at least 1)."""
    target = max(capacity / 10.0, 1.0)
    exponent = 10 ** int(np.floor(np.log10(target)))
    for mult in (5, 2, 1):
        if mult * exponent <= target:
            return float(mult * exponent)
    return float(exponent)


def _money(usd: float) -> str:
    return f"${usd:,.0f}"


def _units(n: float) -> str:
    return f"{n:,.0f}" if abs(n - round(n)) < 1e-6 or abs(n) >= 100 else f"{n:,.2f}"


def _quarter_span(quarters: list[str]) -> str:
    if len(quarters) <= 2:
        return ", ".join(quarters)
    return f"{quarters[0]}…{quarters[-1]}"


def _plan_arrays(model: LinearModel, data: OptimizeInput, x: NDArray[np.float64]
                 ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    from rackforge.optimize.solve import plan_from_solution

    plan = plan_from_solution(model, data, x)
    return plan.buy, plan.use


def content_total_per_rack(data: OptimizeInput, use: NDArray[np.float64],
                           categories: tuple[str, ...] | None = None) -> NDArray[np.float64]:
    """Total value per rack of each design and year in the content test (D, Y) [USD/rack]: the sourcing
    module's coefficients (:meth:`OptimizeInput.content_coefficients`, only ``categories`` when given) at
    each part's supply mix of the year (units used / demand), parts no source makes at their
    unknown-origin value. Component cost under a component-cost rule, (1 + value added) × component
    cost (transaction value) under a regional-value-content rule: the size of 100 points of content."""
    coef = data.content_coefficients(categories)
    use_y = use @ data.quarter_in_year  # (S, Y)
    dem_y = data.demand_per_year
    unit_value = np.zeros_like(dem_y)
    np.add.at(unit_value, data.source_part, use_y * coef.total_usd[:, None])
    unit_value = np.divide(unit_value, dem_y, out=np.zeros_like(unit_value), where=dem_y > 0)
    return np.asarray(coef.quantity @ unit_value + coef.total_constant_usd[:, None], dtype=float)


# ----- binding constraints ---------------------------------------------------------------------

def binding_constraints(model: LinearModel, data: OptimizeInput, targets: SourcingTargets, lp: RawSolution,
                        upper: NDArray[np.float64]) -> list[Any]:
    """Constraints with a non-zero dual in the fixed LP, worded with what relaxing each is worth."""
    from rackforge.optimize.solve import Binding

    assert lp.x is not None and lp.row_dual is not None and lp.col_dual is not None
    x, row_dual, col_dual = lp.x, lp.row_dual, lp.col_dual
    objective = abs(lp.objective)
    floor = max(1e-6, 1e-6 * objective)  # relaxations worth less than a millionth of the cost are noise
    out: list[Binding] = []
    buy = model.variables["buy"]
    buy_ids = buy.ids
    buy_x = x[buy_ids]
    buy_ub = upper[buy_ids]
    # capacity: the column bound of buy, or the opening row of an opened source
    at_capacity = (buy_ub > 0) & (buy_ub >= data.buy_upper_units - 1e-9)  # not the "no more than needed" bound
    cap_dual = np.where(at_capacity & (buy_x >= buy_ub - 1e-6) & (col_dual[buy_ids] < 0), col_dual[buy_ids], 0.0)
    for name in ("opening", "order_placed"):  # the same bound, as a row, for openable sources and orders placed
        block = model.constraints.get(name)
        if block is None:
            continue
        rd = row_dual[block.start:block.start + block.n_rows]
        on_cap = at_capacity[block.index[:, 0], block.index[:, 1]] if name == "order_placed" else True
        np.add.at(cap_dual, (block.index[:, 0], block.index[:, 1]), np.where(on_cap, np.minimum(rd, 0.0), 0.0))
    for s in np.flatnonzero(cap_dual.sum(axis=1) < 0):
        step = nice_step(float(data.capacity_per_quarter[s]))
        worth = -step * float(cap_dual[s].sum())
        if worth < floor:
            continue
        qs = [str(q) for q in data.quarters[cap_dual[s] < 0]]
        part = data.part_ids[data.source_part[s]]
        out.append(Binding("capacity", {"part": str(part), "site": str(data.source_site[s]), "quarters": qs},
                           float(cap_dual[s].sum()), worth,
                           f"{_units(step)} more {data.part_names[data.source_part[s]]} ({part}) per quarter from "
                           f"{data.source_site[s]} ({data.source_country[s]}) would save about {_money(worth)} "
                           f"(capacity binds in {len(qs)} quarter{'s' * (len(qs) != 1)}: {_quarter_span(qs)})"))
    # minimum order quantities held at their lower bound: the dual of the minimum_order row
    moq_dual = np.zeros_like(buy_x)
    block = model.constraints.get("minimum_order")
    if block is not None:
        rd = row_dual[block.start:block.start + block.n_rows]
        np.add.at(moq_dual, (block.index[:, 0], block.index[:, 1]), np.maximum(rd, 0.0))
    for s in np.flatnonzero(moq_dual.sum(axis=1) > 0):
        step = nice_step(float(data.moq_units[s]))
        worth = step * float(moq_dual[s].sum())
        if worth < floor:
            continue
        qs = [str(q) for q in data.quarters[moq_dual[s] > 0]]
        part = data.part_ids[data.source_part[s]]
        out.append(Binding("minimum-order", {"part": str(part), "site": str(data.source_site[s]), "quarters": qs},
                           float(moq_dual[s].sum()), worth,
                           f"the minimum order of {_units(data.moq_units[s])} {part} from {data.source_site[s]} "
                           f"makes the plan buy more than it needs in {_quarter_span(qs)}; a minimum "
                           f"{_units(step)} lower would save about {_money(worth)}"))
    _, use = _plan_arrays(model, data, x)
    out.extend(_target_bindings(model, data, targets, row_dual, use, floor))
    out.sort(key=lambda b: -abs(b.worth_usd))
    return out


def _target_bindings(model: LinearModel, data: OptimizeInput, targets: SourcingTargets, row_dual: NDArray[np.float64],
                     use: NDArray[np.float64], floor: float) -> list[Any]:
    from rackforge.optimize.solve import Binding

    out: list[Binding] = []
    block = model.constraints.get("domestic_content")
    if block is not None:
        comp = content_total_per_rack(data, use, targets.domestic_categories)
        racks = domestic_row_factor(data)
        for i in range(block.n_rows):
            d, y = block.index[i]
            lam = float(row_dual[block.start + i]) * float(racks[d, y])  # per USD/rack of content
            cost_point = lam * 0.01 * comp[d, y]
            if cost_point < floor:
                continue
            year = int(data.years[y])
            tau = targets.domestic_target(year) or 0.0
            out.append(Binding("domestic-content", {"design": str(data.design_ids[d]), "year": year}, lam,
                               -cost_point,
                               f"domestic content of {data.design_ids[d]} racks in {year} sits at its "
                               f"{tau:.1%} target: each point higher would cost about {_money(cost_point)}, "
                               f"each point lower would save about as much"))
    dem_y = data.demand_per_year
    block = model.constraints.get("country_cap_part")
    if block is not None:
        for i in range(block.n_rows):
            lam = float(row_dual[block.start + i])
            p, k, y = block.index[i]
            worth = -lam * 0.01 * dem_y[p, y]
            if worth < floor:
                continue
            country, year = str(block.coords["country"][k]), int(data.years[y])
            out.append(Binding("country-cap", {"part": str(data.part_ids[p]), "country": country, "year": year},
                               lam, worth,
                               f"the {targets.country_cap:.0%} cap on {country}'s share of {data.part_ids[p]} in "
                               f"{year} binds: one point more would save about {_money(worth)}"))
    block = model.constraints.get("country_cap_category")
    if block is not None:
        use_y = use @ data.quarter_in_year
        spend = use_y * data.landed_cost_usd[:, None]
        for i in range(block.n_rows):
            lam = float(row_dual[block.start + i])
            g, k, y = block.index[i]
            category = str(block.coords["category"][g])
            cat_spend = float(spend[data.part_category[data.source_part] == category, y].sum())
            worth = -lam * 0.01 * cat_spend
            if worth < floor:
                continue
            country, year = str(block.coords["country"][k]), int(data.years[y])
            out.append(Binding("country-cap", {"category": category, "country": country, "year": year}, lam, worth,
                               f"the {targets.country_cap:.0%} cap on {country}'s share of {category} spend in "
                               f"{year} binds: one point more would save about {_money(worth)}"))
    block = model.constraints.get("critical_share")
    if block is not None:
        for i in range(block.n_rows):
            lam = float(row_dual[block.start + i])
            s, y = block.index[i]
            p = data.source_part[s]
            worth = -lam * 0.01 * dem_y[p, y]
            if worth < floor:
                continue
            year = int(data.years[y])
            share = targets.critical_max_source_share or 1.0
            out.append(Binding("critical-share", {"part": str(data.part_ids[p]), "site": str(data.source_site[s]),
                                                  "year": year}, lam, worth,
                               f"{data.source_site[s]} may supply at most {share:.0%} of critical part "
                               f"{data.part_ids[p]} in {year}: one point more would save about {_money(worth)}"))
    return out


def marginal_rack_cost(model: LinearModel, data: OptimizeInput, lp: RawSolution) -> dict[tuple[str, str], float]:
    """Cost of one more rack of each design in each quarter it is built [USD/rack]: Σ_part qty × the
    marginal cost of one more unit of the part (the dual of its demand row)."""
    if lp.row_dual is None:
        return {}
    duals = np.zeros((data.n_parts, data.n_quarters))
    for name, sign in (("demand", 1.0), ("balance", -1.0)):  # balance rows hold −demand on the right
        block = model.constraints.get(name)
        if block is not None:
            duals[block.index[:, 0], block.index[:, 1]] = sign * lp.row_dual[block.start:block.start + block.n_rows]
    per_rack = data.parts_per_rack @ duals  # (D, T)
    return {(str(data.design_ids[d]), str(data.quarters[t])): float(per_rack[d, t])
            for d, t in np.argwhere(data.racks > 0)}


# ----- infeasibility -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TargetShortfall:
    """One target missed by the least-violating plan, by ``amount`` in ``unit`` (the explanation's
    violated target; a broken rule of a given plan is :class:`~rackforge.optimize.feasibility.PlanViolation`)."""

    family: str
    where: dict[str, Any]
    amount: float
    unit: str
    message: str


@dataclass
class Explanation:
    """Why no plan meets the targets: the least-violating plan's misses, and which targets conflict."""

    violations: list[TargetShortfall] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    impossible_alone: list[str] = field(default_factory=list)
    integrality: bool = False
    """True when fractional orders would meet the targets: minimum orders or yes/no decisions block them."""
    relaxations: list[Relaxation] = field(default_factory=list)
    """The smallest relaxations that make the plan feasible, each re-solved (filled by the policy,
    :func:`rackforge.optimize.relaxations.smallest_relaxations`; empty when not searched or none helps)."""
    relaxations_searched: bool = False
    """Whether :attr:`relaxations` was searched (empty and searched: no relaxation of the targets helps)."""

    def summary(self) -> str:
        """One paragraph for the terminal."""
        lines = []
        for family in self.impossible_alone:
            lines.append(f"{family} cannot be met even on its own")
        lines.extend(self.conflicts)
        if self.integrality:
            lines.append("only the minimum order quantities or the whole-source opening decisions stand in the way")
        head = "; ".join(lines) if lines else "the targets cannot all be met"
        if self.relaxations:
            head += "; a plan exists if you " + " — or ".join(r.message for r in self.relaxations)
        shown = [v.message for v in self.violations[:8]]
        more = len(self.violations) - len(shown)
        tail = (" — least-violating plan: " + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
                if shown else "")
        return head + tail

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "impossible_alone": self.impossible_alone, "conflicts": self.conflicts,
                "integrality": self.integrality, "relaxations": [r.to_dict() for r in self.relaxations],
                "relaxations_searched": self.relaxations_searched,
                "violations": [{"target": v.family, "where": v.where, "amount": v.amount, "unit": v.unit,
                                "message": v.message} for v in self.violations]}


FAMILIES = {
    "domestic content": lambda t: replace(t, domestic_content=None),
    "country-share cap": lambda t: replace(t, country_cap=None),
    "two sources for critical parts": lambda t: replace(t, critical_max_source_share=None),
}
"""Each target family and how to switch it off."""


def _active_families(data: OptimizeInput, targets: SourcingTargets) -> list[str]:
    out = []
    if any(targets.domestic_target(int(y)) is not None for y in data.years):
        out.append("domestic content")
    if targets.country_cap is not None and targets.country_cap < 1.0:
        out.append("country-share cap")
    if targets.critical_max_source_share is not None and targets.critical_max_source_share < 1.0 \
            and data.part_critical.any():
        out.append("two sources for critical parts")
    return out


def _only(targets: SourcingTargets, keep: set[str]) -> SourcingTargets:
    out = targets
    for family, switch_off in FAMILIES.items():
        if family not in keep:
            out = switch_off(out)
    return out


EXPLAIN_TIME_LIMIT_S = 20.0
"""Longest any one yes/no (MIP) solve of the explanation may take [s]; the LP relaxations come first."""


def least_violation(data: OptimizeInput, targets: SourcingTargets, options: SolveOptions, *,
                    integer_quantities: bool = False, stock: str = "source", relax: bool = False
                    ) -> tuple[float, LinearModel, RawSolution]:
    """Solve the model with penalised slacks (costs off): total normalised violation, model, solution.

    ``relax=True`` solves the LP relaxation (order and opening decisions fractional): its
    violation is a lower bound for every plan, so a positive value proves the targets cannot be met.
    """
    from rackforge.optimize.model import CONTINUOUS

    model = build_model(data, targets, integer_quantities=integer_quantities, stock=stock,
                        elastic=(*DEMAND_BLOCKS, *TARGET_BLOCKS), costs=False)
    if relax:
        raw = solve(model, options, integrality=np.full_like(model.integrality, CONTINUOUS))
    else:
        raw = solve(model, replace(options, time_limit_s=min(options.time_limit_s, EXPLAIN_TIME_LIMIT_S)))
    if raw.x is None:
        from rackforge.errors import SolverError

        raise SolverError(f"the relaxed sourcing model could not be solved either ({raw.highs_status}); "
                          "this is a rackforge bug or a time limit too short")
    return max(raw.objective, 0.0), model, raw


def violations(model: LinearModel, data: OptimizeInput, targets: SourcingTargets, x: NDArray[np.float64]
               ) -> list[TargetShortfall]:
    """The non-zero slacks of an elastic model's solution, in domain words."""
    out: list[TargetShortfall] = []
    _, use = _plan_arrays(model, data, x)
    dem = data.demand
    dem_y = data.demand_per_year
    for name, block in model.constraints.items():
        slack_block = model.variables.get(f"slack_{name}")
        if slack_block is None:
            continue
        slack = slack_block.values(x)
        for i in np.flatnonzero(slack / np.maximum(block.scale, 1e-9) > VIOLATION_TOL):
            out.append(_violation(name, block.index[i], float(slack[i]), data, targets, use, dem, dem_y))
    out.sort(key=lambda v: (v.family, -v.amount))
    return out


def _violation(name: str, idx: NDArray[np.int64], slack: float, data: OptimizeInput, targets: SourcingTargets,
               use: NDArray[np.float64], dem: NDArray[np.float64], dem_y: NDArray[np.float64]) -> TargetShortfall:
    if name in DEMAND_BLOCKS:
        p, t = idx
        part, quarter = str(data.part_ids[p]), str(data.quarters[t])
        cap = float(data.buy_upper_units[data.source_part == p, : t + 1].sum())
        return TargetShortfall("build plan", {"part": part, "quarter": quarter}, slack, "units",
                               f"{_units(slack)} of the {_units(dem[p, t])} {part} needed in {quarter} cannot be "
                               f"supplied (all its sources together can ship {_units(cap)} up to then)")
    if name == "domestic_content":
        d, y = idx
        year = int(data.years[y])
        comp = content_total_per_rack(data, use, targets.domestic_categories)[d, y]
        per_rack = slack / float(domestic_row_factor(data)[d, y])  # the row is over the year's racks
        points = per_rack / comp if comp > 0 else float("nan")
        tau = targets.domestic_target(year) or 0.0
        return TargetShortfall("domestic content", {"design": str(data.design_ids[d]), "year": year}, 100 * points,
                               "points", f"domestic content of {data.design_ids[d]} racks in {year} reaches "
                               f"{tau - points:.1%}, short of the {tau:.1%} target by {100 * points:.1f} points")
    if name == "country_cap_part":
        p, k, y = idx
        countries = np.unique(data.source_country)
        year = int(data.years[y])
        points = slack / dem_y[p, y]
        cap = targets.country_cap or 0.0
        return TargetShortfall("country-share cap", {"part": str(data.part_ids[p]), "country": str(countries[k]),
                                                     "year": year}, 100 * points, "points",
                               f"{countries[k]} supplies {cap + points:.1%} of {data.part_ids[p]} in {year}, "
                               f"{100 * points:.1f} points over the {cap:.0%} cap")
    if name == "country_cap_category":
        g, k, y = idx
        countries = np.unique(data.source_country)
        category = str(np.unique(data.part_category)[g])
        year = int(data.years[y])
        spend = (use @ data.quarter_in_year)[:, y] * data.landed_cost_usd
        total = float(spend[data.part_category[data.source_part] == category].sum())
        points = slack / total if total > 0 else float("nan")
        cap = targets.country_cap or 0.0
        return TargetShortfall("country-share cap", {"category": category, "country": str(countries[k]), "year": year},
                               100 * points, "points",
                               f"{countries[k]} has {cap + points:.1%} of {category} spend in {year}, "
                               f"{100 * points:.1f} points over the {cap:.0%} cap")
    if name == "critical_share":
        s, y = idx
        p = data.source_part[s]
        year = int(data.years[y])
        points = slack / dem_y[p, y]
        share = targets.critical_max_source_share or 1.0
        n_src = int(np.sum((data.source_part == p) & (data.buy_upper_units[:, data.year_of_quarter == y].sum(1) > 0)))
        return TargetShortfall("two sources for critical parts", {"part": str(data.part_ids[p]),
                                                                  "site": str(data.source_site[s]), "year": year},
                               100 * points, "points",
                               f"critical part {data.part_ids[p]} takes {share + points:.1%} of its {year} units from "
                               f"{data.source_site[s]} (limit {share:.0%}; {n_src} source{'s' * (n_src != 1)} can ship "
                               f"that year)")
    raise ValueError(name)


def plan_exists(data: OptimizeInput, targets: SourcingTargets, options: SolveOptions, *,
                integer_quantities: bool = False, stock: str = "source") -> bool:
    """Whether some plan meets the build plan and ``targets``: the LP relaxation first (a positive least
    violation proves there is none), then the costed MIP (it finds a plan faster than the elastic one),
    each MIP solve limited to :data:`EXPLAIN_TIME_LIMIT_S`. A solve that finds no plan in time counts as
    none (the answer errs towards "no plan")."""
    from rackforge.errors import SolverError
    from rackforge.optimize.solve import optimise

    kw: dict[str, Any] = {"integer_quantities": integer_quantities, "stock": stock}
    relaxed, _, _ = least_violation(data, targets, options, relax=True, **kw)
    if relaxed > VIOLATION_TOL:
        return False
    limited = replace(options, time_limit_s=min(options.time_limit_s, EXPLAIN_TIME_LIMIT_S))
    try:
        return optimise(data, targets, limited, duals=False, explain=False, **kw).plan is not None
    except SolverError:
        return False


def explain_infeasibility(data: OptimizeInput, targets: SourcingTargets, options: SolveOptions, *,
                          integer_quantities: bool = False, stock: str = "source") -> Explanation:
    """Why no plan meets ``targets``: least-violating plan, targets impossible alone, conflicting pairs.

    The LP relaxation comes first: when even it violates the targets, its slacks are certain lower
    bounds ("reaches at best ..."). When only the minimum orders or yes/no decisions make the targets
    unreachable, the mixed-integer relaxation (time-limited) names the misses.
    """
    kw: dict[str, Any] = {"integer_quantities": integer_quantities, "stock": stock}
    total, model, raw = least_violation(data, targets, options, relax=True, **kw)
    explanation = Explanation()
    if total <= VIOLATION_TOL:
        explanation.integrality = True
        total, model, raw = least_violation(data, targets, options, **kw)
    assert raw.x is not None
    explanation.violations = violations(model, data, targets, raw.x)
    families = _active_families(data, targets)

    def feasible(keep: set[str]) -> bool:
        return plan_exists(data, _only(targets, keep), options, **kw)

    if not feasible(set()):
        explanation.impossible_alone.append("the build plan (capacity and opening dates of the sources)")
        return explanation
    alone_ok = {f: feasible({f}) for f in families}
    explanation.impossible_alone.extend(f for f, ok in alone_ok.items() if not ok)
    possible = [f for f, ok in alone_ok.items() if ok]
    for a, b in itertools.combinations(possible, 2):
        if not feasible({a, b}):
            explanation.conflicts.append(f"{a} and {b} conflict: each can be met alone, not both")
    if not explanation.impossible_alone and not explanation.conflicts and len(possible) > 2:
        explanation.conflicts.append(" and ".join(possible) + " cannot all be met together, though any two can")
    return explanation
