"""The optimiser at scale: minimum orders on sources that ship more than 1e5 units a quarter.

HiGHS replaces the upper bound of a semi-continuous variable above about 1e5; the old model (MOQs as
semi-continuous ``buy``) stopped with kSolveError on this case. Minimum orders are now explicit
binaries (buy ≥ moq · order, buy ≤ capacity · order).
"""

from __future__ import annotations

import numpy as np
import pytest

from optimize_cases import make_input
from rackforge.optimize import SourcingTargets, optimise
from rackforge.optimize.feasibility import check_plan, plan_cost_usd
from rackforge.optimize.highs import SolveOptions

TW = {"part": 0, "site": "tw-fab", "country": "TW", "price": 100.0, "freight": 3.0,
      "capacity": 500_000, "moq": 150_000}
US = {"part": 0, "site": "us-fab", "country": "US", "price": 130.0, "capacity": 400_000, "moq": 20_000}
QUARTERS = ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]


def big_input(demand: list[float]):
    return make_input(parts=["cold-plate"], quarters=QUARTERS, parts_per_rack=[[1.0]], racks=[demand],
                      sources=[TW, US])


def test_minimum_order_above_1e5_units_gives_the_hand_optimum() -> None:
    # everything from TW (103 $/unit, stock free): 670,000 units; Q1 needs 120,000 < MOQ 150,000, so
    # the first order is the MOQ and the surplus is used in Q2
    data = big_input([120_000, 300_000, 50_000, 200_000])
    result = optimise(data, SourcingTargets())
    assert result.status == "optimal"
    assert result.plan is not None
    assert result.objective_usd == pytest.approx(670_000 * 103.0, rel=1e-6)
    assert check_plan(data, result.plan, SourcingTargets()) == []
    assert plan_cost_usd(data, result.plan)["total"] == pytest.approx(result.objective_usd, rel=1e-6)
    placed = result.plan.buy[result.plan.buy > 1e-6]
    assert np.all(placed >= 20_000 - 1e-6)
    assert result.plan.buy[0, 0] >= 150_000 - 1e-6


def test_a_domestic_target_at_scale_splits_orders_that_respect_both_moqs() -> None:
    data = big_input([200_000, 200_000, 200_000, 200_000])
    targets = SourcingTargets(domestic_content=0.3)
    result = optimise(data, targets)
    assert result.status == "optimal" and result.plan is not None
    assert check_plan(data, result.plan, targets) == []
    # 130 u ≥ 0.3 (130 u + 103 (D − u)) per year: u = 0.3·103·D / (130 − 0.3·130 + 0.3·103)
    demand = 800_000
    us_units = 0.3 * 103 * demand / (0.7 * 130 + 0.3 * 103)
    assert result.objective_usd == pytest.approx(103 * demand + 27 * us_units, rel=1e-3)


def test_the_model_reports_its_size_and_coefficient_range() -> None:
    result = optimise(big_input([120_000, 300_000, 50_000, 200_000]), SourcingTargets(),
                      SolveOptions(time_limit_s=30))
    size = result.model_size
    assert size["order_binaries"] == 8
    assert 1.0 <= size["coefficient_range"] < 1e7


def test_a_time_limit_hit_gives_the_best_plan_with_its_gap_in_domain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    import rackforge.optimize.solve as solve_mod

    real = solve_mod.solve
    calls = []

    def stopped_early(model, options, **overrides):
        raw = real(model, options, **overrides)
        calls.append(overrides)
        if "integrality" in overrides:  # an LP (the warm start's relaxation, the duals): as HiGHS gives it
            return raw
        return replace(raw, status="feasible", highs_status="kTimeLimit", mip_gap=0.0123)

    monkeypatch.setattr(solve_mod, "solve", stopped_early)
    result = optimise(big_input([120_000, 300_000, 50_000, 200_000]), SourcingTargets(),
                      SolveOptions(time_limit_s=7, mip_rel_gap=0.001))
    assert result.plan is not None and result.status == "feasible"
    assert "time limit of 7 s reached" in result.status_message
    assert "1.230%" in result.status_message
    out = result.to_dict()
    assert out["mip_gap"] == pytest.approx(0.0123)
    assert out["time_limit_s"] == 7 and out["gap_limit"] == 0.001
    assert out["solve_time_s"] >= 0 and out["status_message"] == result.status_message


def test_an_optimal_plan_reports_status_gap_and_time() -> None:
    out = optimise(big_input([120_000, 300_000, 50_000, 200_000]), SourcingTargets()).to_dict()
    assert out["status"] == "optimal" and out["status_message"].startswith("least-cost plan")
    assert out["mip_gap"] is not None and out["solve_time_s"] >= 0 and out["time_limit_s"] == 120


def test_the_report_curve_bisects_once_and_solves_its_foot_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary curve (as the report's optimiser section asks for it) runs one bisection for the
    reachable target and one least-cost solve with no target: each used to be solved twice."""
    import rackforge.optimize.highs as highs_mod
    import rackforge.optimize.sweep as sweep_mod
    from rackforge import api
    from rackforge.io.loader import load_programme

    bisections, highs_runs = [], []
    real_bisect, real_run = sweep_mod.max_achievable_target, highs_mod.run

    def counted_bisect(*args, **kwargs):
        bisections.append(1)
        return real_bisect(*args, **kwargs)

    def counted_run(*args, **kwargs):
        highs_runs.append(1)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(sweep_mod, "max_achievable_target", counted_bisect)
    monkeypatch.setattr(highs_mod, "run", counted_run)
    answer = api.optimize_sweep(load_programme(None), points=4, scenarios=0)
    assert len(bisections) == 1
    assert answer.curve.max_achievable_target is not None
    assert answer.curve.base_cost_usd == pytest.approx(answer.least_cost.result.objective_usd)
    print(f"HiGHS runs for the summary curve: {len(highs_runs)}")


def _old_group_rows(keys):
    """The former grouping: a row-wise np.unique."""
    if len(keys) == 0:
        return keys.reshape(0, keys.shape[1] if keys.ndim == 2 else 1), np.zeros(0, dtype=np.int64)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    return uniq, inverse.ravel()


@pytest.mark.parametrize("scope", ["part", "category"])
def test_country_cap_rows_are_those_of_the_row_wise_grouping(scope: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import rackforge.optimize.model as model_mod
    from rackforge.optimize import build_input
    from rackforge.optimize.synthetic import synthetic_programme

    data = build_input(synthetic_programme(12, 4, 8, seed=3))
    targets = SourcingTargets(country_cap=0.6, cap_scope=scope, critical_max_source_share=0.9)  # type: ignore[arg-type]
    new = model_mod.build_model(data, targets)
    monkeypatch.setattr(model_mod, "_group_rows", _old_group_rows)
    old = model_mod.build_model(data, targets)
    for name in ("country_cap_part", "country_cap_category", "critical_share"):
        assert (name in new.constraints) == (name in old.constraints)
        if name in new.constraints:
            np.testing.assert_array_equal(new.constraints[name].index, old.constraints[name].index)
            np.testing.assert_array_equal(new.constraints[name].upper, old.constraints[name].upper)
    assert (new.matrix() != old.matrix()).nnz == 0
    np.testing.assert_array_equal(new.row_upper, old.row_upper)


def test_grouping_packs_rows_in_lexicographic_order() -> None:
    from rackforge.optimize.model import _group_rows

    rng = np.random.default_rng(1)
    keys = rng.integers(0, [5, 3, 7], size=(400, 3))
    uniq, row = _group_rows(keys)
    ref_uniq, ref_row = _old_group_rows(keys)
    np.testing.assert_array_equal(uniq, ref_uniq)
    np.testing.assert_array_equal(row, ref_row)


def test_a_solve_out_of_time_leaves_the_curve_standing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bisection step or a curve point whose solve reaches the time limit with no plan counts as not
    reachable / is reported as such, instead of taking the whole curve (and the report section) down."""
    import rackforge.optimize.highs as highs_mod
    import rackforge.optimize.sweep as sweep_mod
    from rackforge.optimize.highs import RawSolution
    from rackforge.optimize.starts import find_plan
    from rackforge.optimize.sweep import KnownAnswers, sweep

    def out_of_time(*_a, **_k):  # every HiGHS run, LP or MIP, stops at the time limit with nothing
        return RawSolution("no-solution", "kTimeLimit", None, None, None, float("nan"), float("nan"), 1.0)

    monkeypatch.setattr(highs_mod, "run", out_of_time)
    data = big_input([120_000, 300_000, 50_000, 200_000])
    assert find_plan(data, SourcingTargets(domestic_content=0.1), SolveOptions()) is None
    assert sweep_mod.max_achievable_target(data, SourcingTargets(), SolveOptions()) is None
    curve = sweep(data, SourcingTargets(), domestic_targets=[0.1, 0.2],
                  known=KnownAnswers(base_solved=True, base_cost_usd=1.0, best_solved=True,
                                     max_achievable_target=0.3))
    assert [p.status for p in curve.points] == ["no plan in time", "no plan in time"]
    assert all(p.cost_usd is None and "time limit" in (p.explanation or "") for p in curve.points)


def warm_start_case():
    """One part, three sources of $50 a unit (one planned, ready from 2027-10-01), one unit needed in
    2028Q1, 30 % domestic content (hypothesis found it): HiGHS 1.16 valued the rounded start at $15 in its
    presolved model and stopped there, reporting $15 for a plan that costs $50."""
    sources = [{"part": 0, "site": "us-1", "country": "US", "price": 50.0, "capacity": 1.0},
               {"part": 0, "site": "us-2", "country": "US", "price": 50.0, "capacity": 1.0, "needs_open": True,
                "ready": __import__("datetime").date(2027, 10, 1)},
               {"part": 0, "site": "tw", "country": "TW", "price": 50.0, "capacity": 1.0}]
    data = make_input(parts=["cold-plate"], quarters=["2027Q4", "2028Q1"], parts_per_rack=[[1.0]], racks=[[0, 1]],
                      sources=sources)
    return data, SourcingTargets(domestic_content=0.3, critical_max_source_share=None)


@pytest.mark.parametrize("stock", ["source", "pooled"])
def test_a_warm_start_never_changes_the_cost_reported(stock: str) -> None:
    data, targets = warm_start_case()
    exact = SolveOptions(mip_rel_gap=0.0, time_limit_s=30)
    warm = optimise(data, targets, exact, stock=stock, duals=False, explain=False)
    cold = optimise(data, targets, exact, stock=stock, duals=False, explain=False, warm_start=False)
    assert warm.plan is not None and cold.plan is not None
    assert warm.objective_usd == pytest.approx(50.0) == cold.objective_usd  # one unit at $50, whoever makes it
    assert plan_cost_usd(data, warm.plan)["total"] == pytest.approx(warm.objective_usd)
    assert "start" in warm.timings_s and "start" not in cold.timings_s


def test_the_guard_recomputes_the_objective_from_the_solution() -> None:
    from dataclasses import replace

    from rackforge.optimize.model import build_model
    from rackforge.optimize.solve import solve
    from rackforge.optimize.starts import objective_agrees

    data, targets = warm_start_case()
    model = build_model(data, targets)
    raw = solve(model, SolveOptions())
    assert raw.x is not None and objective_agrees(model, raw)
    assert not objective_agrees(model, replace(raw, objective=raw.objective - 35.0))
