"""The cost of resilience: least cost as the domestic-content target and the country cap tighten.

For each (target, cap) pair the optimiser finds the least-cost plan (or explains why there is none);
each plan's supply mix is then run through the resilience Monte Carlo
(:func:`rackforge.resilience.montecarlo.expected_shortfall`, common random numbers across points) for
its expected shortfall. The knee of a curve is found with the Kneedle rule (Satopää et al., "Finding
a 'Kneedle' in a Haystack", ICDCS workshops 2011): normalise both axes to [0, 1] and take the point
farthest from the chord joining the ends.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rackforge.errors import SolverError
from rackforge.optimize.data import OptimizeInput, SourcingTargets
from rackforge.optimize.highs import SolveOptions
from rackforge.optimize.solve import OptimizeResult, Plan, optimise, sourcing_domestic_content
from rackforge.optimize.starts import find_plan

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme

DEFAULT_TARGETS = tuple(round(0.40 + 0.05 * i, 2) for i in range(11))
"""40 %, 45 %, … 90 %: the domestic-content targets swept by default."""


@dataclass(frozen=True)
class SweepPoint:
    """One point of the curve. Money in USD; shares as fractions."""

    target: float | None
    country_cap: float | None
    status: str
    cost_usd: float | None
    extra_cost_usd: float | None
    """Cost above the least-cost plan with no domestic target and no cap."""
    domestic_share_min: float | None
    """Lowest domestic content of any design and year held to the target."""
    domestic_share_overall: float | None
    """Domestic share of all racks' component cost over the plan (rack-weighted)."""
    sources_opened: int | None
    expected_value_short_usd: float | None = None
    expected_racks_short: float | None = None
    probability_of_shortfall: float | None = None
    explanation: str | None = None


@dataclass
class SweepResult:
    """The curve, its knees and what bounds it."""

    points: list[SweepPoint]
    base_cost_usd: float | None
    max_achievable_target: float | None
    knee_target: float | None = None
    knee_shortfall_target: float | None = None
    shortfall_scenarios: int = 0
    seed: int = 0
    notes: list[str] = field(default_factory=list)
    domestic_categories: tuple[str, ...] | None = None
    """The part categories the domestic shares are taken within (None: the whole rack)."""

    @property
    def infeasible_points(self) -> int:
        """Points with no plan (infeasible, or none found in time) [points]."""
        return sum(1 for p in self.points if p.cost_usd is None)

    @property
    def domestic_share_scope(self) -> str:
        """What the domestic-share columns measure: 'whole rack' or 'within cooling, power'."""
        return "whole rack" if not self.domestic_categories else "within " + ", ".join(self.domestic_categories)

    def to_frame(self) -> pd.DataFrame:
        """One row per point; a category-scoped run's share columns say so (``…_within_categories``)."""
        import pandas as pd

        frame = pd.DataFrame([asdict(p) for p in self.points])
        if self.domestic_categories:
            frame = frame.rename(columns={c: f"{c}_within_categories" for c in SHARE_COLUMNS})
        return frame

    def to_dict(self) -> dict[str, Any]:
        points = [asdict(p) for p in self.points]
        if self.domestic_categories:
            points = [{(f"{k}_within_categories" if k in SHARE_COLUMNS else k): v for k, v in p.items()}
                      for p in points]
        return {"base_cost_usd": self.base_cost_usd, "max_achievable_target": self.max_achievable_target,
                "knee_target": self.knee_target, "knee_shortfall_target": self.knee_shortfall_target,
                "shortfall_scenarios": self.shortfall_scenarios, "seed": self.seed, "notes": self.notes,
                "infeasible_points": self.infeasible_points,
                "domestic_categories": list(self.domestic_categories) if self.domestic_categories else None,
                "domestic_share_scope": self.domestic_share_scope, "points": points}


SHARE_COLUMNS = ("domestic_share_min", "domestic_share_overall")
"""The points' domestic-share fields; named ``…_within_categories`` when the run holds only some categories."""


def knee_index(x: Sequence[float], y: Sequence[float]) -> int | None:
    """Index of the knee of an increasing curve y(x) (Kneedle): after normalising both axes to [0, 1],
    the point with the largest x − y (convex) or y − x (concave); None with fewer than 3 points or a flat
    curve."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(xs) < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return None
    order = np.argsort(xs)
    xn = (xs[order] - xs[order][0]) / np.ptp(xs)
    yn = (ys[order] - ys[order].min()) / np.ptp(ys)
    convex = yn[len(yn) // 2] <= xn[len(xn) // 2]
    diff = (xn - yn) if convex else (yn - xn)
    best = int(np.argmax(diff))
    if diff[best] <= 1e-12:
        return None
    return int(order[best])


@dataclass(frozen=True)
class KnownAnswers:
    """Answers a caller of :func:`sweep` already has for the same targets, so they are not solved again.

    ``base_cost_usd``: least cost with no domestic-content target and no country cap [USD] (None: no
    plan), valid when ``base_solved``; ``base_result``: that least-cost answer itself, when the caller
    has it (its plan is reused for every point whose target it already meets); ``max_achievable_target``:
    the bisection's largest reachable flat target [fraction] (None: not even 0 %), valid when
    ``best_solved``.
    """

    base_solved: bool = False
    base_cost_usd: float | None = None
    best_solved: bool = False
    max_achievable_target: float | None = None
    base_result: OptimizeResult | None = None


def flat_target(tau: float, years: Sequence[int] | None) -> float | dict[int, float]:
    """``tau`` in every year, or only in ``years``."""
    return tau if years is None else {int(y): tau for y in years}


def meets_domestic_target(data: OptimizeInput, plan: Plan, targets: SourcingTargets) -> bool:
    """Whether ``plan`` meets ``targets``' domestic-content target in every design and year held to one,
    by the sourcing module's calculator (:func:`~rackforge.optimize.solve.sourcing_domestic_content`, the
    shares the curve reports); True when no year is held to a target."""
    table = sourcing_domestic_content(data, plan, targets.domestic_categories)
    for year, share in zip(table["year"], table["domestic_content"], strict=True):
        target = targets.domestic_target(int(year))
        if target is not None and float(share) < target:
            return False
    return True


def max_achievable_target(data: OptimizeInput, targets: SourcingTargets, options: SolveOptions, *,
                          stock: str = "source", years: Sequence[int] | None = None,
                          tolerance: float = 0.0025, plans: Sequence[Plan] = ()) -> float | None:
    """Largest flat domestic-content target any plan meets under ``targets``' other rules [fraction], by
    bisection; None if not even 0 % can be met. ``years``: hold only these years to the target
    (default: all).

    Each step asks whether a plan exists (:func:`~rackforge.optimize.starts.find_plan`: an infeasible LP
    relaxation says no, a rounded and completed one says yes, two LPs instead of a MIP solved to the
    gap); a target that a plan already at hand meets is reachable without a solve. ``plans``: plans
    known to meet every rule of ``targets`` but the domestic-content target (e.g. the least-cost plan
    with no target). A step whose solve reaches the time limit without a plan counts as out of reach
    (the answer is then a lower bound)."""
    known = list(plans)

    def feasible(tau: float) -> bool:
        t = replace(targets, domestic_content=flat_target(tau, years))
        if any(meets_domestic_target(data, plan, t) for plan in known):
            return True
        plan = find_plan(data, t, options, stock=stock)
        if plan is not None:
            known.append(plan)
        return plan is not None

    if not feasible(0.0):
        return None
    if feasible(1.0 - targets.domestic_margin):
        return 1.0
    low, high = 0.0, 1.0
    while high - low > tolerance:
        mid = 0.5 * (low + high)
        low, high = (mid, high) if feasible(mid) else (low, mid)
    return math.floor(low * 1e4) / 1e4


def solve_point(data: OptimizeInput, targets: SourcingTargets, tau: float, cap: float | None, options: SolveOptions,
                *, stock: str = "source", years: Sequence[int] | None = None,
                base: OptimizeResult | None = None) -> OptimizeResult:
    """The least-cost plan of one point of the curve: domestic-content target ``tau`` [fraction] (in
    ``years``, default every year) and country cap ``cap`` [fraction] on top of ``targets``' other rules.

    Each point is solved on its own (warm-started from its own LP relaxation), so points can be solved
    in any order or on different machines. ``base``: the least-cost answer with no target and no cap
    under the same rules; when its plan already meets ``tau`` (and there is no cap) it is this point's
    answer too, within its gap, as every plan of this point is one of its plans. Raises
    :class:`~rackforge.errors.SolverError` when no plan is found in time.
    """
    point_targets = replace(targets, domestic_content=flat_target(tau, years), country_cap=cap)
    if cap is None and base is not None and base.plan is not None \
            and meets_domestic_target(data, base.plan, point_targets):
        return replace(base, targets=point_targets, binding=[], marginal_rack_cost={})
    return optimise(data, point_targets, options, stock=stock, duals=False)


def _shares_by_source(result: OptimizeResult) -> dict[str, float]:
    """Each source's share of its part's units over the whole plan, keyed ``part@site``."""
    data, plan = result.data, result.plan
    assert plan is not None
    used = plan.use.sum(axis=1)
    per_part = np.bincount(data.source_part, weights=used, minlength=data.n_parts)[data.source_part]
    share = np.divide(used, per_part, out=np.zeros_like(used), where=per_part > 0)
    return {f"{data.part_ids[data.source_part[s]]}@{data.source_site[s]}": float(share[s])
            for s in range(data.n_sources)}


def _point(result: OptimizeResult, target: float | None, cap: float | None, base: float | None) -> SweepPoint:
    if result.plan is None:
        summary = result.explanation.summary() if result.explanation else result.status
        return SweepPoint(target, cap, result.status, None, None, None, None, None, explanation=summary)
    rows = result.domestic_content()
    shares = [r["domestic_share"] for r in rows if r["target"] is not None]
    overall = None
    if rows:
        table = sourcing_domestic_content(result.data, result.plan, result.targets.domestic_categories)
        weights = table["racks"].to_numpy(float)
        dom = float((weights * table["domestic_cost_per_rack_usd"].to_numpy(float)).sum())
        tot = float((weights * table["component_cost_per_rack_usd"].to_numpy(float)).sum())
        overall = dom / tot if tot > 0 else None
    return SweepPoint(target, cap, result.status, result.objective_usd,
                      None if base is None else result.objective_usd - base,
                      min(shares) if shares else None, overall,
                      int((result.data.needs_open & result.plan.opened).sum()))


@dataclass(frozen=True)
class PointSettings:
    """What every point of a sweep shares (sent once to each cluster worker)."""

    data: OptimizeInput
    targets: SourcingTargets
    options: SolveOptions
    stock: str
    years: tuple[int, ...] | None
    base_cost_usd: float | None
    model: Any
    """The resilience Monte Carlo model (:class:`~rackforge.resilience.montecarlo.SimulationModel`), or
    None for no expected shortfall."""
    shortfall_scenarios: int
    seed: int
    base: OptimizeResult | None = None
    """The least-cost answer with no target and no cap, reused by points it already answers
    (:func:`solve_point`)."""


def sweep_point(settings: PointSettings, pair: tuple[float | None, float]) -> SweepPoint:
    """One point of the curve, ``pair`` = (country cap, domestic-content target): the least-cost plan
    and, with a Monte Carlo model, its expected shortfall (common random numbers: the same ``seed`` at
    every point). A pure function of its arguments, so points can run anywhere (a cluster task)."""
    s = settings
    cap, tau = pair
    try:
        result = solve_point(s.data, s.targets, tau, cap, s.options, stock=s.stock, years=s.years, base=s.base)
    except SolverError as exc:  # no plan within the time limit: the point says so, the curve goes on
        return SweepPoint(tau, cap, "no plan in time", None, None, None, None, None, explanation=str(exc))
    point = _point(result, tau, cap, s.base_cost_usd)
    if s.model is not None and result.plan is not None:
        from rackforge.resilience.montecarlo import expected_shortfall

        est = expected_shortfall(None, _shares_by_source(result), scenarios=s.shortfall_scenarios, seed=s.seed,
                                 model=s.model)
        point = replace(point, expected_value_short_usd=est.expected_value_short_usd,
                        expected_racks_short=float(sum(est.expected_racks_short.values())),
                        probability_of_shortfall=est.probability_of_shortfall)
    return point


def sweep(data: OptimizeInput, targets: SourcingTargets, *, domestic_targets: Sequence[float] | None = None,
          country_caps: Sequence[float | None] = (None,), programme: Programme | None = None,
          shortfall_scenarios: int = 2000, seed: int = 0, options: SolveOptions | None = None,
          stock: str = "source", years: Sequence[int] | None = None,
          known: KnownAnswers | None = None) -> SweepResult:
    """Least cost for each domestic-content target × country cap, with expected shortfall and knees.

    ``targets`` gives the other rules (categories, critical-part sources, cap scope). When
    ``domestic_targets`` is None the default 40 %…90 % grid is used, clipped to what the programme can
    reach: if fewer than three of its points are reachable, nine evenly spaced targets from 0 to the
    largest reachable target are swept instead. ``programme`` (with the resilience module) adds the
    expected shortfall of each plan's supply mix, ``shortfall_scenarios`` scenarios with ``seed``.
    ``years``: hold only these years to the target (default: every year of the plan).
    ``known``: the least cost with no target and the largest reachable target when the caller has
    already solved them for the same ``targets`` (each is a bisection or a MIP not solved twice).
    """
    options = options or SolveOptions()
    notes: list[str] = []
    known = known or KnownAnswers()
    base_result = known.base_result
    if known.base_solved:
        base_cost = known.base_cost_usd
    else:
        base_result = optimise(data, replace(targets, domestic_content=None, country_cap=None), options,
                               stock=stock, duals=False)
        base_cost = base_result.objective_usd if base_result.plan is not None else None
    if known.best_solved:
        best = known.max_achievable_target
    else:
        plans = [base_result.plan] if base_result is not None and base_result.plan is not None else []
        best = max_achievable_target(data, replace(targets, country_cap=None), options, stock=stock, years=years,
                                     plans=plans)
    grid = list(DEFAULT_TARGETS if domestic_targets is None else domestic_targets)
    if domestic_targets is None and best is not None and sum(t <= best for t in grid) < 3:
        grid = [round(best * i / 8, 4) for i in range(9)]
        notes.append(f"the 40-90 % grid is out of reach (at most {best:.1%} can be met): swept 0-{best:.1%} instead")
    model = None
    if programme is not None and shortfall_scenarios > 0:
        try:
            from rackforge.resilience.montecarlo import simulation_model

            model = simulation_model(programme)
        except ImportError:  # pragma: no cover - the resilience module ships with rackforge
            notes.append("resilience module not available: no expected shortfall")
    from rackforge.core.parallel import current_task_map

    settings = PointSettings(data, targets, options, stock, None if years is None else tuple(years), base_cost,
                             model, shortfall_scenarios, seed, base_result)
    pairs = [(cap, tau) for cap in country_caps for tau in grid]
    points = list(current_task_map().map_ordered(sweep_point, pairs, shared=settings))
    first_cap = country_caps[0]
    feasible = [p for p in points if p.cost_usd is not None and p.target is not None and p.country_cap == first_cap]
    knee = knee_index([float(p.target or 0.0) for p in feasible], [float(p.cost_usd or 0.0) for p in feasible])
    with_risk = [p for p in feasible if p.expected_value_short_usd is not None]
    knee_risk = None
    if len(with_risk) >= 3:
        short = [float(p.expected_value_short_usd or 0.0) for p in with_risk]
        if short[-1] < short[0]:  # a trade-off: paying more buys less expected shortfall
            knee_risk = knee_index([-v for v in short], [float(p.cost_usd or 0.0) for p in with_risk])
        else:
            notes.append("expected shortfall does not fall as the target rises (from "
                         f"${short[0]:,.0f} to ${short[-1]:,.0f}): no cost-vs-risk knee")
    return SweepResult(points, base_cost, best,
                       knee_target=None if knee is None else feasible[knee].target,
                       knee_shortfall_target=None if knee_risk is None else with_risk[knee_risk].target,
                       shortfall_scenarios=shortfall_scenarios if model is not None else 0, seed=seed, notes=notes,
                       domestic_categories=targets.domestic_categories)


def write_sweep(result: SweepResult, path: str | Path) -> None:
    """Write the curve atomically: CSV for a ``.csv`` path, else JSON."""
    from rackforge.io.files import atomic_write_text
    from rackforge.io.spreadsheets import escape_frame

    target = Path(path)
    if target.suffix.lower() == ".csv":  # text cells escaped so no spreadsheet reads them as formulas
        atomic_write_text(target, escape_frame(result.to_frame()).to_csv(index=False))
    else:
        atomic_write_text(target, json.dumps(result.to_dict(), indent=2, default=float))
