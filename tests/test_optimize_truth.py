"""The optimiser's answers against independent checks: the feasibility checker, re-solves, the
sourcing module's own domestic-content code, and invariants (hypothesis)."""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimize_cases import make_input
from rackforge.io.loader import load_programme
from rackforge.optimize import OptimizeInput, SourcingTargets, build_input, optimise
from rackforge.optimize.feasibility import check_plan, domestic_shares, plan_cost_usd
from rackforge.optimize.highs import SolveOptions
from rackforge.optimize.solve import Plan
from rackforge.optimize.synthetic import synthetic_programme

EXACT = SolveOptions(mip_rel_gap=0.0, time_limit_s=30)
FOCUS = ("cooling", "power", "cabling", "networking", "mechanical")


@cache
def reference() -> tuple[object, OptimizeInput]:
    programme = load_programme(None)
    return programme, build_input(programme)


@cache
def small() -> OptimizeInput:
    return build_input(synthetic_programme(10, 4, 6, seed=7))


# ----- the checker catches broken plans -------------------------------------------------------------

def _solved() -> tuple[OptimizeInput, SourcingTargets, Plan]:
    data = small()
    targets = SourcingTargets(domestic_content=0.15, country_cap=0.85)
    result = optimise(data, targets, EXACT, duals=False)
    assert result.plan is not None
    return data, targets, result.plan


def test_checker_passes_the_optimal_plan_and_agrees_on_its_cost() -> None:
    data, targets, plan = _solved()
    assert check_plan(data, plan, targets) == []
    result = optimise(data, targets, EXACT, duals=False)
    assert plan_cost_usd(data, plan)["total"] == pytest.approx(result.objective_usd, rel=1e-9)


@pytest.mark.parametrize("breakage, rule", [
    ("over_capacity", "capacity"),
    ("unmet_demand", "demand"),
    ("use_before_receipt", "stock"),
    ("unopened", "opening"),
    ("foreign_instead", "domestic-content"),
])
def test_checker_catches_each_kind_of_broken_plan(breakage: str, rule: str) -> None:
    data, targets, plan = _solved()
    buy, use, opened = plan.buy.copy(), plan.use.copy(), plan.opened.copy()
    s, t = np.unravel_index(np.argmax(buy), buy.shape)
    if breakage == "over_capacity":
        buy[s, t] = data.capacity_per_quarter[s] * 1.5 + 1
    elif breakage == "unmet_demand":
        s, t = np.unravel_index(np.argmax(use), use.shape)
        use[s, t] *= 0.5
    elif breakage == "use_before_receipt":
        s = int(np.argmax(use.sum(axis=1)))
        buy[s] = 0.0
    elif breakage == "unopened":
        opened_and_used = np.flatnonzero(data.needs_open & opened & (buy.sum(axis=1) > 0))
        assert len(opened_and_used), "the fixture plan opens no source"
        opened[opened_and_used[0]] = False
    elif breakage == "foreign_instead":  # move every domestic unit onto a foreign source of the same part
        for s_dom in np.flatnonzero(data.source_domestic):
            others = np.flatnonzero((data.source_part == data.source_part[s_dom]) & ~data.source_domestic)
            if len(others):
                buy[others[0]] += buy[s_dom]
                use[others[0]] += use[s_dom]
                buy[s_dom] = 0.0
                use[s_dom] = 0.0
    rules = {v.rule for v in check_plan(data, Plan(buy, use, opened), targets)}
    assert rule in rules


# ----- duals: what relaxing a constraint is worth, checked by re-solving ------------------------------

def test_capacity_dual_matches_a_re_solve_with_more_capacity() -> None:
    tw = {"part": 0, "site": "tw", "country": "TW", "price": 100.0, "freight": 3.0, "capacity": 60}
    mx = {"part": 0, "site": "mx", "country": "MX", "price": 110.0, "capacity": 30}
    us = {"part": 0, "site": "us", "country": "US", "price": 130.0}
    data = make_input(parts=["cold-plate"], quarters=["2027Q1", "2027Q2"], parts_per_rack=[[1.0]],
                      racks=[[100, 100]], sources=[tw, mx, us])
    result = optimise(data, SourcingTargets(), EXACT)
    (binding,) = [b for b in result.binding if b.kind == "capacity" and b.where["site"] == "tw"]
    assert binding.message.startswith("5 more")  # a tenth of 60 rounded down to 1, 2 or 5 × 10^k
    more = dataclasses.replace(data, capacity_per_quarter=data.capacity_per_quarter + np.array([5.0, 0, 0]))
    saved = result.objective_usd - optimise(more, SourcingTargets(), EXACT).objective_usd
    assert saved == pytest.approx(5 * 27 * 2)  # each TW unit replaces a US one (130 − 103), both quarters
    assert binding.worth_usd == pytest.approx(saved, rel=1e-9)


def test_domestic_content_dual_matches_a_re_solve_one_point_higher() -> None:
    data = small()
    base = SourcingTargets(domestic_content=0.15)
    result = optimise(data, base, EXACT)
    rows = [b for b in result.binding if b.kind == "domestic-content"]
    assert rows, "the target should bind"
    predicted = -sum(b.worth_usd for b in rows)  # cost of one point more on every binding row
    higher = optimise(data, SourcingTargets(domestic_content=0.16), EXACT)
    actual = higher.objective_usd - result.objective_usd
    # first-order estimate: exact while the basis holds, else an under-estimate of a convex cost
    assert actual == pytest.approx(predicted, rel=0.25) or actual >= predicted


# ----- the sourcing module's own code agrees ------------------------------------------------------------

def test_domestic_content_of_a_plan_equals_the_sourcing_modules_figure() -> None:
    _, data = reference()
    targets = SourcingTargets(domestic_content={2028: 0.2}, domestic_categories=FOCUS, critical_max_source_share=None)
    result = optimise(data, targets)
    assert result.plan is not None and data.sourcing is not None
    by_sourcing = {(r["design"], r["year"]): r["domestic_share"] for r in result.domestic_content()}
    independent = domestic_shares(data, result.plan, FOCUS)
    assert by_sourcing.keys() == independent.keys()
    for key, value in independent.items():
        assert by_sourcing[key] == pytest.approx(value, abs=1e-9)
    for (_design, year), value in by_sourcing.items():
        if year == 2028:
            assert value >= 0.2 - 1e-9
    assert check_plan(data, result.plan, targets) == []


def test_whole_rack_content_matches_the_sourcing_module_too() -> None:
    _, data = reference()
    result = optimise(data, SourcingTargets(critical_max_source_share=None), duals=False)
    assert result.plan is not None
    ours = domestic_shares(data, result.plan)
    for row in result.domestic_content():
        assert row["domestic_share"] == pytest.approx(ours[row["design"], row["year"]], abs=1e-9)
        assert row["rule_threshold"] == pytest.approx(0.65)  # FAR 25.101 in 2027-2028


def test_targets_from_the_far_rule() -> None:
    from rackforge.schema.rules import builtin_rules

    rule = builtin_rules()["far-25.101"]
    targets = SourcingTargets.from_rule(rule, [2027, 2029])
    assert targets.domestic_target(2027) == pytest.approx(0.65 + 1e-6)  # "exceeds": strictly more
    assert targets.domestic_target(2029) == pytest.approx(0.75 + 1e-6)
    assert targets.domestic_target(2028) is None


# ----- infeasibility explained ---------------------------------------------------------------------------

def test_conflicting_targets_are_named_with_amounts() -> None:
    # TW is cheap and foreign, US domestic but capped at 40 units; a 70 % country cap and a 50 % domestic
    # target each hold alone, but 100 units need ≥ 50 % US by cost and ≤ 70 % from any one country
    tw = {"part": 0, "site": "tw", "country": "TW", "price": 100.0}
    us = {"part": 0, "site": "us", "country": "US", "price": 100.0, "capacity": 40}
    data = make_input(parts=["cold-plate"], quarters=["2027Q1"], parts_per_rack=[[1.0]], racks=[[100]],
                      sources=[tw, us])
    assert optimise(data, SourcingTargets(country_cap=0.7)).plan is not None
    result = optimise(data, SourcingTargets(domestic_content=0.5, country_cap=0.7))
    assert result.status == "infeasible" and result.explanation is not None
    exp = result.explanation
    assert exp.impossible_alone == ["domestic content"]  # 40 % is the most the US can reach
    (miss,) = [v for v in exp.violations if v.family == "domestic content"]
    assert miss.amount == pytest.approx(10.0, abs=1e-6)  # points short: 50 % target, 40 % reachable


def test_two_targets_that_conflict_are_reported_as_a_pair() -> None:
    tw = {"part": 0, "site": "tw", "country": "TW", "price": 100.0}
    us = {"part": 0, "site": "us", "country": "US", "price": 100.0}
    data = make_input(parts=["cold-plate"], quarters=["2027Q1"], parts_per_rack=[[1.0]], racks=[[100]],
                      sources=[tw, us], critical=[True])
    # ≥ 95 % domestic and ≤ 90 % from any one source cannot both hold with one US source
    result = optimise(data, SourcingTargets(domestic_content=0.95, critical_max_source_share=0.9))
    assert result.explanation is not None
    assert result.explanation.conflicts == [
        "domestic content and two sources for critical parts conflict: each can be met alone, not both"]


def test_capacity_shortfall_is_explained_in_units() -> None:
    tw = {"part": 0, "site": "tw", "country": "TW", "price": 100.0, "capacity": 70}
    data = make_input(parts=["cold-plate"], quarters=["2027Q1"], parts_per_rack=[[1.0]], racks=[[100]], sources=[tw])
    result = optimise(data, SourcingTargets())
    assert result.explanation is not None
    assert result.explanation.impossible_alone == ["the build plan (capacity and opening dates of the sources)"]
    (miss,) = result.explanation.violations
    assert miss.amount == pytest.approx(30.0) and "30 of the 100 cold-plate" in miss.message


# ----- invariants ------------------------------------------------------------------------------------------

@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(low=st.floats(0.0, 0.2), step=st.floats(0.0, 0.1))
def test_cost_never_falls_as_the_domestic_target_rises(low: float, step: float) -> None:
    data = small()
    a = optimise(data, SourcingTargets(domestic_content=low), EXACT, duals=False, explain=False)
    b = optimise(data, SourcingTargets(domestic_content=low + step), EXACT, duals=False, explain=False)
    if b.plan is None:
        return
    assert a.plan is not None
    assert b.objective_usd >= a.objective_usd * (1 - 1e-9)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(factor=st.floats(0.1, 10.0))
def test_scaling_every_price_scales_the_cost(factor: float) -> None:
    data = small()
    network = data.sourcing.calculator.network
    network = network.with_sources(price_usd=network.price_usd * factor, freight_usd=network.freight_usd * factor,
                                   duty_usd=network.duty_usd * factor,
                                   reference_price_usd=network.reference_price_usd * factor)
    scaled = dataclasses.replace(
        data, price_usd=data.price_usd * factor, freight_usd=data.freight_usd * factor,
        duty_usd=data.duty_usd * factor, open_cost_usd=data.open_cost_usd * factor,
        sourcing=data.sourcing.with_network(network))
    targets = SourcingTargets(domestic_content=0.1)
    a = optimise(data, targets, EXACT, duals=False, explain=False)
    b = optimise(scaled, targets, EXACT, duals=False, explain=False)
    assert b.objective_usd == pytest.approx(a.objective_usd * factor, rel=1e-6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=st.floats(0.0, 2.0), which=st.integers(0, 10_000))
def test_more_capacity_never_costs_more(extra: float, which: int) -> None:
    data = small()
    s = which % data.n_sources
    cap = data.capacity_per_quarter.copy()
    cap[s] *= 1 + extra
    a = optimise(data, SourcingTargets(domestic_content=0.1), EXACT, duals=False, explain=False)
    b = optimise(dataclasses.replace(data, capacity_per_quarter=cap), SourcingTargets(domestic_content=0.1), EXACT,
                 duals=False, explain=False)
    assert b.objective_usd <= a.objective_usd * (1 + 1e-9)
