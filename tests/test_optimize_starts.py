"""Warm starts change how fast the optimiser answers, never what it answers.

The MIP starts from its LP relaxation rounded up (or from a known plan); the bisection for the highest
reachable target asks "is there a plan?" with two LPs; a curve point whose target the least-cost plan
already meets reuses that plan. Each is checked here against the cold MIP on random small instances
(hypothesis, the instances of the exhaustive-enumeration test) and on the reference programme.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from rackforge.optimize import SourcingTargets, optimise
from rackforge.optimize.data import OptimizeInput
from rackforge.optimize.feasibility import check_plan
from rackforge.optimize.model import build_model
from rackforge.optimize.starts import completed_plan, find_plan, relaxation_start
from test_optimize_enumeration import EXACT, instances

Case = tuple[OptimizeInput, SourcingTargets]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_warm_and_cold_solves_give_the_same_least_cost(case: Case) -> None:
    data, targets = case
    for stock in ("source", "pooled"):
        warm = optimise(data, targets, EXACT, stock=stock, duals=False, explain=False)
        cold = optimise(data, targets, EXACT, stock=stock, duals=False, explain=False, warm_start=False)
        assert warm.status == cold.status
        if cold.plan is None:
            continue
        assert warm.plan is not None
        assert warm.objective_usd == pytest.approx(cold.objective_usd, rel=1e-7, abs=1e-6)
        assert check_plan(data, warm.plan, targets) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_find_plan_finds_one_exactly_when_the_mip_has_one(case: Case) -> None:
    data, targets = case
    found = find_plan(data, targets, EXACT)
    mip = optimise(data, targets, EXACT, duals=False, explain=False, warm_start=False)
    assert (found is None) == (mip.plan is None)
    if found is not None:
        assert check_plan(data, found, targets) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_rounded_relaxation_is_a_plan_whenever_the_relaxation_is_feasible(case: Case) -> None:
    """With stock per source, raising fractional orders to their minimum only adds stock."""
    data, targets = case
    model = build_model(data, targets)
    start = relaxation_start(model, EXACT)
    if start is None:
        return
    assert set(np.unique(start.values)) <= {0.0, 1.0}
    plan = completed_plan(model, data, start, EXACT)
    assert plan is not None
    assert check_plan(data, plan, targets) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_a_start_from_a_plan_for_a_tighter_target_gives_the_same_least_cost(case: Case) -> None:
    data, targets = case
    tight = optimise(data, replace(targets, domestic_content=0.6), EXACT, duals=False, explain=False)
    if tight.plan is None:
        return
    loose = replace(targets, domestic_content=0.3)
    chained = optimise(data, loose, EXACT, duals=False, explain=False, start=tight.plan)
    alone = optimise(data, loose, EXACT, duals=False, explain=False, warm_start=False)
    assert chained.plan is not None and alone.plan is not None
    assert chained.objective_usd == pytest.approx(alone.objective_usd, rel=1e-7, abs=1e-6)


def test_each_point_of_the_curve_can_be_solved_on_its_own() -> None:
    """The cluster solves points one by one (solve_point): the answers agree with the curve's within the
    gap, and a point whose target the least-cost plan meets is that plan, not a new solve."""
    from rackforge.io.loader import load_programme
    from rackforge.optimize.highs import SolveOptions
    from rackforge.optimize.policy import SourcingPolicy, optimiser_input, sourcing_targets
    from rackforge.optimize.sweep import KnownAnswers, solve_point, sweep

    programme = load_programme(None)
    policy = SourcingPolicy(critical_share=None)
    data = optimiser_input(programme, policy)
    rules = replace(sourcing_targets(programme, policy), domestic_content=None)
    options = SolveOptions(mip_rel_gap=1e-3, time_limit_s=60)
    base = optimise(data, rules, options, duals=False)
    assert base.plan is not None
    targets = [0.0, 0.002, 0.005]
    curve = sweep(data, rules, domestic_targets=targets, options=options,
                  known=KnownAnswers(base_solved=True, base_cost_usd=base.objective_usd, base_result=base))
    for point in curve.points:
        assert point.target is not None and point.cost_usd is not None
        alone = solve_point(data, rules, point.target, None, options)  # no base: always a solve of its own
        assert alone.plan is not None
        assert abs(alone.objective_usd - point.cost_usd) <= 1e-3 * max(alone.objective_usd, point.cost_usd)
    reused = solve_point(data, rules, 0.0, None, options, base=base)
    assert reused.plan is base.plan and reused.objective_usd == base.objective_usd
    assert reused.targets.domestic_content == 0.0  # labelled with the point's target
