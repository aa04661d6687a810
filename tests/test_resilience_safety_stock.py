"""Guaranteed-service safety stock: the tree DP against brute force and hand-computed serial cases,
trees from files and from the reference programme's designs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rackforge.core.bom import explode
from rackforge.errors import InputError
from rackforge.resilience.safety_stock import (
    Link,
    Stage,
    SupplyTree,
    brute_force,
    load_tree,
    optimise,
    stage_cost,
    stage_sigmas,
)

Z2 = 0.9772498680518208  # Φ(2): z = 2 exactly, to keep the hand arithmetic simple


def test_two_stage_serial_by_hand() -> None:
    """Upstream T=3, h=1; downstream T=1, h=3, σ=10, quoted service 0, z=2. The candidates
    (Simpson's extreme points and the one in between):
      S_up=0: 1·2·10·√3 + 3·2·10·√1 = 34.641 + 60 = 94.641   <- optimum
      S_up=1: 1·2·10·√2 + 3·2·10·√2 = 28.284 + 84.853 = 113.137
      S_up=3: 0 + 3·2·10·√4 = 120"""
    tree = SupplyTree((Stage("up", 3, 1.0), Stage("down", 1, 3.0, 10.0, 0)), (Link("up", "down"),),
                      service_level=Z2)
    result = optimise(tree)
    assert result.total_cost == pytest.approx(20 * math.sqrt(3) + 60, rel=1e-8)
    by_id = {r.stage.id: r for r in result.stages}
    assert by_id["up"].service_time == 0 and by_id["down"].service_time == 0
    assert by_id["up"].safety_stock == pytest.approx(2 * 10 * math.sqrt(3), rel=1e-8)
    assert stage_cost(tree, [1, 0]) == pytest.approx(20 * math.sqrt(2) + 60 * math.sqrt(2), rel=1e-9)
    assert stage_cost(tree, [3, 0]) == pytest.approx(120, rel=1e-9)


def test_three_stage_serial_by_hand_puts_stock_where_it_is_cheap() -> None:
    """Raw (T=2, h=1) -> component (T=2, h=1.2) -> final (T=1, h=10, σ=5, max service 1), z=2;
    cost = Σ h·2·5·√τ over candidates (S_raw, S_comp, S_final):
      (0, 0, 1): τ = 2, 2, 0 -> 10√2 + 12√2      = 31.11
      (1, 0, 1): τ = 1, 3, 0 -> 10 + 12√3        = 30.78
      (2, 0, 1): τ = 0, 4, 0 -> 12·2             = 24.00   <- optimum: all stock at the component
      (0, 2, 1): τ = 2, 0, 2 -> 10√2 + 100√2     = 155.56
      (2, 4, 1): τ = 0, 0, 4 -> 100·2            = 200.00
    The final stage quotes its whole allowance and holds nothing: its stock is the dearest."""
    tree = SupplyTree((Stage("raw", 2, 1.0), Stage("comp", 2, 1.2), Stage("final", 1, 10.0, 5.0, 1)),
                      (Link("raw", "comp"), Link("comp", "final")), service_level=Z2)
    result = optimise(tree)
    assert result.total_cost == pytest.approx(24.0, rel=1e-8)
    assert [r.service_time for r in result.stages] == [2, 0, 1]
    assert [r.net_replenishment_time for r in result.stages] == [0, 4, 0]


@st.composite
def small_trees(draw: st.DrawFn) -> SupplyTree:
    n = draw(st.integers(2, 5))
    links = []
    for k in range(1, n):
        j = draw(st.integers(0, k - 1))
        links.append(Link(f"s{k}", f"s{j}") if draw(st.booleans()) else Link(f"s{j}", f"s{k}"))
    feeds = {link.upstream for link in links}
    stages = []
    for k in range(n):
        demand_stage = f"s{k}" not in feeds
        given_sigma = demand_stage or draw(st.booleans())
        stages.append(Stage(
            f"s{k}", draw(st.integers(0, 3)), draw(st.floats(0.1, 5.0)),
            draw(st.floats(0.5, 20.0)) if given_sigma else None,
            draw(st.integers(0, 2)) if demand_stage else None, draw(st.integers(0, 1))))
    quantities = [Link(k.upstream, k.downstream, draw(st.sampled_from([1.0, 2.0, 3.5]))) for k in links]
    return SupplyTree(tuple(stages), tuple(quantities), service_level=draw(st.sampled_from([0.9, 0.95, 0.99])),
                      pooling_exponent=draw(st.sampled_from([1.0, 2.0])))


@settings(max_examples=50, deadline=None)
@given(tree=small_trees())
def test_dp_equals_brute_force_on_random_trees(tree: SupplyTree) -> None:
    sizes = [1 + s.external_service_periods + sum(t.processing_periods for t in tree.stages) for s in tree.stages]
    assume(np.prod(sizes) < 400_000)
    result = optimise(tree)
    best, _ = brute_force(tree)
    assert result.total_cost == pytest.approx(best, rel=1e-9, abs=1e-9)
    # the reported service times are feasible and cost what is reported
    assert stage_cost(tree, [r.service_time for r in result.stages]) == pytest.approx(result.total_cost, abs=1e-9)
    for r in result.stages:
        assert r.net_replenishment_time >= 0


def test_pooled_sigma_of_a_distribution_stage() -> None:
    """A warehouse feeding two markets (σ 3 and 4, one unit each): independent demands pool to
    √(3² + 4²) = 5; perfectly correlated ones add to 7; two units per market double it."""
    stages = (Stage("wh", 1, 1.0), Stage("a", 1, 1.0, 3.0, 0), Stage("b", 1, 1.0, 4.0, 0))
    links = (Link("wh", "a"), Link("wh", "b"))
    assert stage_sigmas(SupplyTree(stages, links, pooling_exponent=2.0))[0] == pytest.approx(5.0)
    assert stage_sigmas(SupplyTree(stages, links, pooling_exponent=1.0))[0] == pytest.approx(7.0)
    doubled = (Link("wh", "a", 2.0), Link("wh", "b", 2.0))
    assert stage_sigmas(SupplyTree(stages, doubled))[0] == pytest.approx(10.0)


def test_not_a_tree_is_an_input_error() -> None:
    stages = (Stage("a", 1, 1.0), Stage("b", 1, 1.0), Stage("c", 1, 1.0, 1.0, 0))
    cycle = (Link("a", "b"), Link("b", "c"), Link("a", "c"))
    with pytest.raises(InputError, match="spanning tree"):
        optimise(SupplyTree(stages, cycle))
    with pytest.raises(InputError, match="unknown stage 'x'"):
        optimise(SupplyTree(stages, (Link("a", "b"), Link("x", "c"))))


def test_tree_from_yaml_and_csv_files(tmp_path: Path) -> None:
    yaml_file = tmp_path / "tree.yaml"
    yaml_file.write_text(
        "supply_tree:\n"
        "  name: two stage\n"
        f"  service_level: {Z2}\n"
        "  stages:\n"
        "    - {id: up, processing_periods: 3, holding_cost_per_period: 1}\n"
        "    - {id: down, processing_periods: 1, holding_cost_per_period: 3, demand_sigma_per_period: 10,"
        " max_service_periods: 0}\n"
        "  links:\n"
        "    - {from: up, to: down}\n", encoding="utf-8")
    csv_file = tmp_path / "tree.csv"
    csv_file.write_text("stage,processing_periods,holding_cost_per_period,demand_sigma_per_period,"
                        "max_service_periods,supplies\nup,3,1,,,down\ndown,1,3,10,0,\n", encoding="utf-8")
    from_yaml = optimise(load_tree(yaml_file))
    from_csv = optimise(load_tree(csv_file, service_level=Z2))
    assert from_yaml.total_cost == pytest.approx(20 * math.sqrt(3) + 60)
    assert from_csv.total_cost == pytest.approx(from_yaml.total_cost)


def test_bad_tree_files_name_file_line_and_field(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("supply_tree:\n  stages:\n    - {id: a, processing_periods: -1, holding_cost_per_period: 1}\n",
                        encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_tree(bad_yaml)
    problem = info.value.problems[0]
    assert problem.line == 3 and "processing_periods" in problem.field
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("stage,processing_periods,holding_cost_per_period\na,two,1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_tree(bad_csv)
    assert info.value.problems[0].line == 2 and info.value.problems[0].field == "processing_periods"
    wrong_column = tmp_path / "wrong.csv"
    wrong_column.write_text("stage,processing_time,holding_cost_per_period\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown column"):
        load_tree(wrong_column)


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    from rackforge.io.loader import load_programme

    return load_programme(None)


def test_reference_design_trees(reference) -> None:  # type: ignore[no-untyped-def]
    from rackforge.resilience.safety_stock import design_tree

    for design in ("gb300-nvl72", "hgx-b200-air"):
        tree = design_tree(reference, design)
        assert not tree.check()
        exploded = explode(reference.catalog, design)
        # every part of the bill of materials has a stage (a part in two assemblies has two)
        leaves = {s.id.rsplit("/", 1)[-1] for s in tree.stages if s.id.count("/") >= 1}
        assert set(exploded) <= leaves
        result = optimise(tree)
        assert result.total_cost > 0
        rack = next(r for r in result.stages if r.stage.id == design)
        assert rack.service_time <= 2  # the quoted rack service time in scenarios.yaml
