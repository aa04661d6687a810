"""Small instances: the MIP's optimum equals the best plan found by trying every whole-unit plan.

The enumeration below is written from the problem statement alone (NumPy over every combination of
units received and units used per source and quarter); it shares no code with the model builder.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimize_cases import make_input
from rackforge.optimize import SourcingTargets, optimise
from rackforge.optimize.data import OptimizeInput
from rackforge.optimize.feasibility import check_plan, plan_cost_usd
from rackforge.optimize.highs import SolveOptions

EXACT = SolveOptions(mip_rel_gap=0.0, time_limit_s=30)


def compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to write ``total`` as an ordered sum of ``parts`` non-negative integers."""
    return [c for c in itertools.product(range(total + 1), repeat=parts) if sum(c) == total]


def enumerate_best(data: OptimizeInput, targets: SourcingTargets) -> float | None:
    """Least cost over every whole-unit plan of a one-part, one-design instance, or None if none is feasible."""
    n_s, n_t = len(data.source_part), len(data.quarters)
    demand = [round(x) for x in data.racks[0] * data.parts_per_rack[0, 0]]
    upper = np.floor(data.capacity_per_quarter[:, None] * data.available_fraction + 1e-9).astype(int)
    buys = np.array(list(itertools.product(*[range(u + 1) for u in upper.ravel()])), dtype=float)
    buys = buys.reshape(-1, 1, n_s, n_t)
    per_quarter = [compositions(d, n_s) for d in demand]
    uses = np.array([np.array(combo).T for combo in itertools.product(*per_quarter)], dtype=float)
    uses = uses.reshape(1, -1, n_s, n_t)
    ok = np.ones((buys.shape[0], uses.shape[1]), dtype=bool)
    stock = np.cumsum(buys - uses, axis=3)
    ok &= (stock >= -1e-9).all(axis=(2, 3))
    moq = data.moq_units[None, None, :, None]
    ok &= ((buys == 0) | (buys >= moq)).all(axis=(2, 3))
    opened = (buys > 0).any(axis=3)  # (B, 1, S): open a planned source only if it ships
    landed = (data.price_usd + data.freight_usd + data.duty_usd)[None, None, :, None]
    # holding: the part's stock (all sources) at the rate × the mean landed cost of its sources
    held = np.maximum(stock.sum(axis=2), 0).sum(axis=2)
    cost = (buys * landed).sum(axis=(2, 3)) + held * data.holding_rate_per_quarter * landed.mean()
    cost = cost + (opened * (data.open_cost_usd * data.needs_open)[None, None, :]).sum(axis=2)
    years = data.quarter_year
    domestic = data.source_domestic[None, None, :, None]
    for year in np.unique(years):
        in_year = years == year
        used = uses[..., in_year]
        dem_y = sum(d for d, y in zip(demand, years, strict=True) if y == year)
        if dem_y == 0:
            continue
        target = targets.domestic_target(int(year))
        if target is not None:
            value = used * data.content_cost_usd[None, None, :, None]
            dom = (value * domestic).sum(axis=(2, 3))
            ok &= dom >= target * value.sum(axis=(2, 3)) - 1e-9
        units = used.sum(axis=3)  # (1, U, S)
        if targets.country_cap is not None:
            for country in np.unique(data.source_country):
                mine = data.source_country == country
                ok &= units[..., mine].sum(axis=2) <= targets.country_cap * dem_y + 1e-9
        share = targets.critical_max_source_share
        if data.part_critical[0] and share is not None:
            ok &= (units <= share * dem_y + 1e-9).all(axis=2)
    if not ok.any():
        return None
    return float(np.where(ok, cost, np.inf).min())


@st.composite
def instances(draw: st.DrawFn) -> tuple[OptimizeInput, SourcingTargets]:
    n_sources = draw(st.integers(2, 3))
    quarters = draw(st.sampled_from([["2027Q1", "2027Q2"], ["2027Q4", "2028Q1"]]))
    demand = [draw(st.sampled_from([0, 1, 2, 2])) for _ in quarters]
    if sum(demand) == 0:
        demand[0] = 1
    second_quarter = dt.date(int(quarters[1][:4]), 3 * int(quarters[1][5]) - 2, 1)
    sources = []
    for i in range(n_sources):
        needs_open = i > 0 and draw(st.booleans())  # source 0 is qualified and ships from the start
        sources.append({
            "part": 0, "site": f"site-{i}", "country": draw(st.sampled_from(["US", "TW", "MX"])),
            "price": float(draw(st.integers(5, 20)) * 10), "freight": float(draw(st.sampled_from([0, 5]))),
            "capacity": float(draw(st.sampled_from([1, 2, 3, 3]))), "moq": float(draw(st.sampled_from([0, 0, 2]))),
            "needs_open": needs_open, "open_cost": float(draw(st.sampled_from([0, 30, 200]))) if needs_open else 0.0,
            "ready": None if i == 0 else draw(st.sampled_from([None, second_quarter,
                                                                second_quarter + dt.timedelta(days=45)])),
        })
    data = make_input(parts=["cold-plate"], quarters=quarters, parts_per_rack=[[1.0]], racks=[demand],
                      sources=sources, critical=[draw(st.sampled_from([False, False, False, True]))],
                      holding_rate=draw(st.sampled_from([0.0, 0.1])))
    targets = SourcingTargets(domestic_content=draw(st.sampled_from([None, 0.3, 0.6])),
                      country_cap=draw(st.sampled_from([None, None, 0.6])),
                      critical_max_source_share=draw(st.sampled_from([None, 0.7])))
    return data, targets


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_mip_matches_exhaustive_enumeration(case: tuple[OptimizeInput, SourcingTargets]) -> None:
    data, targets = case
    best = enumerate_best(data, targets)
    result = optimise(data, targets, EXACT, integer_quantities=True, duals=False, explain=False)
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.objective_usd == pytest.approx(best, rel=1e-7, abs=1e-6)
    assert result.plan is not None
    assert check_plan(data, result.plan, targets) == []
    assert plan_cost_usd(data, result.plan)["total"] == pytest.approx(best, rel=1e-7, abs=1e-6)


def test_enumeration_finds_a_known_optimum() -> None:
    # the enumerator itself, on a case solved by hand: 2 units, TW 103 each (cap 1), US 130
    data = make_input(parts=["cold-plate"], quarters=["2027Q1"], parts_per_rack=[[1.0]], racks=[[2]],
                      sources=[{"part": 0, "site": "tw", "country": "TW", "price": 100.0, "freight": 3.0,
                                "capacity": 1.0},
                               {"part": 0, "site": "us", "country": "US", "price": 130.0, "capacity": 5.0}])
    assert enumerate_best(data, SourcingTargets()) == pytest.approx(233.0)
    assert enumerate_best(data, SourcingTargets(domestic_content=0.6)) == pytest.approx(260.0)
    assert enumerate_best(data, SourcingTargets(country_cap=0.4)) is None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_pooled_stock_is_a_restriction_whose_plans_pass_the_check(case: tuple[OptimizeInput, SourcingTargets]) -> None:
    data, targets = case
    exact = optimise(data, targets, EXACT, duals=False, explain=False)
    pooled = optimise(data, targets, EXACT, stock="pooled", duals=False, explain=False)
    if pooled.plan is None:
        return
    assert exact.plan is not None
    assert pooled.objective_usd >= exact.objective_usd - 1e-6 * max(1.0, exact.objective_usd)
    assert check_plan(data, pooled.plan, targets) == []
    assert plan_cost_usd(data, pooled.plan)["total"] == pytest.approx(pooled.objective_usd, rel=1e-7, abs=1e-6)
