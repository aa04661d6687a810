"""The way out of an infeasible plan: smallest relaxations, found by re-solving, checked independently.

One part, one design, ten racks a quarter through 2027, one rack needs one unit. A US site (price
$200, 3 units a quarter) and a Taiwanese one ($100, plenty). At most 3 of 10 units can be domestic, so
domestic content (FAR 25.101 component cost) is at most 3·200 / (3·200 + 7·100) = 600/1,300 = 46.15 %,
and Taiwan supplies at least 70 % of the units.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimize_cases import make_input
from rackforge.optimize.data import OptimizeInput, SourcingTargets
from rackforge.optimize.feasibility import check_plan
from rackforge.optimize.highs import SolveOptions
from rackforge.optimize.relaxations import RESOLUTION, smallest_relaxations
from rackforge.optimize.solve import optimise

QUARTERS = ["2027Q1", "2027Q2", "2027Q3", "2027Q4"]
OPTIONS = SolveOptions(time_limit_s=30)
NO_RULES = SourcingTargets(critical_max_source_share=None)


def two_sites(us_capacity: float = 3.0, *, critical: bool = False, single_source: bool = False) -> OptimizeInput:
    sources = [{"part": 0, "site": "us-site", "country": "US", "price": 200.0, "capacity": us_capacity}]
    if not single_source:
        sources.append({"part": 0, "site": "tw-site", "country": "TW", "price": 100.0, "capacity": 1_000.0})
    return make_input(parts=["widget"], quarters=QUARTERS, parts_per_rack=[[1]], racks=[[10, 10, 10, 10]],
                      sources=sources, critical=[critical])


def best_domestic(us_units: float) -> float:
    """Highest domestic content with ``us_units`` of 10 from the US [fraction], by hand."""
    return us_units * 200 / (us_units * 200 + (10 - us_units) * 100)


def solved(data: OptimizeInput, targets: SourcingTargets) -> bool:
    """An independent re-solve: a plan exists, and it passes the plain-loop re-check."""
    result = optimise(data, targets, OPTIONS, duals=False, explain=False)
    if result.plan is None:
        return False
    assert check_plan(data, result.plan, targets) == []
    return True


def test_the_domestic_target_is_lowered_to_what_the_us_capacity_allows() -> None:
    data, targets = two_sites(), replace(NO_RULES, domestic_content=0.60)
    assert not solved(data, targets)
    [way_out] = smallest_relaxations(data, targets, OPTIONS)
    [change] = way_out.changes
    assert change.target == "domestic content" and change.asked == pytest.approx(0.60)
    # 46.15 % by hand, on the 0.1-point grid: 46.1 %
    assert best_domestic(3) == pytest.approx(0.461538, abs=1e-6)
    assert change.relaxed_to == pytest.approx(0.461)
    assert "lower the domestic-content target to 46.1% (asked 60.0%)" in change.message
    # re-checked independently: the relaxed target has a plan that passes the re-check, one step more has none
    assert solved(data, replace(targets, domestic_content=change.relaxed_to))
    assert not solved(data, replace(targets, domestic_content=change.relaxed_to + 2 * RESOLUTION))
    # its cost is the relaxed plan's least cost: 3 US units at $200 and 7 Taiwanese at $100 a quarter
    assert way_out.cost_usd == pytest.approx(4 * (3 * 200 + 7 * 100), rel=1e-3)


def test_the_country_cap_is_raised_to_the_share_taiwan_must_carry() -> None:
    data, targets = two_sites(), replace(NO_RULES, country_cap=0.5)
    [way_out] = smallest_relaxations(data, targets, OPTIONS)
    [change] = way_out.changes
    assert change.target == "country-share cap" and change.relaxed_to == pytest.approx(0.70)
    assert "raise the country-share cap to 70.0% (asked 50.0%)" in change.message
    assert solved(data, replace(targets, country_cap=0.70))
    assert not solved(data, replace(targets, country_cap=0.70 - RESOLUTION))


def test_a_single_source_critical_part_needs_the_two_source_rule_off() -> None:
    data = two_sites(1_000.0, critical=True, single_source=True)
    targets = SourcingTargets(critical_max_source_share=0.9)
    assert not solved(data, targets)
    [way_out] = smallest_relaxations(data, targets, OPTIONS)
    [change] = way_out.changes
    assert change.target == "two sources for critical parts" and change.relaxed_to is None
    assert "switch the two-source rule for critical parts off" in change.message
    assert solved(data, replace(targets, critical_max_source_share=None))


def test_two_targets_that_each_fail_are_relaxed_together() -> None:
    # 60 % domestic and a 50 % country cap: neither alone is enough (the domestic target needs more US units
    # than exist; the cap needs Taiwan below 70 %). Together: domestic to 46.1 % (its best), then the cap
    # raised to what that plan needs of Taiwan, 70 %.
    data, targets = two_sites(), replace(NO_RULES, domestic_content=0.60, country_cap=0.5)
    [way_out] = smallest_relaxations(data, targets, OPTIONS)
    got = {c.target: c.relaxed_to for c in way_out.changes}
    assert got == {"domestic content": pytest.approx(0.461), "country-share cap": pytest.approx(0.70)}
    assert solved(data, replace(targets, domestic_content=0.461, country_cap=0.70))


def test_nothing_to_relax_when_the_targets_are_met_or_the_build_plan_cannot_be() -> None:
    assert smallest_relaxations(two_sites(), replace(NO_RULES, domestic_content=0.3), OPTIONS) == []
    # 10 racks a quarter from one US site that makes 3: no target relaxation helps
    short = two_sites(single_source=True)
    assert smallest_relaxations(short, replace(NO_RULES, domestic_content=0.6), OPTIONS) == []


@settings(max_examples=6, deadline=None)
@given(us_units=st.integers(1, 8), above=st.floats(0.005, 0.3))
def test_the_relaxed_target_is_the_highest_feasible_on_the_grid(us_units: int, above: float) -> None:
    best = best_domestic(us_units)
    asked = min(0.99, best + above)  # out of reach: above the best the US capacity allows
    data, targets = two_sites(float(us_units)), replace(NO_RULES, domestic_content=asked)
    [way_out] = smallest_relaxations(data, targets, OPTIONS)
    [change] = way_out.changes
    assert change.relaxed_to is not None
    # within one grid step below the hand-computed best, never above it
    assert best - RESOLUTION - 1e-9 <= change.relaxed_to <= best + 1e-9
    assert solved(data, replace(targets, domestic_content=change.relaxed_to))
