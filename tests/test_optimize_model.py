"""The sourcing MIP against hand calculations, and the data read from a programme."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from optimize_cases import make_input
from rackforge.io.loader import load_programme
from rackforge.optimize import SourcingTargets, build_input, optimise
from rackforge.optimize.data import NEVER, available_fraction, ready_date
from rackforge.optimize.feasibility import check_plan, plan_cost_usd
from rackforge.optimize.model import build_model
from rackforge.optimize.synthetic import synthetic_programme

TW = {"part": 0, "site": "tw-fab", "country": "TW", "price": 100.0, "freight": 3.0}
US = {"part": 0, "site": "us-fab", "country": "US", "price": 130.0}


def one_part(*sources: dict[str, object], demand: list[float], quarters: list[str] | None = None, **kw: object):
    quarters = quarters or [f"2027Q{i + 1}" for i in range(len(demand))]
    return make_input(parts=["cold-plate"], quarters=quarters, parts_per_rack=[[1.0]], racks=[demand],
                      sources=list(sources), **kw)  # type: ignore[arg-type]


def test_cheapest_source_takes_everything_without_targets() -> None:
    data = one_part(TW, US, demand=[10])
    result = optimise(data, SourcingTargets())
    assert result.status == "optimal"
    assert result.objective_usd == pytest.approx(10 * 103.0)
    assert result.plan is not None and result.plan.buy[0, 0] == pytest.approx(10)


def test_domestic_target_by_hand() -> None:
    # 130 u ≥ 0.5 (130 u + 103 (10 − u))  ->  u = 515 / 116.5 units from the US
    data = one_part(TW, US, demand=[10])
    result = optimise(data, SourcingTargets(domestic_content=0.5))
    us_units = 515 / 116.5
    assert result.plan is not None
    assert result.plan.buy[1, 0] == pytest.approx(us_units, rel=1e-7)
    assert result.objective_usd == pytest.approx(1030 + 27 * us_units, rel=1e-9)
    (row,) = result.domestic_content()
    assert row["domestic_share"] == pytest.approx(0.5, abs=1e-9)


def test_capacity_pushes_to_dearer_source_and_its_dual_prices_one_more_unit() -> None:
    data = one_part({**TW, "capacity": 6}, US, demand=[10])
    result = optimise(data, SourcingTargets())
    assert result.objective_usd == pytest.approx(6 * 103 + 4 * 130)
    (binding,) = [b for b in result.binding if b.kind == "capacity"]
    assert binding.where["site"] == "tw-fab"
    assert binding.dual == pytest.approx(-27.0)  # one more TW unit replaces one US unit
    assert binding.worth_usd == pytest.approx(27.0 * 1)  # step: a tenth of 6 units rounds to 1


def test_stock_carried_forward_at_holding_cost_when_capacity_is_short_later() -> None:
    # quarter 2 needs 10 but TW ships only 5 a quarter; buying 5 early adds a quarter's holding at
    # 5 % of the part's mean landed cost (103 + 130) / 2, still cheaper than 27 more per US unit
    data = one_part({**TW, "capacity": 5}, {**US, "capacity": 100}, demand=[0, 10], holding_rate=0.05)
    result = optimise(data, SourcingTargets())
    assert result.plan is not None
    np.testing.assert_allclose(result.plan.buy[0], [5, 5])
    np.testing.assert_allclose(result.plan.stock[0], [5, 0])
    assert result.objective_usd == pytest.approx(10 * 103 + 5 * 0.05 * 116.5)


def test_minimum_order_forces_a_whole_order_or_nothing() -> None:
    # demand 3; US has MOQ 5: either 3 from TW (cap 2 -> impossible alone) ...
    data = one_part({**TW, "capacity": 2}, {**US, "moq": 5}, demand=[3])
    result = optimise(data, SourcingTargets())
    assert result.plan is not None
    buy_us = result.plan.buy[1, 0]
    assert buy_us == 0 or buy_us >= 5 - 1e-9
    # cheapest: 2 TW + 5 US? no — US alone must cover ≥ 1 unit, so it orders its MOQ of 5
    assert buy_us == pytest.approx(5)
    assert result.objective_usd == pytest.approx(min(2 * 103 + 5 * 130, 5 * 130))
    assert check_plan(data, result.plan, SourcingTargets()) == []


def test_opening_a_source_costs_its_fixed_cost_and_waits_for_its_lead_time() -> None:
    ready = dt.date(2027, 5, 16)  # 2027Q2 has 91 days; 46 remain from 16 May
    us = {**US, "needs_open": True, "open_cost": 500.0, "ready": ready}
    data = one_part({**TW, "capacity": 4}, us, demand=[4, 10])
    np.testing.assert_allclose(data.available_fraction[1], [0.0, 46 / 91])
    result = optimise(data, SourcingTargets())
    assert result.plan is not None and result.plan.opened[1]
    assert result.objective_usd == pytest.approx(8 * 103 + 6 * 130 + 500)
    assert result.plan.buy[1, 0] == 0


def test_not_opening_when_the_fixed_cost_outweighs_the_saving() -> None:
    us = {**US, "price": 90.0, "needs_open": True, "open_cost": 10_000.0}
    data = one_part(TW, us, demand=[10])
    result = optimise(data, SourcingTargets())
    assert result.plan is not None and not result.plan.opened[1]
    assert result.objective_usd == pytest.approx(1030)


def test_country_cap_per_part_by_hand() -> None:
    mx = {"part": 0, "site": "mx-fab", "country": "MX", "price": 110.0}
    data = one_part(TW, mx, US, demand=[10])
    result = optimise(data, SourcingTargets(country_cap=0.6))
    assert result.plan is not None
    np.testing.assert_allclose(result.plan.buy[:, 0], [6, 4, 0], atol=1e-9)
    (binding,) = [b for b in result.binding if b.kind == "country-cap"]
    # one point more of TW (0.1 unit) replaces 0.1 MX unit: saves 0.1 × (110 − 103)
    assert binding.worth_usd == pytest.approx(0.1 * 7)


def test_critical_part_needs_a_second_source() -> None:
    data = one_part(TW, US, demand=[10], critical=[True])
    result = optimise(data, SourcingTargets(critical_max_source_share=0.9))
    assert result.plan is not None
    np.testing.assert_allclose(result.plan.buy[:, 0], [9, 1], atol=1e-9)
    only_one = one_part(TW, demand=[10], critical=[True])
    failed = optimise(only_one, SourcingTargets())
    assert failed.status == "infeasible" and failed.explanation is not None
    assert "critical" in failed.explanation.summary() and "cold-plate" in failed.explanation.summary()


def test_unsourced_part_counts_as_foreign_at_reference_price() -> None:
    # rack = 1 cold plate (sourced) + 1 pump (no source, reference price 100): domestic share ≤ c/(c+100)
    data = make_input(parts=["cold-plate", "pump"], quarters=["2027Q1"], parts_per_rack=[[1.0, 1.0]],
                      racks=[[10]], sources=[TW, US], reference_price_usd=[np.nan, 100.0])
    assert data.unsourced_parts == ["pump"]
    best = optimise(data, SourcingTargets(domestic_content=130 / 230 - 1e-6))
    assert best.status == "optimal" and best.plan is not None
    assert best.plan.buy[1, 0] == pytest.approx(10, rel=1e-5)
    assert optimise(data, SourcingTargets(domestic_content=130 / 230 + 1e-3)).status == "infeasible"


def test_domestic_content_counts_parts_used_in_the_year_not_bought() -> None:
    # Stock bought in 2027 from the US and used in 2028 counts for 2028's racks.
    us = {**US, "capacity": 5}
    data = one_part(TW, us, demand=[0, 10], quarters=["2027Q4", "2028Q1"])
    result = optimise(data, SourcingTargets(domestic_content={2028: 0.9}))
    assert result.plan is not None
    # 130 u ≥ 0.9 (130 u + 103 (10 − u)): u = 927 / 105.7 = 8.77 US units, more than one quarter's 5
    assert result.plan.buy[1].sum() == pytest.approx(927 / 105.7, rel=1e-7)
    assert result.plan.buy[1, 0] == pytest.approx(5)
    (row,) = result.domestic_content()
    assert row["year"] == 2028 and row["domestic_share"] >= 0.9 - 1e-9
    assert check_plan(data, result.plan, SourcingTargets(domestic_content={2028: 0.9})) == []


def test_objective_equals_independent_cost_and_plan_passes_check() -> None:
    data = build_input(synthetic_programme(12, 4, 6, seed=3))
    targets = SourcingTargets(domestic_content=0.2, country_cap=0.8)
    result = optimise(data, targets)
    assert result.plan is not None
    assert plan_cost_usd(data, result.plan)["total"] == pytest.approx(result.objective_usd, rel=1e-6)
    assert check_plan(data, result.plan, targets) == []


# ----- data from a programme -------------------------------------------------------------------

def test_build_input_from_the_mini_programme(mini: Path) -> None:
    data = build_input(load_programme(mini))
    assert list(data.quarters) == ["2027Q1", "2027Q2"]
    demand = dict(zip(data.part_ids, data.demand, strict=True))
    # mini-rack = 4 trays × (2 boards + 4 cold plates) + 2 shelves; 2 then 3 racks
    np.testing.assert_allclose(demand["mini-gpu-board"], [16, 24])
    np.testing.assert_allclose(demand["mini-cold-plate"], [32, 48])
    np.testing.assert_allclose(demand["mini-shelf"], [4, 6])
    # no trade lane TW->US in the mini programme: zero freight and duty, with a note saying so
    assert any("TW->US" in note for note in data.notes)
    assert data.source_domestic.tolist() == [False, True, True]


def test_trade_lane_freight_and_duty(mini: Path) -> None:
    (mini / "trade.yaml").write_text(
        "trade:\n  - {origin: TW, destination: US, freight_rate: 0.04, duty_rate: 0.025, "
        "source: 'estimate: test lane for the optimiser'}\n")
    data = build_input(load_programme(mini))
    board = list(data.part_ids[data.source_part]).index("mini-gpu-board")
    assert data.freight_usd[board] == pytest.approx(0.04 * 60000)
    assert data.duty_usd[board] == pytest.approx(0.025 * 60000)
    assert data.landed_cost_usd[board] == pytest.approx(60000 * 1.065)
    assert not data.notes


def test_available_fraction_and_ready_date() -> None:
    quarters = ["2027Q1", "2027Q2", "2027Q3"]
    np.testing.assert_allclose(available_fraction(dt.date(2027, 4, 1), quarters), [0, 1, 1])
    np.testing.assert_allclose(available_fraction(dt.date(2027, 3, 31), quarters), [1 / 90, 1, 1])
    np.testing.assert_allclose(available_fraction(None, quarters), [1, 1, 1])
    np.testing.assert_allclose(available_fraction(NEVER, quarters), [0, 0, 0])
    # a planned source: the later of its expected date and the decision + its opening lead time
    planned = {"qualified_date": dt.date(2027, 2, 1), "operational_from": None, "open_lead_time_weeks": 26}
    assert ready_date("planned", **planned, decision_date=dt.date(2027, 1, 1)) == \
        dt.date(2027, 1, 1) + dt.timedelta(weeks=26)
    assert ready_date("planned", **planned, decision_date=dt.date(2026, 1, 1)) == dt.date(2027, 2, 1)
    # core's start date: a site's first production counts, for any state; disqualified never ships
    assert ready_date("qualified", None, dt.date(2027, 3, 1), decision_date=dt.date(2027, 1, 1)) == dt.date(2027, 3, 1)
    assert ready_date("planned", dt.date(2027, 2, 1), dt.date(2028, 1, 1), decision_date=dt.date(2027, 1, 1),
                      open_lead_time_weeks=4) == dt.date(2028, 1, 1)
    assert ready_date("qualified", None, None, decision_date=dt.date(2027, 1, 1)) is None
    assert ready_date("disqualified", None, None, decision_date=dt.date(2027, 1, 1)) == NEVER


def test_ready_dates_are_cores_start_dates_with_the_opening_rule_on_top() -> None:
    from rackforge.core.supply import source_start_date
    from rackforge.schema import Qualification

    programme = synthetic_programme(8, 4, 8, seed=5)
    data = build_input(programme, decision_date=dt.date(2027, 2, 15))
    sources = {(s.part, s.site): s for s in programme.sources}
    for s in range(data.n_sources):
        src = sources[str(data.part_ids[data.source_part[s]]), str(data.source_site[s])]
        start = source_start_date(src.qualification, src.qualified_date,
                                  programme.catalog.sites[src.site].operational_from)
        assert start is not None
        if src.qualification is Qualification.QUALIFIED:
            assert data.ready_date[s] == (None if start == dt.date.min else start)
            assert not data.needs_open[s]
        else:
            assert data.needs_open[s]
            assert data.ready_date[s] == max(start, dt.date(2027, 2, 15) + dt.timedelta(weeks=src.open_lead_time_weeks))
        expected = [_share_of_quarter(data.ready_date[s], str(q)) for q in data.quarters]
        np.testing.assert_allclose(data.available_fraction[s], expected)


def _share_of_quarter(ready: dt.date | None, quarter: str) -> float:
    from rackforge.calendar import quarter_end, quarter_start

    first, last = quarter_start(quarter), quarter_end(quarter)
    if ready is None or ready <= first:
        return 1.0
    return max(0.0, ((last - ready).days + 1) / ((last - first).days + 1))


def test_model_is_built_from_arrays_not_per_variable() -> None:
    data = one_part(TW, US, demand=[10, 10, 10])
    model = build_model(data, SourcingTargets(domestic_content=0.5))
    # buy, use, stock per source and quarter, one domestic excess per part and year; nothing to open
    assert model.n_cols == 2 * 3 * 3 + 1
    assert set(model.constraints) == {"demand", "stock_balance", "domestic_excess_def", "domestic_content"}
    pooled = build_model(data, SourcingTargets(domestic_content=0.5), stock="pooled")
    # buy per source and quarter, stock per part and quarter, carry per source and year, excess
    assert pooled.n_cols == 2 * 3 + 3 + 2 + 1
    a = model.matrix()
    assert a.shape == (model.n_rows, model.n_cols)
