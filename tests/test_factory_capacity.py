"""Capacity planning: a hand-solvable line, and the answer re-checked by independent simulation."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from factory_synth import FACTORY, load, write_programme
from rackforge.errors import SolverError
from rackforge.factory.capacity import load_bounds, plan_capacity
from rackforge.factory.releases import build_line_plan
from rackforge.factory.results import simulate_factory


def one_station_factory(grace_weeks: float) -> dict:
    return {
        "source": "estimate: synthetic hand-check line",
        "calendar": {"shifts_per_day": 3, "hours_per_shift": "8 h", "days_per_week": 7},
        "stations": [{"id": "bay", "kind": "burn-in", "count": 9}],
        "routes": [{"id": "r", "designs": ["syn-a"], "steps": [{"station": "bay", "time": "35 h"}]}],
        "material": {"cap": "none", "release": "even"},
        "targets": {"confidence": 0.9, "ship_grace_weeks": grace_weeks, "plan_tolerance": 0.0},
        "simulation": {"replications": 2, "warmup_weeks": 0, "seed": 1},
    }


def test_deterministic_line_needs_exactly_three_bays(tmp_path: Path):
    """216 racks released evenly over 2027Q1 (90 days = 2,160 h, one every 10 h), 35 h each, 8 weeks' grace.

    Two bays finish the 7,560 h of work after 3,780 h, past the deadline 2,160 + 1,344 = 3,504 h;
    three bays finish after about 2,525 h. So the answer is 3, although the busiest quarter's
    load alone (7,560 / 2,160 = 3.5) would ask for 4.
    """
    folder = write_programme(tmp_path / "p", plan={"2027Q1": {"syn-a": 216}}, factory=one_station_factory(8))
    programme = load(folder)
    plan = build_line_plan(programme)
    peak, horizon = load_bounds(programme.factory, plan)
    assert peak["bay"] == 4
    assert horizon["bay"] == 3  # ceil(7,560 / (2,160 + 1,344))
    result = plan_capacity(programme, workers=1, max_utilisation=1.0)  # no ceiling: the fewest that meet the plan
    assert result.counts["bay"] == 3
    assert result.met_share == 1.0
    # with only 1 week of grace (deadline 2,328 h), three bays are too few: four are needed
    folder = write_programme(tmp_path / "q", plan={"2027Q1": {"syn-a": 216}}, factory=one_station_factory(1))
    assert plan_capacity(load(folder), workers=1, max_utilisation=1.0).counts["bay"] == 4


def test_recommended_counts_are_feasible_and_minimal_by_independent_simulation(tmp_path: Path):
    factory = copy.deepcopy(FACTORY)
    factory["simulation"] = {"replications": 4, "warmup_weeks": 0, "seed": 3}
    factory["targets"] = {"confidence": 0.75, "ship_grace_weeks": 1, "plan_tolerance": 0.02}
    folder = write_programme(tmp_path / "p", plan={"2027Q1": {"syn-a": 300, "syn-b": 100}, "2027Q2": {"syn-a": 450}},
                             factory=factory)
    programme = load(folder)
    result = plan_capacity(programme, workers=1, max_utilisation=1.0)
    counts = result.counts
    # feasible: simulating the recommended line independently meets the plan with the confidence
    check = simulate_factory(programme, counts=counts, workers=1)
    assert check.plan_met_share >= 0.75
    # minimal: one station fewer of any kind (where there is more than one) misses the confidence
    for station, count in counts.items():
        if count > 1:
            fewer = simulate_factory(programme, counts={**counts, station: count - 1}, workers=1)
            assert fewer.plan_met_share < 0.75, (station, count)
    # by hand: 850 racks × 24 h / 0.9 yield = 22,667 bay-hours in 181 days + 1 week (4,512 h) -> more than 5 bays
    assert counts["burn"] >= 6


def test_scrap_beyond_the_tolerance_is_named_as_the_cause(tmp_path: Path):
    factory = copy.deepcopy(FACTORY)
    factory["routes"][0]["steps"][1]["failure_modes"][1]["scrap_fraction"] = 1.0  # every manifold leak scraps
    factory["targets"] = {"confidence": 0.9, "ship_grace_weeks": 2, "plan_tolerance": 0.0}
    folder = write_programme(tmp_path / "p", factory=factory)
    with pytest.raises(SolverError, match=r"scrapped at an expected 1\.[0-9]%, more than the plan_tolerance of 0\.0%"):
        plan_capacity(load(folder), workers=1, max_evaluations=3)


def test_unreachable_plan_is_explained(tmp_path: Path):
    factory = one_station_factory(0)
    factory["routes"][0]["steps"][0]["time"] = "100 d"  # one rack takes longer than the quarter plus grace
    folder = write_programme(tmp_path / "p", plan={"2027Q1": {"syn-a": 5}}, factory=factory)
    with pytest.raises(SolverError, match="no station counts met the build plan"):
        plan_capacity(load(folder), workers=1, max_evaluations=4)
