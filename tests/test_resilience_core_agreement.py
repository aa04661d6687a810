"""The resilience analyses read their supply figures from rackforge.core: order shares, which source
ships, lead times, part and rack values agree with the supply view, the BOM and the TCO."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rackforge.calendar import quarter_start
from rackforge.core.supply import (
    SourceMode,
    part_unit_cost_on,
    plan_view_date,
    rack_component_cost_usd,
    supply_view,
)
from rackforge.io.loader import load_programme
from rackforge.resilience.montecarlo import SimulationModel, simulation_model
from rackforge.resilience.network import build_network, library_of
from rackforge.resilience.safety_stock import design_tree
from rackforge.schema import Programme


@pytest.fixture(scope="module")
def reference() -> Programme:
    return load_programme(None)


@pytest.fixture(scope="module")
def model(reference: Programme) -> SimulationModel:
    return simulation_model(reference)


def view_rows(programme: Programme) -> dict[str, int]:
    """Supply-view row of every source, keyed ``part@site`` as the Monte Carlo names them."""
    view = supply_view(programme)
    return {f"{view.part_ids[view.source_part[r]]}@{view.site[r]}": r for r in range(view.n_sources)}


def test_first_quarter_order_shares_equal_the_supply_view(reference: Programme, model: SimulationModel) -> None:
    view = supply_view(reference)
    first_day = quarter_start(reference.build_plan.quarter_list[0])
    expected = view.order_shares(first_day, SourceMode.ALTERNATES)
    rows = view_rows(reference)
    for s, key in enumerate(model.sources):
        want = float(expected[rows[key]]) if key in rows else 0.0  # a placeholder has no row
        assert model.share[0, s] == pytest.approx(want, abs=1e-12), key
    # the view's sources of the model's parts that the model leaves out never ship: share 0 there
    left_out = [r for key, r in rows.items() if key not in model.sources and key.split("@")[0] in model.parts]
    assert all(expected[r] == 0.0 for r in left_out)


def test_every_quarter_order_shares_equal_the_supply_view(reference: Programme, model: SimulationModel) -> None:
    view = supply_view(reference)
    rows = view_rows(reference)
    real = [(s, rows[key]) for s, key in enumerate(model.sources) if key in rows]
    for t, quarter in enumerate(model.quarters):
        expected = view.order_shares(quarter_start(quarter), SourceMode.ALTERNATES)
        np.testing.assert_allclose([model.share[t, s] for s, _ in real], [expected[r] for _, r in real],
                                   atol=1e-12, err_msg=quarter)


def test_shares_override_resolves_like_the_supply_view(reference: Programme, model: SimulationModel) -> None:
    """with_shares names some sources of a part: the same split as overriding those sources' planned
    shares in the supply view (the part's other sources set to 0) and resolving there. Samsung
    Cheonan starts shipping in the middle of a quarter: it takes orders from the next one."""
    part = "hbm3e-12hi-36gb"
    mine = [key for key in model.sources if key.startswith(part + "@")]
    mix = {f"{part}@micron-taichung": 0.6, f"{part}@samsung-cheonan": 0.4}
    late = model.sources.index(f"{part}@samsung-cheonan")
    assert 0 < model.start_weeks[late] / model.period_weeks % 1 < 1
    moved = model.with_shares(mix)
    view = supply_view(reference)
    rows = view_rows(reference)
    planned = view.planned_share.copy()
    planned[view.source_part == view.part_index[part]] = 0.0
    for key, value in mix.items():
        planned[rows[key]] = value
    overridden = view.with_sources(planned_share=planned)
    for t, quarter in enumerate(model.quarters):
        expected = overridden.order_shares(quarter_start(quarter), SourceMode.ALTERNATES)
        for key in mine:
            assert moved.share[t, model.sources.index(key)] == pytest.approx(expected[rows[key]], abs=1e-12)
    others = [s for s, key in enumerate(model.sources) if not key.startswith(part + "@")]
    np.testing.assert_array_equal(moved.share[:, others], model.share[:, others])


def test_part_lead_times_equal_the_supply_view(reference: Programme, model: SimulationModel) -> None:
    """Lead time = SupplyView.part_lead_time_weeks on the plan-start alternates shares (lane transit
    included); parts no source may ship on that day take the first quarter in which one may."""
    view = supply_view(reference)
    by_quarter = [view.part_lead_time_weeks(view.order_shares(quarter_start(q), SourceMode.ALTERNATES))
                  for q in model.quarters]
    checked_at_start = 0
    for k, part in enumerate(model.parts):
        j = view.part_index[part]
        expected = next((lt[j] for lt in by_quarter if not math.isnan(lt[j])), 0.0)
        checked_at_start += not math.isnan(by_quarter[0][j])
        assert model.lead_time_weeks[k] == pytest.approx(expected, rel=1e-12), part
    assert checked_at_start > len(model.parts) / 2
    # the transit of the trade lane is part of it: Taiwanese GPUs take their lane's weeks on top
    k = model.parts.index("nvidia-b300-gpu")
    rows = view.source_part == view.part_index["nvidia-b300-gpu"]
    assert model.lead_time_weeks[k] > view.lead_time_weeks[rows].min()


def test_part_values_are_landed_costs_in_the_qualified_view(reference: Programme, model: SimulationModel) -> None:
    plan = reference.build_plan
    cost = part_unit_cost_on(reference, plan_view_date(plan, SourceMode.QUALIFIED), SourceMode.QUALIFIED)
    for k, part in enumerate(model.parts):
        assert model.part_price_usd[k] == pytest.approx(cost[part], rel=1e-12), part
    # landed: freight and duty on top of the ex-works price for an imported part
    view = supply_view(reference)
    gpu = view.source_part == view.part_index["nvidia-b300-gpu"]
    assert cost["nvidia-b300-gpu"] > view.price_usd[gpu & (view.status == 0)].min()


def rack_values(programme: Programme, model: SimulationModel | None = None) -> dict[str, dict[str, float]]:
    """Rack value per design as the stress graph (first and last quarter), the Monte Carlo and the
    safety-stock tree see it."""
    out: dict[str, dict[str, float]] = {}
    for quarter in (None, programme.build_plan.quarter_list[-1]):
        for node in build_network(programme, quarter).nodes:
            if node.kind == "design":
                out.setdefault(node.id.removeprefix("design:"), {})[f"stress {quarter}"] = node.value_usd
    m = model if model is not None else simulation_model(programme)
    for d, design in enumerate(m.designs):
        out[design]["montecarlo"] = float(m.rack_value_usd[d])
    for design in m.designs:
        tree = design_tree(programme, design)
        settings = library_of(programme).safety_stock
        assert settings is not None
        rack = next(s for s in tree.stages if s.id == design)
        out[design]["safety stock"] = rack.holding_cost_per_period / (settings.holding_rate_per_year / 52.1775)
    return out


def test_rack_values_equal_the_bom_component_cost(reference: Programme, model: SimulationModel) -> None:
    values = rack_values(reference, model)
    assert set(values) == set(model.designs)
    for design, seen in values.items():
        cost = rack_component_cost_usd(reference, design)
        assert len(seen) >= 2
        for where, value in seen.items():
            assert value == pytest.approx(cost, rel=1e-9), f"{design} in {where}"


def test_scenario_library_rack_value_overrides(reference: Programme) -> None:
    lib = library_of(reference)
    programme = reference.model_copy(update={"scenarios": lib.model_copy(
        update={"rack_value_usd": {"gb300-nvl72": 5_000_000.0}})})
    values = rack_values(programme)
    for where, value in values["gb300-nvl72"].items():
        assert value == pytest.approx(5_000_000.0, rel=1e-9), where
    for where, value in values["gb200-nvl72"].items():
        assert value == pytest.approx(rack_component_cost_usd(programme, "gb200-nvl72"), rel=1e-9), where


def test_stress_graph_ships_as_the_supply_view(reference: Programme) -> None:
    """A source node makes something exactly when the supply view says it may ship on the
    quarter's first day, with alternates counting from their expected dates."""
    view = supply_view(reference)
    rows = view_rows(reference)
    for quarter in reference.build_plan.quarter_list[::3]:
        ships = view.may_ship_on(quarter_start(quarter), SourceMode.ALTERNATES)
        sources = [n for n in build_network(reference, quarter).nodes if n.kind == "source"]
        assert sources
        for node in sources:
            assert (node.capacity_per_week > 0) == bool(ships[rows[node.id.removeprefix("source:")]]), node.id


def test_safety_stock_parts_use_the_core_lead_time_and_value(reference: Programme, model: SimulationModel) -> None:
    tree = design_tree(reference, "gb300-nvl72")
    settings = library_of(reference).safety_stock
    assert settings is not None
    rate = settings.holding_rate_per_year / 52.1775
    lead = dict(zip(model.parts, model.lead_time_weeks.tolist(), strict=True))
    value = dict(zip(model.parts, model.part_price_usd.tolist(), strict=True))
    parts = [s for s in tree.stages if s.id.rsplit("/", 1)[-1] in reference.catalog.parts]
    assert parts
    for stage in parts:
        part = stage.id.rsplit("/", 1)[-1]
        assert stage.processing_periods == math.ceil(lead[part] - 1e-9), stage.id
        assert stage.holding_cost_per_period == pytest.approx(value[part] * rate, rel=1e-12), stage.id
