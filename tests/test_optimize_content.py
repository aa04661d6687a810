"""Domestic content in the optimiser is the sourcing module's calculator, under every shipped rule.

On small random programmes (hypothesis over :func:`rackforge.optimize.synthetic.synthetic_programme`,
some parts left with no usable source so unknown origins count) and random plans:

- the calculator's coefficients (:class:`~rackforge.sourcing.domestic.ContentCoefficients`) give the
  calculator's own domestic and total value;
- each ``domestic_content`` row of the model, at the plan, equals the calculator's domestic − target ×
  total value per rack (regional value content: (D + vC) − τ (1 + v) C);
- the domestic shares the solver reports for the plan it returns, and those of the feasibility
  re-check, equal the calculator's evaluation of that plan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimize_cases import make_input
from rackforge.io.loader import load_programme
from rackforge.optimize import OptimizeInput, SourcingTargets, build_input, optimise
from rackforge.optimize.feasibility import check_plan, domestic_shares
from rackforge.optimize.highs import SolveOptions
from rackforge.optimize.model import build_model, domestic_row_factor
from rackforge.optimize.solve import Plan
from rackforge.optimize.synthetic import synthetic_programme
from rackforge.schema import Programme, Qualification
from rackforge.schema.rules import DomesticContentRule, builtin_rules

EXACT = SolveOptions(mip_rel_gap=0.0, time_limit_s=30)
CATEGORIES = ("compute", "memory", "networking", "optics", "cabling", "cooling", "power", "mechanical", "board")


def rules() -> list[DomesticContentRule]:
    """Every shipped rule, and FAR 25.101 with unknown origins left out of both sums."""
    shipped = list(builtin_rules().values())
    far = builtin_rules()["far-25.101"]
    return [*shipped, far.model_copy(update={"id": "far-unknown-excluded", "unknown_origin": "excluded"})]


RULE_IDS = [r.id for r in rules()]


@cache
def programme(seed: int, n_parts: int, n_quarters: int, orphan: int) -> Programme:
    """A small synthetic programme; part ``orphan`` (if in range) has no source and part ``orphan + 1`` only
    disqualified ones and no reference price, so their supply is of unknown origin."""
    base = synthetic_programme(n_parts, 3, n_quarters, seed=seed)
    ids = list(base.catalog.parts)
    if orphan >= len(ids) - 1:
        return base
    gone, disqualified = ids[orphan], ids[orphan + 1]
    sources = tuple(s.model_copy(update={"qualification": Qualification.DISQUALIFIED, "qualified_date": None})
                    if s.part == disqualified else s for s in base.sources if s.part != gone)
    parts = dict(base.catalog.parts)
    parts[disqualified] = parts[disqualified].model_copy(update={"reference_price_usd": None})
    return base.model_copy(update={"sources": sources, "catalog": base.catalog.model_copy(update={"parts": parts})})


@cache
def problem(seed: int, n_parts: int, n_quarters: int, orphan: int, rule_id: str) -> OptimizeInput:
    rule = next(r for r in rules() if r.id == rule_id)
    return build_input(programme(seed, n_parts, n_quarters, orphan), rule=rule)


def random_plan(data: OptimizeInput, rng: np.random.Generator) -> Plan:
    """Every quarter's demand of each sourced part split at random over its sources (some get nothing);
    received when used."""
    use = np.zeros((data.n_sources, data.n_quarters))
    for p in range(data.n_parts):
        rows = np.flatnonzero(data.source_part == p)
        if not len(rows):
            continue
        weights = rng.random((len(rows), data.n_quarters)) * (rng.random((len(rows), 1)) < 0.7)
        weights[rng.integers(len(rows))] += 1e-3
        use[rows] = weights / weights.sum(axis=0) * data.demand[p]
    return Plan(use.copy(), use, np.ones(data.n_sources, dtype=bool))


def yearly_mix_shares(data: OptimizeInput, plan: Plan) -> np.ndarray:
    """Each year's supply mix as share vectors over the calculator's network rows (Y, network rows)."""
    ctx = data.sourcing
    use_y = plan.use @ data.quarter_in_year  # (S, Y)
    per_part = np.zeros((data.n_parts, len(data.years)))
    np.add.at(per_part, data.source_part, use_y)
    mix = np.divide(use_y, per_part[data.source_part], out=np.zeros_like(use_y), where=per_part[data.source_part] > 0)
    shares = np.zeros((len(data.years), ctx.calculator.network.n_sources))
    shares[:, ctx.network_row] = mix.T
    return shares


def calculator_values(data: OptimizeInput, plan: Plan, categories: tuple[str, ...] | None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Domestic and total value per rack by the calculator itself (D + vC and (1 + v) C), (designs, years)."""
    calc = data.sourcing.calculator
    shares = yearly_mix_shares(data, plan)
    if categories is None:
        dom, tot = calc.evaluate(shares)
    else:
        cat_dom, cat_tot = calc.evaluate_by_category(shares)
        keep = np.isin(np.array(calc.structure.categories), np.array(categories))
        dom, tot = cat_dom[..., keep].sum(axis=-1), cat_tot[..., keep].sum(axis=-1)
    v = calc.value_added_fraction
    rows = data.sourcing.design_row
    return (dom + v * tot)[:, rows].T, ((1 + v) * tot)[:, rows].T


def row_activity(data: OptimizeInput, targets: SourcingTargets, plan: Plan, stock: str) -> dict[tuple[int, int], float]:
    """Σ a·x − lower of each ``domestic_content`` row at the plan {(design, year): USD/rack} (each row is
    over the design's racks of the year, :func:`~rackforge.optimize.model.domestic_row_factor`)."""
    m = build_model(data, targets, stock=stock)
    x = np.zeros(m.n_cols)
    x[m.variables["buy"].ids] = plan.buy
    if stock == "source":
        x[m.variables["use"].ids] = plan.use
        x[m.variables["source_stock"].ids] = plan.stock
    a = m.matrix().tocsr()
    definition = m.constraints.get("domestic_excess_def")  # none when no part in the scope has a source
    if definition is not None:
        excess = m.variables["domestic_excess"].ids[definition.index[:, 0], definition.index[:, 1]]
        x[excess] = (a @ x)[definition.start:definition.start + definition.n_rows]
    block = m.constraints["domestic_content"]
    activity = (a @ x)[block.start:block.start + block.n_rows] - block.lower
    racks = domestic_row_factor(data)[block.index[:, 0], block.index[:, 1]]
    return {(int(d), int(y)): float(v) for (d, y), v in zip(block.index, activity / racks, strict=True)}


problems = st.tuples(st.integers(0, 10_000), st.integers(4, 9), st.sampled_from([4, 8]), st.integers(0, 9),
                     st.sampled_from(RULE_IDS))
scopes = st.one_of(st.none(), st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=4, unique=True).map(tuple))


# ----- the coefficients are the calculator ---------------------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=problems, categories=scopes, seed=st.integers(0, 2**32 - 1))
def test_coefficients_give_the_calculators_values(case: tuple[int, int, int, int, str],
                                                 categories: tuple[str, ...] | None, seed: int) -> None:
    data = problem(*case)
    plan = random_plan(data, np.random.default_rng(seed))
    coef = data.sourcing.calculator.content_coefficients(categories=categories)
    dom, tot = coef.per_rack(yearly_mix_shares(data, plan))  # (Y, designs)
    want_dom, want_tot = calculator_values(data, plan, categories)
    rows = data.sourcing.design_row
    built = data.racks_per_year > 0  # every part of such a design is supplied that year: covered
    np.testing.assert_allclose(dom[:, rows].T[built], want_dom[built], rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(tot[:, rows].T[built], want_tot[built], rtol=1e-12, atol=1e-6)


# ----- the model's rows are the calculator's content test -----------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=problems, categories=scopes, tau=st.floats(0.0, 0.95), stock=st.sampled_from(["source", "pooled"]),
       seed=st.integers(0, 2**32 - 1))
def test_model_rows_equal_the_calculators_content_test(case: tuple[int, int, int, int, str],
                                                       categories: tuple[str, ...] | None, tau: float, stock: str,
                                                       seed: int) -> None:
    data = problem(*case)
    targets = SourcingTargets(domestic_content=tau, domestic_categories=categories, critical_max_source_share=None)
    plan = random_plan(data, np.random.default_rng(seed))
    dom, tot = calculator_values(data, plan, categories)
    in_scope = data.sourcing.calculator.scope(categories)[data.sourcing.part_column]
    tested = (data.parts_per_rack * in_scope).sum(axis=1) > 0  # designs with parts in the scope
    expected = {(int(d), int(y)) for d, y in np.argwhere((data.racks_per_year > 0) & tested[:, None])}
    if not expected:
        return
    activity = row_activity(data, targets, plan, stock)
    assert set(activity) == expected
    for (d, y), value in activity.items():
        assert value == pytest.approx(dom[d, y] - tau * tot[d, y], rel=1e-9, abs=1e-6 * max(1.0, tot[d, y]))


# ----- what the solver reports is the calculator's evaluation of its plan ---------------------------------

@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=problems, categories=scopes, tau=st.sampled_from([None, 0.0, 0.05, 0.15]))
def test_reported_domestic_shares_are_the_calculators_evaluation_of_the_plan(
        case: tuple[int, int, int, int, str], categories: tuple[str, ...] | None, tau: float | None) -> None:
    data = problem(*case)
    targets = SourcingTargets(domestic_content=tau, domestic_categories=categories, critical_max_source_share=None)
    result = optimise(data, targets, EXACT, duals=False, explain=False)
    if result.plan is None:
        return
    dom, tot = calculator_values(data, result.plan, categories)
    # the calculator's definition: a zero total (every part of unknown origin, excluded by the rule)
    # gives a share of 0 (sourcing.domestic.content_share); a design with no part in the scope is not tested
    in_scope = data.sourcing.calculator.scope(categories)[data.sourcing.part_column]
    tested = (data.parts_per_rack * in_scope).sum(axis=1) > 0
    by_calculator = {(str(data.design_ids[d]), int(data.years[y])): dom[d, y] / tot[d, y] if tot[d, y] > 0 else 0.0
                     for d, y in np.argwhere((data.racks_per_year > 0) & tested[:, None])}
    reported = {(r["design"], r["year"]): r["domestic_share"] for r in result.domestic_content()}
    assert reported.keys() == by_calculator.keys()
    totals = {(str(data.design_ids[d]), int(data.years[y])): tot[d, y] for d, y in np.argwhere(tot > 0)}
    for key, share in by_calculator.items():
        assert reported[key] == pytest.approx(share, abs=1e-12)
        if tau is not None and key in totals:  # a zero total has nothing to test: V ≥ τT holds as 0 ≥ 0
            assert share >= tau - 1e-9
    rechecked = domestic_shares(data, result.plan, categories)
    assert rechecked.keys() == by_calculator.keys()
    for key, share in by_calculator.items():
        assert rechecked[key] == pytest.approx(share, abs=1e-12)
    assert check_plan(data, result.plan, targets) == []


# ----- the explanation's points are points of the rule's content -----------------------------------------

@pytest.mark.parametrize("rule_id", ["far-25.101", "usmca-rvc-tv"])
def test_least_violating_plans_shortfall_is_in_points_of_the_rules_content(rule_id: str) -> None:
    # regional value content: a slack of s USD in the row is s / ((1 + v) C) points, not s / C
    from rackforge.optimize.explain import least_violation, violations
    from rackforge.optimize.solve import plan_from_solution

    rule = builtin_rules()[rule_id]
    data = build_input(load_programme(None), rule=rule)
    targets = SourcingTargets.from_rule(rule, [int(y) for y in data.years], critical_max_source_share=None)
    _, model, raw = least_violation(data, targets, SolveOptions(), relax=True)
    assert raw.x is not None
    plan = plan_from_solution(model, data, raw.x)
    dom, tot = calculator_values(data, plan, None)
    misses = [v for v in violations(model, data, targets, raw.x) if v.family == "domestic content"]
    assert misses
    for miss in misses:
        d = list(data.design_ids).index(miss.where["design"])
        y = list(data.years).index(miss.where["year"])
        reached = dom[d, y] / tot[d, y]
        assert miss.amount == pytest.approx(100 * ((targets.domestic_target(miss.where["year"]) or 0) - reached),
                                            abs=1e-6)


# ----- availability is core's start date ------------------------------------------------------------------------

def test_the_recheck_reads_availability_from_cores_start_date() -> None:
    # a qualified source whose site starts production on 16 May ships nothing in Q1, 46/91 of Q2
    tw = {"part": 0, "site": "tw", "country": "TW", "price": 100.0, "capacity": 10.0}
    us = {"part": 0, "site": "us", "country": "US", "price": 130.0, "capacity": 10.0}
    data = make_input(parts=["cold-plate"], quarters=["2027Q1", "2027Q2"], parts_per_rack=[[1.0]],
                      racks=[[10, 10]], sources=[tw, us])
    late = dataclasses.replace(data, operational_from=(None, dt.date(2027, 5, 16)))
    np.testing.assert_allclose(late.available_fraction[1], [0.0, 46 / 91])
    plan = Plan(np.array([[5.0, 5.0], [5.0, 5.0]]), np.array([[5.0, 5.0], [5.0, 5.0]]), np.ones(2, dtype=bool))
    assert check_plan(data, plan, SourcingTargets()) == []
    broken = {(v.rule, v.where) for v in check_plan(late, plan, SourcingTargets())}
    assert broken == {("capacity", "cold-plate@us 2027Q1")}
