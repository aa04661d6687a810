"""Solve the sourcing MIP and answer in domain words.

:func:`optimise` builds the model (:mod:`rackforge.optimize.model`), solves it with HiGHS, checks
the status, and on success fixes the yes/no decisions (sources opened, orders placed or not) and
re-solves the LP to read the duals: what one more unit of capacity, one more point of domestic
content or one more point of a country cap is worth. When no plan meets the targets it explains
which targets conflict and by how much (:mod:`rackforge.optimize.explain`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rackforge.optimize.data import OptimizeInput, SourcingTargets
from rackforge.optimize.highs import RawSolution, SolveOptions, solve
from rackforge.optimize.model import CONTINUOUS, LinearModel, build_model
from rackforge.optimize.starts import (
    MIN_MIP_TIME_S,
    objective_agrees,
    plan_start,
    rounded_start,
    solve_relaxation,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from rackforge.optimize.explain import Explanation


_SOLVE_LISTENER: ContextVar[Callable[[], None] | None] = ContextVar("rackforge_solve_listener", default=None)
"""Called after each sourcing solve in this context (progress of long runs): each MIP :func:`optimise`
solves and each "is there a plan?" LP of :func:`~rackforge.optimize.starts.find_plan`."""


def notify_solve() -> None:
    """Tell the listener of :func:`on_each_solve`, if any, that one more solve has finished."""
    listener = _SOLVE_LISTENER.get()
    if listener is not None:
        listener()


@contextmanager
def on_each_solve(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback()`` after each solve (:data:`_SOLVE_LISTENER`) inside the block (in this thread or task;
    solves run elsewhere, e.g. on a cluster, are not seen)."""
    token = _SOLVE_LISTENER.set(callback)
    try:
        yield
    finally:
        _SOLVE_LISTENER.reset(token)


@dataclass(frozen=True, eq=False)
class Plan:
    """A sourcing plan: units received and used per source and quarter, and sources opened.

    ``opened[s]`` is True for every source allowed to ship: qualified ones and those the plan opens.
    """

    buy: NDArray[np.float64]  # (S, T) [units]
    use: NDArray[np.float64]  # (S, T) [units]
    opened: NDArray[np.bool_]  # (S,)

    @property
    def stock(self) -> NDArray[np.float64]:
        """Units held at the end of each quarter, per source (S, T) = cumulative buy − cumulative use."""
        return np.cumsum(self.buy - self.use, axis=1)


@dataclass(frozen=True)
class Binding:
    """A constraint that holds the cost up, with what relaxing it is worth.

    ``kind``: capacity | minimum-order | domestic-content | country-cap | critical-share.
    ``worth_usd``: cost saved by the relaxation named in ``message`` (negative: cost added), a
    first-order estimate from the LP duals with the yes/no decisions fixed.
    """

    kind: str
    where: dict[str, Any]
    dual: float
    worth_usd: float
    message: str


@dataclass
class OptimizeResult:
    """The answer: status, plan, cost, and the constraints that bind."""

    data: OptimizeInput
    targets: SourcingTargets
    status: str
    objective_usd: float
    mip_gap: float
    plan: Plan | None
    binding: list[Binding] = field(default_factory=list)
    marginal_rack_cost: dict[tuple[str, str], float] = field(default_factory=dict)
    explanation: Explanation | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    model_size: dict[str, Any] = field(default_factory=dict)
    time_limit_s: float = math.nan
    """The solver's time limit for the plan [s]."""
    gap_limit: float = math.nan
    """The relative MIP gap the solver stopped at [fraction]."""

    @property
    def feasible(self) -> bool:
        return self.plan is not None

    @property
    def solve_time_s(self) -> float:
        """Wall time of the yes/no solve that produced the plan [s]."""
        return float(self.timings_s.get("solve", math.nan))

    @property
    def status_message(self) -> str:
        """The solve's outcome in domain words: status, gap to the least cost and time."""
        took = f"{self.solve_time_s:.1f} s"
        if self.plan is None:
            return "no sourcing plan meets the targets"
        if self.status == "optimal":
            return (f"least-cost plan: at most {self.mip_gap:.3%} above the least possible cost "
                    f"(asked for {self.gap_limit:.2%}), found in {took}")
        return (f"time limit of {self.time_limit_s:g} s reached: best plan found so far, at most "
                f"{self.mip_gap:.3%} above the least possible cost (asked for {self.gap_limit:.2%}); "
                "allow more time (--time-limit) or a wider gap (--gap) for a proven least-cost plan")

    # ----- tables --------------------------------------------------------------------------
    def allocation_table(self, *, nonzero: bool = True) -> pd.DataFrame:
        """One row per part, site and quarter: units received, used and held, with unit costs."""
        import pandas as pd

        d, plan = self.data, self._plan()
        grid = np.indices(plan.buy.shape)
        s_idx, t_idx = grid[0].ravel(), grid[1].ravel()
        frame = pd.DataFrame({
            "part": d.part_ids[d.source_part[s_idx]],
            "site": d.source_site[s_idx],
            "country": d.source_country[s_idx],
            "quarter": d.quarters[t_idx],
            "quantity_units": plan.buy.ravel(),
            "used_units": plan.use.ravel(),
            "stock_end_units": plan.stock.ravel(),
            "landed_cost_usd_per_unit": d.landed_cost_usd[s_idx],
        })
        frame["spend_usd"] = frame["quantity_units"] * frame["landed_cost_usd_per_unit"]
        if nonzero:
            keep = (frame["quantity_units"] > 1e-6) | (frame["used_units"] > 1e-6) | (frame["stock_end_units"] > 1e-6)
            frame = frame[keep].reset_index(drop=True)
        return frame

    def cost_breakdown(self) -> dict[str, float]:
        """Total cost by kind [USD]: price, freight, duty, holding, opening."""
        from rackforge.optimize.feasibility import plan_cost_usd

        return plan_cost_usd(self.data, self._plan())

    def opened_sources(self) -> list[dict[str, Any]]:
        """Planned or qualifying sources the plan opens, with their cost and first quarter shipping."""
        d, plan = self.data, self._plan()
        out = []
        for s in np.flatnonzero(d.needs_open & plan.opened):
            ships = np.flatnonzero(plan.buy[s] > 1e-6)
            out.append({"part": str(d.part_ids[d.source_part[s]]), "site": str(d.source_site[s]),
                        "country": str(d.source_country[s]), "open_cost_usd": float(d.open_cost_usd[s]),
                        "ready": d.ready_date[s],
                        "first_quarter_shipping": str(d.quarters[ships[0]]) if len(ships) else None})
        return out

    def domestic_content(self) -> list[dict[str, Any]]:
        """Domestic content per design and year achieved by the plan, with the target it was held to.

        Computed by the sourcing module's own code (its calculator and rule) from the plan's supply mix
        of each year (:func:`sourcing_domestic_content`).
        """
        table = sourcing_domestic_content(self.data, self._plan(), self.targets.domestic_categories)
        return [{"design": r["design"], "year": int(r["year"]), "domestic_share": float(r["domestic_content"]),
                 "target": self.targets.domestic_target(int(r["year"])), "rule_threshold": r["threshold"],
                 "meets_rule": bool(r["meets_threshold"]), "racks": int(r["racks"])}
                for r in table.to_dict("records")]

    def country_shares(self) -> pd.DataFrame:
        """Share of landed cost by country per year, over all parts bought [fraction]."""
        import pandas as pd

        d, plan = self.data, self._plan()
        spend = plan.use * d.landed_cost_usd[:, None]  # (S, T)
        frame = pd.DataFrame({"country": np.repeat(d.source_country, d.n_quarters),
                              "year": np.tile(d.quarter_year, d.n_sources), "cost_usd": spend.ravel()})
        table = frame.groupby(["year", "country"], as_index=False).agg(cost_usd=("cost_usd", "sum"))
        table["share"] = table["cost_usd"] / table.groupby("year")["cost_usd"].transform("sum")
        return table

    def _plan(self) -> Plan:
        if self.plan is None:
            from rackforge.errors import SolverError

            raise SolverError("no plan meets the targets: " + (self.explanation.summary() if self.explanation
                                                                   else self.status))
        return self.plan

    # ----- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``: status, cost, allocations, domestic content, binding constraints."""
        out: dict[str, Any] = {"status": self.status, "status_message": self.status_message,
                               "mip_gap": None if math.isnan(self.mip_gap) else self.mip_gap,
                               "solve_time_s": self.solve_time_s, "time_limit_s": self.time_limit_s,
                               "gap_limit": self.gap_limit, "targets": self.targets.describe()}
        if self.plan is None:
            out["cost_usd"] = None
            out["explanation"] = self.explanation.to_dict() if self.explanation else None
        else:
            alloc = self.allocation_table()
            alloc = alloc[alloc["quantity_units"] > 1e-6]
            out.update({
                "cost_usd": self.objective_usd,
                "cost_breakdown_usd": self.cost_breakdown(),
                "allocations": [{"part": r["part"], "site": r["site"], "country": r["country"],
                                 "quarter": r["quarter"], "quantity": round(float(r["quantity_units"]), 6)}
                                for r in alloc.to_dict("records")],
                "opened_sources": self.opened_sources(),
                "domestic_content": self.domestic_content(),
                "country_shares": [{"year": int(r["year"]), "country": r["country"], "share": float(r["share"])}
                                   for r in self.country_shares().to_dict("records")],
                "binding": [{"kind": b.kind, "where": b.where, "dual": b.dual, "worth_usd": b.worth_usd,
                             "message": b.message} for b in self.binding],
                "marginal_rack_cost_usd": [{"design": k[0], "quarter": k[1], "usd_per_rack": v}
                                           for k, v in self.marginal_rack_cost.items()],
            })
        out["unsourced_parts"] = self.data.unsourced_parts
        out["notes"] = list(self.data.notes)
        out["timings_s"] = self.timings_s
        out["model_size"] = self.model_size
        return out


# ----- the plan seen by the sourcing module ------------------------------------------------

def yearly_mix(data: OptimizeInput, plan: Plan) -> NDArray[np.float64]:
    """Each source's share of its part's units used in each year (S, Y) [fraction]; 0 where the part
    is not used that year."""
    use_y = plan.use @ data.quarter_in_year
    per_part = np.zeros((data.n_parts, use_y.shape[1]))
    np.add.at(per_part, data.source_part, use_y)
    total = per_part[data.source_part]
    return np.divide(use_y, total, out=np.zeros_like(use_y), where=total > 0)


def sourcing_domestic_content(data: OptimizeInput, plan: Plan, categories: tuple[str, ...] | None = None
                              ) -> pd.DataFrame:
    """Domestic content per design and year by the sourcing module's own calculator and rule.

    Every quarter of a year gets the year's supply mix; the sourcing module then weights quarters by
    racks built (which, with one mix per year, gives that mix's content). With ``categories`` the
    share is over those categories' component cost (from the module's per-category table). Rows for
    years in which a design builds no racks are dropped.
    """
    from rackforge.sourcing.domestic import domestic_arrays, tables_from_arrays

    ctx = data.sourcing
    shares = np.zeros((data.n_quarters, ctx.calculator.network.n_sources))
    shares[:, ctx.network_row] = yearly_mix(data, plan)[:, data.year_of_quarter].T
    arrays = domestic_arrays(ctx.calculator, shares)
    tables = tables_from_arrays(ctx.calculator, {"plan": arrays}, list(ctx.quarters), ctx.racks,
                                ctx.end_product_country, list(ctx.designs))
    table = tables.by_year[tables.by_year["racks"] > 0].reset_index(drop=True)
    if categories is None:
        return table
    rule = ctx.calculator.rule
    made_ok = rule.end_product_ok(ctx.end_product_country)
    by_cat = tables.by_category[tables.by_category["category"].isin(list(categories))]
    sums = by_cat.groupby(["design", "year"])[["domestic_cost_per_rack_usd", "component_cost_per_rack_usd"]].sum()
    structure = ctx.calculator.structure
    in_scope = (structure.quantity_per_rack * ctx.calculator.scope(categories)).sum(axis=1) > 0
    rows = []
    for r in table.to_dict("records"):
        key = (r["design"], r["year"])
        if key in sums.index:
            dom, tot = (float(x) for x in sums.loc[key])
        elif in_scope[structure.design_index[r["design"]]]:
            dom = tot = 0.0  # parts in scope, none with a known cost: a zero total, share 0 (content_share)
        else:
            continue  # no part of the design is in the scope: not tested
        share = float(ctx.calculator.share(dom, tot))
        rows.append({**r, "domestic_content": share, "domestic_cost_per_rack_usd": dom,
                     "component_cost_per_rack_usd": tot,
                     "meets_threshold": bool(made_ok and rule.passes(share, r["threshold"]))})
    return pd.DataFrame(rows, columns=table.columns)


# ----- reading a solution -----------------------------------------------------------------

def plan_from_solution(model: LinearModel, data: OptimizeInput, x: NDArray[np.float64]) -> Plan:
    """The plan held in solution vector ``x``; tiny solver noise (< 1e-7 units) rounded to 0.

    With pooled stock the units used per source and quarter are not variables; a schedule that uses
    exactly each source's yearly units is built by :func:`schedule_use`.
    """
    buy = model.variables["buy"].values(x).copy()
    buy[np.abs(buy) < 1e-7] = 0.0
    if "use" in model.variables:
        use = model.variables["use"].values(x).copy()
        use[np.abs(use) < 1e-7] = 0.0
    else:
        carry = np.maximum(model.variables["carry"].values(x), 0.0)
        use = schedule_use(data, buy, carry)
    opened = ~data.needs_open.copy()
    open_block = model.variables["open"]
    opened[open_block.coords["openable"]] = open_block.values(x) > 0.5
    return Plan(buy, use, opened)


def schedule_use(data: OptimizeInput, buy: NDArray[np.float64], carry: NDArray[np.float64]) -> NDArray[np.float64]:
    """Units used per source and quarter (S, T) given receipts and year-end carries (pooled stock).

    Within a year every unit not carried out is used: before the last quarter each quarter's demand is
    drawn from the sources in proportion to their stock; in the last quarter each source gives all its
    stock except its carry (which came from that quarter's receipts). Per-source stock never goes
    negative, and each source's use over the year is carry-in + receipts − carry-out.
    """
    use = np.zeros_like(buy)
    demand = data.demand[data.source_part]  # (S, T): the part's demand, per source row
    on_hand = np.zeros(data.n_sources)
    year_of = data.year_of_quarter
    for t in range(data.n_quarters):
        y = year_of[t]
        on_hand = on_hand + buy[:, t]
        last = t == data.n_quarters - 1 or year_of[t + 1] != y
        if last:
            use[:, t] = np.maximum(on_hand - carry[:, y], 0.0)
        else:
            pooled = np.bincount(data.source_part, weights=on_hand, minlength=data.n_parts)[data.source_part]
            share = np.divide(on_hand, pooled, out=np.zeros_like(on_hand), where=pooled > 0)
            use[:, t] = np.minimum(share * demand[:, t], on_hand)
        on_hand = on_hand - use[:, t]
    use[np.abs(use) < 1e-7] = 0.0
    return use


def fixed_decisions(model: LinearModel, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                                                          NDArray[np.int8]]:
    """Bounds and integrality of the LP with the yes/no decisions of ``x`` fixed.

    Opening and order decisions are fixed at their value; an order not placed also fixes its ``buy``
    at 0 (an order placed keeps buy between its MOQ and its capacity through the ``minimum_order`` and
    ``order_placed`` rows); whole-unit quantities become continuous.
    """
    lower, upper, kinds = model.col_lower.copy(), model.col_upper.copy(), model.integrality.copy()
    for name in ("open", "order"):
        ids = model.variables[name].ids.ravel()
        lower[ids] = upper[ids] = np.round(x[ids])
    order = model.variables["order"]
    buy = model.variables["buy"]
    off = order.coords["order"][np.round(x[order.ids.ravel()]) < 0.5]
    upper[buy.start + off] = 0.0
    kinds[:] = CONTINUOUS
    return lower, upper, kinds


SMALL_COEFFICIENT = 1e-9
"""Matrix coefficients below this are left out of the coefficient range (HiGHS's ``small_matrix_value``)."""


def model_size(model: LinearModel) -> dict[str, Any]:
    """Columns, rows, nonzeros, yes/no decisions and the coefficient range of ``model``.

    ``coefficient_range``: largest ÷ smallest absolute coefficient of the matrix, over those of at least
    :data:`SMALL_COEFFICIENT` (HiGHS drops smaller ones, 1e-9 by default); a well-scaled model stays far
    below 1e9.
    """
    a = model.matrix()
    mags = np.abs(a.data[np.abs(a.data) >= SMALL_COEFFICIENT])
    return {"columns": model.n_cols, "rows": model.n_rows, "nonzeros": int(a.nnz),
            "binaries": int(model.variables["open"].size + model.variables["order"].size),
            "order_binaries": int(model.variables["order"].size),
            "coefficient_range": float(mags.max() / mags.min()) if len(mags) else 1.0}


def optimise(data: OptimizeInput, targets: SourcingTargets, options: SolveOptions | None = None, *,
             integer_quantities: bool = False, stock: str = "source", duals: bool = True,
             explain: bool = True, start: Plan | None = None, warm_start: bool = True) -> OptimizeResult:
    """Least-cost plan meeting the build plan and ``targets``; explained when there is none.

    ``stock``: ``source`` tracks stock per source (exact); ``pooled`` per part with year-end carries
    (a smaller model for large programmes; see :mod:`rackforge.optimize.model`).

    Warm start (``warm_start``, the default): the MIP starts from ``start``'s yes/no decisions when a
    plan is given (e.g. one that met a tighter target), else from its LP relaxation rounded up
    (:func:`~rackforge.optimize.starts.relaxation_start`); either way HiGHS has a plan from its first
    node and stops as soon as its bound is within the gap. The start changes how fast the answer
    comes, not what counts as one: the plan is still within the gap of the least cost. The LP
    relaxation's time counts against ``options.time_limit_s``.

    Raises :class:`~rackforge.errors.SolverError` when HiGHS fails for a reason other than
    infeasibility (e.g. the time limit passes with no plan found).
    """
    from rackforge.errors import SolverError

    options = options or SolveOptions()
    t0 = time.perf_counter()
    model = build_model(data, targets, integer_quantities=integer_quantities, stock=stock)
    build_s = time.perf_counter() - t0
    timings = {"build": build_s}
    mip_start, mip_options, raw = None, options, None
    if warm_start and model.is_mip and not integer_quantities:
        t1 = time.perf_counter()
        if start is not None:
            mip_start = plan_start(model, start)
        else:
            relaxation = solve_relaxation(model, options)
            mip_start = rounded_start(model, relaxation)
            if relaxation.status == "infeasible":  # so is the MIP: no need to run it
                raw = relaxation
        timings["start"] = spent = time.perf_counter() - t1
        mip_options = replace(options, time_limit_s=max(options.time_limit_s - spent, MIN_MIP_TIME_S))
    if raw is None:
        raw = solve(model, mip_options, start=mip_start)
        if mip_start is not None and not objective_agrees(model, raw):
            raw = solve(model, mip_options)  # HiGHS mis-valued the start (objective_agrees): solve without it
    notify_solve()
    size = model_size(model)
    timings["solve"] = raw.solve_s
    if raw.status in ("infeasible",):
        explanation = None
        if explain:
            from rackforge.optimize.explain import explain_infeasibility

            t1 = time.perf_counter()
            explanation = explain_infeasibility(data, targets, options, integer_quantities=integer_quantities,
                                                stock=stock)
            timings["explain"] = time.perf_counter() - t1
        return OptimizeResult(data, targets, "infeasible", math.nan, math.nan, None, explanation=explanation,
                              timings_s=timings, model_size=size, time_limit_s=options.time_limit_s,
                              gap_limit=options.mip_rel_gap)
    if raw.status not in ("optimal", "feasible") or raw.x is None:
        raise SolverError(_failure_message(raw, options))
    plan = plan_from_solution(model, data, raw.x)
    result = OptimizeResult(data, targets, raw.status, raw.objective, raw.mip_gap, plan, timings_s=timings,
                            model_size=size, time_limit_s=options.time_limit_s, gap_limit=options.mip_rel_gap)
    if duals:
        t1 = time.perf_counter()
        lower, upper, kinds = fixed_decisions(model, raw.x)
        lp = solve(model, options, col_lower=lower, col_upper=upper, integrality=kinds)
        timings["duals"] = time.perf_counter() - t1
        if lp.status == "optimal" and lp.row_dual is not None and lp.col_dual is not None:
            from rackforge.optimize.explain import binding_constraints, marginal_rack_cost

            result.binding = binding_constraints(model, data, targets, lp, upper)
            result.marginal_rack_cost = marginal_rack_cost(model, data, lp)
    return result


def _failure_message(raw: RawSolution, options: SolveOptions) -> str:
    if raw.status == "no-solution":
        return (f"HiGHS found no plan within the time limit of {options.time_limit_s:g} s "
                f"({raw.highs_status}); allow more time or relax the targets")
    if raw.status == "unbounded":
        return "the sourcing model is unbounded (a negative cost?); check prices and costs in the sources"
    return f"HiGHS stopped with status {raw.highs_status}; no plan was produced"
