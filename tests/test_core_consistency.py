"""One concept, one figure: whichever analysis asks, a part's price, lead time and order shares, a
design's domestic share and a rack's component value are the same number.

Checked on the reference programme and on random programmes (hypothesis over
:func:`rackforge.sourcing.synthetic.synthetic_programme`), against the supply view of
:mod:`rackforge.core.supply` and the BOM of :mod:`rackforge.core.bom`: the sourcing analysis, the
evaluation's TCO, the optimiser's input, the Monte Carlo model, the stress-test graph and the
safety-stock tree must all report what core reports.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rackforge.calendar import quarter_start
from rackforge.core.supply import (
    SourceMode,
    design_view_date,
    part_unit_cost_on,
    plan_view_date,
    rack_component_cost_usd,
    supply_view,
)
from rackforge.io.loader import load_programme
from rackforge.schema import Programme, Qualification
from rackforge.sourcing.synthetic import synthetic_programme

REL = 1e-9


@functools.cache
def reference() -> Programme:
    return load_programme(None)


def source_rows(programme: Programme) -> dict[str, int]:
    """Supply-view row of each source, keyed ``part@site``."""
    view = supply_view(programme)
    return {f"{view.part_ids[view.source_part[r]]}@{view.site[r]}": r for r in range(view.n_sources)}


# -- order shares ------------------------------------------------------------------------------------


def check_order_shares(programme: Programme) -> None:
    """Sourcing's shares on every quarter's first day and the Monte Carlo's per-quarter order shares
    equal the supply view's, source by source."""
    from rackforge.resilience.montecarlo import simulation_model
    from rackforge.sourcing.analysis import analyse_sourcing

    view = supply_view(programme)
    analysis = analyse_sourcing(programme)
    assert analysis.network.part_ids == view.part_ids
    model = simulation_model(programme)
    rows = source_rows(programme)
    for t, quarter in enumerate(programme.build_plan.quarter_list):
        when = quarter_start(quarter)
        for mode in SourceMode:
            np.testing.assert_allclose(analysis.shares_on(when, mode), view.order_shares(when, mode), rtol=REL)
        expected = view.order_shares(when, SourceMode.ALTERNATES)
        for s, key in enumerate(model.sources):
            want = expected[rows[key]] if key in rows else 0.0
            assert model.share[t, s] == pytest.approx(want, rel=REL, abs=1e-12), (quarter, key)


# -- prices and lead times ----------------------------------------------------------------------------


def check_prices_and_lead_times(programme: Programme) -> None:
    """A part's landed unit price is the same in sourcing's design view, the TCO, the Monte Carlo and
    the optimiser's input; its lead time is the same in the Monte Carlo and the supply view."""
    from rackforge.evaluate.tco import design_prices
    from rackforge.optimize.data import build_input
    from rackforge.resilience.montecarlo import simulation_model
    from rackforge.sourcing.analysis import analyse_sourcing

    view = supply_view(programme)
    analysis = analyse_sourcing(programme)
    plan = programme.build_plan
    for design in plan.designs:
        unit = analysis.design_unit_cost_usd(design, SourceMode.QUALIFIED)
        view_unit = part_unit_cost_on(programme, design_view_date(plan, design, SourceMode.QUALIFIED))
        for part, price in design_prices(programme, design).items():
            k = view.part_index[part]
            assert price.unit_price_usd == pytest.approx(unit[k], rel=REL)
            assert price.unit_price_usd == pytest.approx(view_unit[part], rel=REL)

    model = simulation_model(programme)
    plan_prices = part_unit_cost_on(programme, plan_view_date(plan, SourceMode.QUALIFIED), SourceMode.QUALIFIED)
    start_shares = view.order_shares(quarter_start(plan.quarter_list[0]), SourceMode.ALTERNATES)
    lead = view.part_lead_time_weeks(start_shares)
    for k, part in enumerate(model.parts):
        assert model.part_price_usd[k] == pytest.approx(plan_prices[part], rel=REL), part
        expected_lead = lead[view.part_index[part]]
        if np.isfinite(expected_lead):
            assert model.lead_time_weeks[k] == pytest.approx(expected_lead, rel=REL), part

    data = build_input(programme)
    rows = source_rows(programme)
    for s in range(data.n_sources):
        r = rows[f"{data.part_ids[data.source_part[s]]}@{data.source_site[s]}"]
        assert data.landed_cost_usd[s] == pytest.approx(view.landed_cost_usd[r], rel=REL)
        assert data.lead_time_weeks[s] == pytest.approx(view.lead_time_weeks[r], rel=REL)


# -- rack value -------------------------------------------------------------------------------------


def check_rack_values(programme: Programme) -> None:
    """A rack's component value is the same in the BOM, the TCO, the stress test, the Monte Carlo and
    the safety-stock tree (unless the scenario library states its own value for the design)."""
    from rackforge.core.bom import BomStructure
    from rackforge.evaluate.tco import rack_tco
    from rackforge.resilience.montecarlo import simulation_model
    from rackforge.resilience.network import build_network, library_of
    from rackforge.sourcing.analysis import analyse_sourcing
    from rackforge.sourcing.bom import flat_bom

    analysis = analyse_sourcing(programme)
    library = library_of(programme)
    graph = build_network(programme)
    node_ids = {node.id for node in graph.nodes}
    model = simulation_model(programme)
    structure = BomStructure.from_catalog(programme.catalog, programme.build_plan.designs)
    for design in programme.build_plan.designs:
        value = rack_component_cost_usd(programme, design)
        bom = flat_bom(structure, analysis.design_unit_cost_usd(design, SourceMode.QUALIFIED), design)
        assert float(bom["cost_per_rack_usd"].sum()) == pytest.approx(value, rel=1e-9)
        assert rack_tco(programme, design).hardware_usd == pytest.approx(value, rel=1e-9)
        at_risk = library.rack_value_usd.get(design, value)
        if f"design:{design}" in node_ids:  # the graph holds the designs built in its quarter
            assert graph.nodes[graph.index(f"design:{design}")].value_usd == pytest.approx(at_risk, rel=1e-9)
        if design in model.designs:
            assert model.rack_value_usd[model.designs.index(design)] == pytest.approx(at_risk, rel=1e-9)


# -- domestic share ---------------------------------------------------------------------------------


def check_domestic_share(programme: Programme) -> None:
    """A design's domestic share in its own view is the same in the sourcing analysis and the evaluation."""
    from rackforge.evaluate.bridges import designs_domestic_content
    from rackforge.sourcing.analysis import analyse_sourcing

    analysis = analyse_sourcing(programme)
    designs = list(programme.build_plan.designs)
    from_evaluation = designs_domestic_content(analysis, designs)
    by_design = {row["design"]: row for row in analysis.to_json()["designs"]}
    for design in designs:
        first = design_view_date(programme.build_plan, design, SourceMode.QUALIFIED).year
        year = next(y for y in by_design[design]["years"] if y["year"] == first)
        assert from_evaluation[design]["share"] == pytest.approx(year["domestic_content"], abs=5e-7)  # JSON: 6 digits


CHECKS = (check_order_shares, check_prices_and_lead_times, check_rack_values, check_domestic_share)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_reference_programme_agrees(check) -> None:  # type: ignore[no-untyped-def]
    check(reference())


@st.composite
def small_programmes(draw: st.DrawFn) -> Programme:
    n_parts = draw(st.integers(12, 40))
    return synthetic_programme(n_parts=n_parts, n_sources=draw(st.integers(n_parts, 3 * n_parts)),
                               n_designs=draw(st.integers(1, 3)), n_sites=draw(st.integers(4, 15)),
                               parts_per_assembly=draw(st.integers(2, 6)), seed=draw(st.integers(0, 10_000)))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programme=small_programmes())
def test_random_programmes_agree(programme: Programme) -> None:
    for check in CHECKS:
        check(programme)


def test_the_checks_can_fail() -> None:
    """A programme whose Monte Carlo model is built from different shares makes the share check fail."""
    from dataclasses import replace

    import rackforge.resilience.montecarlo as mc

    programme = reference()
    original = mc.simulation_model

    def skewed(p: Programme, *args: object, **kwargs: object) -> mc.SimulationModel:
        model = original(p, *args, **kwargs)  # type: ignore[arg-type]
        share = model.share.copy()
        share[0] = np.roll(share[0], 1)
        return replace(model, share=share)

    mc.simulation_model = skewed  # type: ignore[assignment]
    try:
        with pytest.raises(AssertionError):
            check_order_shares(programme)
    finally:
        mc.simulation_model = original


def test_a_site_start_date_changes_every_analysis_alike() -> None:
    """A qualified source whose site has not started yet ships in no analysis before that date."""
    programme = reference()
    view = supply_view(programme)
    first_day = quarter_start(programme.build_plan.quarter_list[0])
    qualified = [s for s in programme.sources if s.qualification is Qualification.QUALIFIED]
    site = qualified[0].site
    sites = dict(programme.catalog.sites)
    sites[site] = sites[site].model_copy(update={"operational_from": first_day.replace(year=first_day.year + 5)})
    late = programme.model_copy(update={"catalog": programme.catalog.model_copy(update={"sites": sites})})
    late_view = supply_view(late)
    rows = [r for r in range(late_view.n_sources) if late_view.site[r] == site]
    assert rows and not late_view.may_ship_on(first_day)[rows].any()
    assert view.may_ship_on(first_day)[rows].any()
    check_order_shares(late)
    check_rack_values(late)
