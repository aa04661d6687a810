"""Stress test (TTS/TTR): hand-solvable networks, invariants, an independent feasibility check of
the LP answers, and the reference programme."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.errors import InputError, SolverError
from rackforge.resilience.network import (
    Disruption,
    Node,
    Requirement,
    SupplyGraph,
    synthetic_network,
    with_stock,
)
from rackforge.resilience.stress import StressModel, explain_status, stress_test


def one_product(product_stock: float, part_stock: float, *, alternate_capacity: float = 0.0) -> SupplyGraph:
    """Product P (2 racks/week, $100 a rack) needs 5 units of part k per rack, from source A
    (capacity 20/week) or, optionally, alternate B in another country."""
    nodes = [Node("design:p", "design", "P", "us-site", "US", "NA", stock_units=product_stock, demand_per_week=2.0,
                  value_usd=100.0),
             Node("source:k@a", "source", "k from A", "a", "TW", "EA", part="k", stock_units=part_stock,
                  capacity_per_week=20.0)]
    suppliers = (1,)
    if alternate_capacity > 0:
        nodes.append(Node("source:k@b", "source", "k from B", "b", "MX", "NA", part="k",
                          capacity_per_week=alternate_capacity))
        suppliers = (1, 2)
    return SupplyGraph(tuple(nodes), (Requirement(0, "k", 5.0, suppliers),), ttr_of={"site:a": 8.0})


def by_id(result, node_id):  # type: ignore[no-untyped-def]
    return next(n for n in result.nodes if n.disruption.id == node_id)


def test_product_fed_only_by_the_disrupted_node_survives_stock_over_demand() -> None:
    # 6 racks in stock at 2 a week: 3 weeks
    result = stress_test(one_product(6.0, 0.0))
    assert by_id(result, "site:a").tts_weeks == pytest.approx(3.0)
    # plus 10 parts at the supplier (2 racks' worth): (6 + 10/5) / 2 = 4 weeks
    result = stress_test(one_product(6.0, 10.0))
    site = by_id(result, "site:a")
    assert site.tts_weeks == pytest.approx(4.0)
    # over the 8-week recovery: demand 16 racks, 6 + 2 from stock -> 8 racks lost, $800
    assert site.racks_lost["p"] == pytest.approx(8.0)
    assert site.value_lost_usd == pytest.approx(800.0)
    # the worst disruption is the product's own site: nothing made for the default 13.04-week
    # recovery, 2 × 13.04 − 6 racks lost; REI = PI / max PI
    own = by_id(result, "site:us-site")
    assert own.racks_lost["p"] == pytest.approx(2 * 52.1775 / 4 - 6)
    assert own.risk_exposure_index == pytest.approx(1.0)
    assert site.exposed and site.risk_exposure_index == pytest.approx(800.0 / own.value_lost_usd)


def test_alternate_with_part_capacity_stretches_survival() -> None:
    """B makes 5 parts a week = 1 rack of the 2 needed: stock 4 racks lasts 4 / (2 − 1) = 4 weeks;
    with 10 parts a week (2 racks) the plan survives indefinitely; both down: 4 / 2 = 2 weeks."""
    assert by_id(stress_test(one_product(4.0, 0.0, alternate_capacity=5.0)), "site:a").tts_weeks == pytest.approx(4.0)
    full = stress_test(one_product(4.0, 0.0, alternate_capacity=10.0))
    assert math.isinf(by_id(full, "site:a").tts_weeks) and not by_id(full, "site:a").exposed
    assert by_id(full, "site:a").racks_lost["p"] == pytest.approx(0.0, abs=1e-9)
    both = stress_test(one_product(4.0, 0.0, alternate_capacity=10.0),
                       [Disruption("both", "test", "both", (1, 2), 1.0)])
    assert both.nodes[0].tts_weeks == pytest.approx(2.0)


def test_no_disruption_meets_the_plan_exactly() -> None:
    for seed in range(5):
        net = synthetic_network(60, seed)
        model = StressModel(net)
        lost, value = model.lost_demand((), 26.0)
        assert all(v == pytest.approx(0.0, abs=1e-7) for v in lost.values()) and value == pytest.approx(0, abs=1e-3)
        assert math.isinf(model.time_to_survive(()))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), extra=st.floats(0.0, 50.0), which=st.integers(0, 10_000))
def test_more_inventory_never_shortens_survival(seed: int, extra: float, which: int) -> None:
    net = synthetic_network(40, seed)
    rng = np.random.default_rng(which)
    richer = with_stock(net, list(rng.uniform(0, extra, len(net.nodes))))
    disruptions = net.disruptions(["node", "site"])
    before = stress_test(net, disruptions)
    after = stress_test(richer, disruptions)
    tts_before = {n.disruption.id: n.tts_weeks for n in before.nodes}
    for n in after.nodes:
        assert n.tts_weeks >= tts_before[n.disruption.id] - 1e-6
    lost_before = {n.disruption.id: n.value_lost_usd for n in before.nodes}
    for n in after.nodes:  # and never loses more
        assert n.value_lost_usd <= lost_before[n.disruption.id] + 1e-3 * (1 + lost_before[n.disruption.id])


def check_feasible(network: SupplyGraph, model: StressModel, down: tuple[int, ...], tol: float = 1e-6) -> None:
    """An independent check of the LP's answer against the constraints, in plain Python."""
    values = list(model.highs.getSolution().col_value)
    n = len(network.nodes)
    u = values[:n]
    edges: dict[tuple[int, int], int] = {}
    for req in network.requirements:
        for i in req.suppliers:
            edges.setdefault((i, req.consumer), len(edges))
    y = {key: values[n + e] for key, e in edges.items()}
    t = values[-1]
    lost = values[n + len(edges):-1]
    for req in network.requirements:  # bill of materials
        assert req.quantity * u[req.consumer] <= sum(y[(i, req.consumer)] for i in req.suppliers) + tol
    for i, node in enumerate(network.nodes):
        shipped = sum(v for (a, _), v in y.items() if a == i)
        assert shipped <= u[i] + node.stock_units + tol * (1 + shipped)       # ships what it makes + stock
        assert u[i] <= node.capacity_per_week * t + tol * (1 + u[i]) if node.capacity_per_week < math.inf else True
        if i in down:
            assert abs(u[i]) <= tol
    for p, j in enumerate(network.products):                                    # demand met or lost
        node = network.nodes[j]
        assert u[j] + lost[p] + node.stock_units >= node.demand_per_week * t - tol * (1 + node.demand_per_week * t)


def test_lp_answers_pass_an_independent_feasibility_check() -> None:
    net = synthetic_network(80, 3)
    model = StressModel(net)
    for d in net.disruptions(["site"])[:15]:
        tts = model.time_to_survive(d.nodes)
        check_feasible(net, model, d.nodes)
        if math.isfinite(tts):
            assert model.highs.getSolution().col_value[-1] == pytest.approx(tts, rel=1e-7, abs=1e-9)
        model.lost_demand(d.nodes, d.ttr_weeks)
        check_feasible(net, model, d.nodes)


def test_reusing_one_model_gives_the_same_answers_as_fresh_models() -> None:
    net = synthetic_network(50, 9)
    disruptions = net.disruptions(["node"])[::4]
    reused = stress_test(net, disruptions)
    fresh = {}
    for d in disruptions:
        m = StressModel(net)
        fresh[d.id] = (m.time_to_survive(d.nodes), m.lost_demand(d.nodes, d.ttr_weeks)[1])
    for n in reused.nodes:
        tts, value = fresh[n.disruption.id]
        assert (math.isinf(tts) and math.isinf(n.tts_weeks)) or n.tts_weeks == pytest.approx(tts, abs=1e-6)
        assert n.value_lost_usd == pytest.approx(value, rel=1e-6, abs=1e-3)


def test_solver_status_is_explained_in_domain_words() -> None:
    import highspy

    explain_status(highspy.HighsModelStatus.kOptimal, "x", highspy)
    with pytest.raises(SolverError, match=r"no solution.*stock"):
        explain_status(highspy.HighsModelStatus.kInfeasible, "time to survive with site:a down", highspy)
    with pytest.raises(SolverError, match="unbounded"):
        explain_status(highspy.HighsModelStatus.kUnbounded, "impact of site:a down", highspy)
    with pytest.raises(SolverError, match="site:a"):
        explain_status(highspy.HighsModelStatus.kTimeLimit, "impact of site:a down", highspy)


# --- from a programme --------------------------------------------------------------------------

MINI_SCENARIOS = """\
scenarios:
  stock:
    - {ref: mini-gpu-board, on_hand_units: 16, source: "estimate: test, two racks of GPU boards"}
  recovery:
    - {country: TW, ttr_weeks: 26, source: "estimate: test value, half a year"}
"""


def test_programme_network_by_hand(mini: Path) -> None:
    """Mini rack: 4 trays × 2 GPU boards, boards only from Hsinchu (TW); 2 racks planned in 2027Q1
    = 2/13.04 racks a week; 16 boards on hand = 2 racks -> Taiwan down survives 13.04 weeks; over
    its 26-week recovery 4 racks are due, 2 are built from stock, 2 lost."""
    from rackforge.io.loader import load_programme
    from rackforge.resilience.stress import stress_programme

    (mini / "scenarios.yaml").write_text(MINI_SCENARIOS, encoding="utf-8")
    programme = load_programme(mini)
    result = stress_programme(programme)
    tw = by_id(result, "country:TW")
    assert tw.tts_weeks == pytest.approx(52.1775 / 4, rel=1e-9)
    assert tw.ttr_weeks == 26 and tw.exposed
    assert tw.racks_lost["mini-rack"] == pytest.approx(2 * 26 / (52.1775 / 4) - 2, rel=1e-9)
    assert math.isinf(result.baseline_tts_weeks)
    with pytest.raises(InputError, match="2027Q3"):
        stress_programme(programme, quarter="2027Q3")


def test_reference_programme_stress(reference) -> None:  # type: ignore[no-untyped-def]
    from rackforge.resilience.stress import stress_programme

    result = stress_programme(reference)
    kinds = {n.disruption.kind for n in result.nodes}
    assert kinds == {"site", "country", "region"}
    assert max(n.risk_exposure_index for n in result.nodes) == pytest.approx(1.0)
    for n in result.nodes:
        assert n.tts_weeks >= 0 and n.exposed == (n.ttr_weeks > n.tts_weeks)
    # a region contains its countries: losing East Asia survives no longer than losing Taiwan
    assert by_id(result, "region:East Asia").tts_weeks <= by_id(result, "country:TW").tts_weeks + 1e-9


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    from rackforge.io.loader import load_programme

    return load_programme(None)
