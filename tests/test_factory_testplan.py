"""Generated test plans and the origin-vs-US comparison, against hand calculations."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factory_synth import load, write_programme
from rackforge.factory.testplan import (
    ber_demonstration_bits,
    combined_coverage,
    compare_test_sites,
    generate_test_plan,
    liquid_connections,
    programme_test_plans,
)
from rackforge.schema.factory import TestPlanSettings, TestSiteComparison


@pytest.fixture
def programme(tmp_path: Path):
    return load(write_programme(tmp_path / "p"))


def test_ber_demonstration_by_hand():
    # zero errors in n bits shows BER <= p at confidence CL when (1 - p)^n <= 1 - CL: n = -ln(0.05)/1e-12
    assert ber_demonstration_bits(1e-12, 0.95) == pytest.approx(2.9957e12, rel=1e-4)
    n = ber_demonstration_bits(1e-9, 0.99)
    assert (1 - 1e-9) ** n == pytest.approx(0.01, rel=1e-3)


def test_liquid_design_plan(programme):
    design = programme.catalog.designs["syn-a"]
    assert liquid_connections(design, programme.catalog) == 72  # the synthetic rack's 72 quick disconnects
    settings = TestPlanSettings()
    plan = generate_test_plan(design, programme.catalog, settings)
    steps = {s.id: s for s in plan.steps}
    assert list(steps) == ["power", "leak", "thermal", "link", "fabric", "burn-in"]
    assert steps["power"].duration_h == pytest.approx(0.5 + 8 * 0.1)
    assert steps["leak"].duration_h == pytest.approx(1.0 + 72 * 0.01)
    # link: 0.5 h setup + 2.9957e12 bits at 200 Gb/s = 14.98 s
    assert steps["link"].duration_h == pytest.approx(0.5 + 2.9957e12 / 200e9 / 3600, rel=1e-4)
    assert steps["burn-in"].duration_h == 24.0  # a shipping design
    assert plan.test_h == pytest.approx(sum(s.duration_h for s in plan.steps))
    # leak coverage: leak test 0.95, thermal 0.3, burn-in 0.3 -> 1 - 0.05 × 0.7 × 0.7
    assert plan.coverage["leak"] == pytest.approx(1 - 0.05 * 0.7 * 0.7)


def test_air_design_has_no_leak_test_and_newer_designs_burn_in_longer(programme):
    air = generate_test_plan(programme.catalog.designs["syn-air"], programme.catalog)
    assert "leak" not in [s.id for s in air.steps] and "leak" in air.not_applicable
    assert "leak" not in air.coverage
    sampling = generate_test_plan(programme.catalog.designs["syn-b"], programme.catalog)
    assert next(s for s in sampling.steps if s.id == "burn-in").duration_h == 48.0


def test_failure_modes_of_the_factory_get_their_category_coverage(programme):
    plan = generate_test_plan(programme.catalog.designs["syn-a"], programme.catalog, factory=programme.factory)
    assert plan.mode_coverage["qd-leak"] == plan.coverage["leak"]
    assert plan.mode_coverage["gpu-fail"] == plan.coverage["compute"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), max_size=6), st.floats(0.0, 1.0))
def test_coverage_grows_with_every_added_test(coverages: list[float], extra: float):
    base = combined_coverage(coverages)
    assert 0.0 <= base <= 1.0
    assert combined_coverage([*coverages, extra]) >= base - 1e-12
    assert combined_coverage([*coverages, extra]) >= max([*coverages, extra], default=0.0) - 1e-12


def test_origin_versus_us_by_hand(programme):
    plan = generate_test_plan(programme.catalog.designs["syn-a"], programme.catalog)
    params = TestSiteComparison(origin_labour_usd_per_h=30, us_labour_usd_per_h=80, technicians_per_rack=1,
                                attended_share_burn_in=0.0, origin_bay_usd_per_h=10, us_bay_usd_per_h=20,
                                rack_freight_usd=9000, kit_freight_usd=4000, arrival_retest=("power", "leak"),
                                transit_damage_rate=0.1, transit_rework_h=5)
    result = compare_test_sites(plan, params, transit_weeks=4)
    durations = {s.id: s.duration_h for s in plan.steps}
    attended = sum(h for k, h in durations.items() if k != "burn-in")
    retest = durations["power"] + durations["leak"]
    test_h = sum(durations.values())
    origin_cost = (attended * 30 + test_h * 10 + 9000 + retest * 80 + retest * 20 + 0.1 * 5 * 80)
    us_cost = attended * 80 + test_h * 20 + 4000
    assert result.origin["cost_usd"] == pytest.approx(origin_cost)
    assert result.us["cost_usd"] == pytest.approx(us_cost)
    assert result.origin["days"] == pytest.approx((test_h + retest + 0.5) / 24 + 28)
    assert result.us["days"] == pytest.approx(test_h / 24 + 28)
    assert result.to_dict()["us_minus_origin_cost_usd"] == pytest.approx(us_cost - origin_cost, abs=0.01)


def test_transit_comes_from_the_trade_lane_when_not_given(tmp_path: Path):
    folder = write_programme(tmp_path / "p", extra={"trade.yaml": {"trade": [
        {"origin": "TW", "destination": "US", "freight_rate": 0.02, "duty_rate": 0.0, "transit_weeks": 3,
         "source": "estimate: synthetic lane"}]}})
    _, comparisons = programme_test_plans(load(folder))
    assert {c.transit_weeks for c in comparisons} == {3.0}
    assert all(math.isclose(c.us["days"] - c.us["test_h"] / 24, 21.0) for c in comparisons)
