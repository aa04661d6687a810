"""The safety-stock DP in bounded memory: candidate service times instead of every period.

A shallow tree with processing times of millions of periods used to need a table of (periods)² cells
per stage. The DP now tabulates only the service times a vertex of the relaxed problem can take (when
fewer than every period) and builds each table a block at a time; these tests check that the answer
is the dense DP's (hypothesis), that scaling every time by λ scales the cost by √λ (Graves & Willems'
cost is h z σ √τ), and that memory stays small whatever the periods.
"""

from __future__ import annotations

import math
import tracemalloc

import pytest
from hypothesis import given, settings

import rackforge.resilience.service_grid as grid_mod
from rackforge.errors import InputError
from rackforge.resilience.safety_stock import Link, Stage, SupplyTree, optimise, stage_cost
from test_resilience_safety_stock import small_trees


def scaled(tree: SupplyTree, factor: int) -> SupplyTree:
    """Every time of ``tree`` (processing, maximum and external service) × ``factor``."""
    stages = tuple(Stage(s.id, s.processing_periods * factor, s.holding_cost_per_period, s.demand_sigma_per_period,
                         None if s.max_service_periods is None else s.max_service_periods * factor,
                         s.external_service_periods * factor, s.name) for s in tree.stages)
    return SupplyTree(stages, tree.links, tree.service_level, tree.pooling_exponent, tree.name, tree.period)


def ups_of(tree: SupplyTree) -> list[list[int]]:
    idx = tree.index()
    ups: list[list[int]] = [[] for _ in tree.stages]
    for link in tree.links:
        ups[idx[link.downstream]].append(idx[link.upstream])
    return ups


@settings(max_examples=60, deadline=None)
@given(tree=small_trees())
def test_candidate_grid_gives_the_dense_optimum(tree: SupplyTree) -> None:
    dense = optimise(tree)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(grid_mod, "DENSE_GRID_MAX", 0)  # always the candidate service times
        sparse = optimise(tree)
    assert sparse.total_cost == pytest.approx(dense.total_cost, rel=1e-9, abs=1e-9)
    assert stage_cost(tree, [r.service_time for r in sparse.stages]) == pytest.approx(sparse.total_cost, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(tree=small_trees())
def test_potentials_follow_the_tight_constraints(tree: SupplyTree) -> None:
    ups = ups_of(tree)
    p_s, p_si = grid_mod.potentials(tree, ups)
    for k, stage in enumerate(tree.stages):
        assert p_s[k] - p_si[k] == stage.processing_periods  # S_k = SI_k + T_k
        for i in ups[k]:
            assert p_s[i] == p_si[k]  # SI_k = S_i


@settings(max_examples=30, deadline=None)
@given(tree=small_trees())
def test_scaling_every_time_scales_the_cost_by_its_square_root(tree: SupplyTree) -> None:
    factor = 10**7  # a grid of every period would be 10^7 wide: 10^14 cells per stage
    small, large = optimise(tree), optimise(scaled(tree, factor))
    assert large.total_cost == pytest.approx(small.total_cost * math.sqrt(factor), rel=1e-9, abs=1e-9)


def test_a_shallow_tree_with_huge_periods_runs_in_little_memory() -> None:
    """Three stages, a million periods of processing: the dense DP wanted 8 TB per table."""
    tree = SupplyTree((Stage("wafer", 1_000_000, 1.0), Stage("package", 400_000, 3.0),
                       Stage("rack", 100_000, 10.0, 50.0, 0)),
                      (Link("wafer", "package"), Link("package", "rack")), service_level=0.95)
    tracemalloc.start()
    try:
        result = optimise(tree)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20
    # serial line, demand stage quotes 0: stock at the rack (τ = 1.5 M) or split; Simpson's all-or-nothing
    # answer by hand: every stage either holds none (τ = 0) or covers everything up to it
    z, sigma = tree.z, 50.0
    options = {(0, 0, 1_500_000): 10.0 * math.sqrt(1_500_000),
               (1_000_000, 0, 500_000): 1.0 * math.sqrt(1_000_000) + 10.0 * math.sqrt(500_000),
               (0, 1_400_000, 100_000): 3.0 * math.sqrt(1_400_000) + 10.0 * math.sqrt(100_000),
               (1_000_000, 400_000, 100_000): 1.0 * math.sqrt(1e6) + 3.0 * math.sqrt(4e5) + 10.0 * math.sqrt(1e5)}
    assert result.total_cost == pytest.approx(z * sigma * min(options.values()), rel=1e-12)
    best = min(options, key=lambda k: options[k])
    assert tuple(r.net_replenishment_time for r in result.stages) == best


def test_too_many_candidate_service_times_is_refused_up_front(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grid_mod, "MAX_DP_CELLS", 100)
    tree = SupplyTree(tuple(Stage(f"s{k}", 10_000 + 7 * k, 1.0, 1.0 if k == 4 else None, 0 if k == 4 else None)
                            for k in range(5)),
                      tuple(Link(f"s{k}", f"s{k + 1}") for k in range(4)))
    with pytest.raises(InputError, match="table cells"):
        optimise(tree)


def test_dense_and_candidate_grids_agree_on_the_reference_trees(monkeypatch: pytest.MonkeyPatch) -> None:
    from rackforge.io.loader import load_programme
    from rackforge.resilience.safety_stock import design_tree

    reference = load_programme(None)
    for design in reference.planned_designs:
        tree = design_tree(reference, design.id)
        dense = optimise(tree)
        with monkeypatch.context() as m:
            m.setattr(grid_mod, "DENSE_GRID_MAX", 0)
            sparse = optimise(tree)
        assert sparse.total_cost == pytest.approx(dense.total_cost, rel=1e-9)


def test_buffers_on_a_tree_file_with_huge_periods_exits_0_and_refuses_with_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Through the real entry point: a two-stage file with 10^9-period processing is answered (the
    dense table was 8 × 10^18 bytes); one whose DP work is past the limit exits 2 with the reason."""
    import json
    import subprocess
    import sys

    tree = tmp_path / "long.csv"
    tree.write_text("stage,processing_periods,holding_cost_per_period,demand_sigma_per_period,"
                    "max_service_periods,supplies\nup,3000000000,1,,,down\ndown,1000000000,3,10,0,\n",
                    encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "rackforge", "buffers", str(tree), "--json", "--service-level",
                          "0.9772498680518208"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    # as the 3-and-1-period chain of test_tree_from_yaml_and_csv_files scaled by 10^9: (20√3 + 60)·√10^9
    cost = json.loads(run.stdout)["trees"][0]["total_cost"]
    assert cost == pytest.approx((20 * math.sqrt(3) + 60) * math.sqrt(1e9), rel=1e-6)
    stages = ["stage,processing_periods,holding_cost_per_period,demand_sigma_per_period,max_service_periods,supplies"]
    # a rack fed by 300 parts of different long lead times: ~45,000 candidate service times, past the limit
    stages += [f"s{k},{10**6 + 7919 * k * k},1,,,rack" for k in range(300)] + ["rack,5,1,10,0,"]
    tree.write_text("\n".join(stages) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "rackforge", "buffers", str(tree)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "table cells" in run.stderr and "Traceback" not in run.stderr
