"""Starting points for the sourcing MIP, and plans found without solving it to the gap.

A MIP solve spends most of its time looking for good plans when it has none: on the reference
programme with every source cloned onto ten sites, HiGHS's bound was within 0.02 % of the optimum after
its first LP (1.4 s), and it took cuts and sub-MIPs until 48 s to find a plan that close. The LP
relaxation rounded up (every source opened in part opened, every order placed in part placed) is such
a plan, and it is always one with stock per source: raising an order to its minimum only adds stock,
and every target counts units used, not bought. From it HiGHS stopped after 2.7 s.

- :func:`relaxation_start` / :func:`plan_start`: MIP starts (yes/no decisions; HiGHS completes the
  quantities with an LP) from the rounded relaxation or from a known plan;
- :func:`find_plan`: "is there a plan?" answered with two LPs (relaxation, then its rounding completed)
  instead of a MIP solved to the gap (the bisection for the highest reachable target asks this ~11 times);
- :func:`objective_agrees`: the guard against HiGHS 1.16 mis-valuing a start after presolve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rackforge.optimize.highs import MipStart, RawSolution, SolveOptions, solve
from rackforge.optimize.model import CONTINUOUS, LinearModel, build_model

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from rackforge.optimize.data import OptimizeInput, SourcingTargets
    from rackforge.optimize.solve import Plan

MIN_MIP_TIME_S = 1.0
"""Least time left to the MIP after its warm start's LP relaxation [s]."""

USED_UNITS = 1e-6
"""Units below which a quantity of a start counts as nothing bought (solver noise) [units]."""


def decisions_start(model: LinearModel, buy: NDArray[np.float64], opened: NDArray[np.bool_],
                    origin: str) -> MipStart:
    """The yes/no decisions of a plan that buys ``buy`` (S, T) [units] from the sources ``opened`` (S,),
    as a MIP start for ``model``: an openable source is opened when ``opened`` says so or it ships
    anything; an order is placed wherever more than :data:`USED_UNITS` are bought. The quantities
    are left to HiGHS, which completes them with an LP."""
    open_block, order_block = model.variables["open"], model.variables["order"]
    openable = open_block.coords["openable"]
    ships = buy.sum(axis=1) > USED_UNITS
    open_values = (opened[openable] | ships[openable]).astype(float)
    order_values = (buy.ravel()[order_block.coords["order"]] > USED_UNITS).astype(float)
    return MipStart(np.concatenate([open_block.ids.ravel(), order_block.ids.ravel()]),
                    np.concatenate([open_values, order_values]), origin)


def plan_start(model: LinearModel, plan: Plan) -> MipStart:
    """A known plan's yes/no decisions as a MIP start (:func:`decisions_start`)."""
    return decisions_start(model, plan.buy, plan.opened, "plan")


def relaxation_start(model: LinearModel, options: SolveOptions) -> MipStart | None:
    """A MIP start from the LP relaxation of ``model``, rounded up; None when the relaxation has no solution.

    Every source the relaxation opens even in part is opened and every order it places even in part
    is placed (:func:`decisions_start`). With stock per source the result is always a plan: raising a
    fractional order's units to the minimum order only adds stock, and every target counts units used,
    not bought. The relaxation's optimum is within a fraction of a percent of the MIP's on sourcing
    models, so the rounded plan is a close incumbent (see the module's notes).
    """
    return rounded_start(model, solve_relaxation(model, options))


def solve_relaxation(model: LinearModel, options: SolveOptions) -> RawSolution:
    """The LP relaxation of ``model`` (every yes/no decision fractional); when it is infeasible so is
    the MIP."""
    return solve(model, options, integrality=np.full_like(model.integrality, CONTINUOUS))


def rounded_start(model: LinearModel, relaxation: RawSolution) -> MipStart | None:
    """The MIP start of :func:`relaxation_start` from a solved relaxation; None without a solution."""
    if relaxation.x is None:
        return None
    buy = model.variables["buy"].values(relaxation.x)
    opened = np.zeros(buy.shape[0], dtype=bool)
    open_block = model.variables["open"]
    opened[open_block.coords["openable"]] = open_block.values(relaxation.x) > 1e-9
    return decisions_start(model, buy, opened, "rounded LP relaxation")


def objective_agrees(model: LinearModel, raw: RawSolution) -> bool:
    """Whether HiGHS's objective is the cost of the solution it returned (True without a solution).

    HiGHS 1.16 can value a MIP start in the presolved model without the cost of the columns presolve
    fixed (log: "MIP start solution is feasible in the reduced space: objective value is ..." below the
    true value); the start then looks cheaper than it is, and HiGHS may stop on it and report that
    lower figure. Recomputing the cost from the returned solution exposes it.
    """
    if raw.x is None:
        return True
    cost = float(model.col_cost @ raw.x)
    return abs(cost - raw.objective) <= 1e-7 * max(1.0, abs(cost))


def completed_plan(model: LinearModel, data: OptimizeInput, start: MipStart, options: SolveOptions) -> Plan | None:
    """The least-cost plan with ``start``'s yes/no decisions fixed (an LP), or None when they admit no plan."""
    from rackforge.optimize.solve import fixed_decisions, plan_from_solution

    x = np.zeros(model.n_cols)
    x[start.columns] = start.values
    lower, upper, kinds = fixed_decisions(model, x)
    raw = solve(model, options, col_lower=lower, col_upper=upper, integrality=kinds)
    return None if raw.x is None else plan_from_solution(model, data, raw.x)


def find_plan(data: OptimizeInput, targets: SourcingTargets, options: SolveOptions | None = None, *,
              stock: str = "source") -> Plan | None:
    """A plan meeting the build plan and ``targets``, not necessarily the least-cost one; None when there
    is none, or none was found within the time limit.

    Answers "is there a plan?" with two LPs where a MIP solve to the gap took seconds to minutes: an
    infeasible LP relaxation proves there is none; else its rounding (:func:`relaxation_start`)
    completed with the decisions fixed (:func:`completed_plan`) is one. Only when that completion fails
    (it cannot with stock per source) is the MIP solved.
    """
    from rackforge.errors import SolverError
    from rackforge.optimize.solve import notify_solve, optimise

    options = options or SolveOptions()
    model = build_model(data, targets, stock=stock)
    relaxation = solve_relaxation(model, options)
    notify_solve()
    if relaxation.status == "infeasible":
        return None
    start = rounded_start(model, relaxation)
    if start is None:  # no relaxation in time: the MIP will not do better
        return None
    plan = completed_plan(model, data, start, options)
    if plan is not None:
        return plan
    try:
        return optimise(data, targets, options, stock=stock, duals=False, explain=False).plan
    except SolverError:  # no plan within the time limit
        return None
