"""TCO against hand calculations, and its invariants."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.evaluate.tco import (
    annual_energy_cost_usd,
    bom_cost_usd,
    generations_tco,
    overhead_energy_cost_usd,
    present_value_factor,
    rack_it_power_w,
    rack_tco,
)
from rackforge.io.loader import load_programme
from rackforge.schema.evaluations import DEFAULT_TCO_ASSUMPTIONS, TcoAssumptions

DATA = Path(__file__).parent / "data"


@pytest.fixture
def evalmini(tmp_path: Path) -> Path:
    dest = tmp_path / "evalmini"
    shutil.copytree(DATA / "mini", dest)
    for f in (DATA / "evaluate").glob("*.yaml"):
        shutil.copy(f, dest / f.name)
    return dest


def test_energy_cost_of_one_kilowatt_for_a_year() -> None:
    # 1 kW × 8,760 h = 8,760 kWh; at 0.10 USD/kWh = 876 USD
    assert annual_energy_cost_usd(1000.0, 0.10) == pytest.approx(876.0)


def test_overhead_energy_is_pue_minus_one_times_it_energy() -> None:
    assert overhead_energy_cost_usd(1000.0, 1.35) == pytest.approx(350.0)
    assert overhead_energy_cost_usd(1000.0, 1.0) == 0.0
    with pytest.raises(ValueError):
        overhead_energy_cost_usd(1000.0, 0.9)


def test_present_value_factor_hand_values() -> None:
    assert present_value_factor(0.0, 5) == 5.0
    # 1/1.1 + 1/1.21 = 0.909091 + 0.826446 = 1.735537
    assert present_value_factor(0.10, 2) == pytest.approx(1 / 1.1 + 1 / 1.21)


def test_rack_power_divides_by_chain_efficiency() -> None:
    assert rack_it_power_w(10_000, 0.8, 0.8) == pytest.approx(10_000)
    with pytest.raises(ValueError):
        rack_it_power_w(10_000, 0.8, 0.0)


def test_mini_rack_tco_by_hand(mini: Path) -> None:
    programme = load_programme(mini)
    tco = rack_tco(programme, "mini-rack", DEFAULT_TCO_ASSUMPTIONS)
    # 4 trays × (2 boards + 4 cold plates) + 2 shelves
    hardware = 8 * 60_000 + 16 * 300 + 2 * 9_000
    assert tco.hardware_usd == pytest.approx(hardware)
    assert tco.gpus == 8 * 2
    power_w = 8 * 2_700 * 0.8  # default design utilisation, no conversion chain stated
    assert tco.it_power_w == pytest.approx(power_w)
    it_energy = power_w / 1000 * 8760 * 0.08 * 5  # facility default 0.08 USD/kWh, 5 years
    assert tco.it_energy_usd == pytest.approx(it_energy)
    assert tco.overhead_energy_usd == pytest.approx(it_energy * 0.2)  # facility default PUE 1.2
    assert tco.cooling_om_usd == pytest.approx(40 * power_w / 1000 * 5)
    assert tco.maintenance_usd == pytest.approx(0.08 * hardware * 5)
    total = hardware + it_energy * 1.2 + 40 * power_w / 1000 * 5 + 0.08 * hardware * 5
    assert tco.total_usd == pytest.approx(total)
    assert tco.usd_per_gpu_hour == pytest.approx(total / (16 * 8760 * 5))
    assert tco.unpriced_parts == ()


def test_option_price_replaces_bom_capital_and_chain_raises_power(evalmini: Path) -> None:
    programme = load_programme(evalmini)
    a = TcoAssumptions(years=3, integration_usd_per_rack=10_000, source="estimate: test assumptions here")
    tco = rack_tco(programme, "eval-b", a, capital_price_usd=700_000)
    assert tco.capital_usd == 700_000 and tco.capital_basis == "option-price"
    assert tco.integration_usd == 0  # included in the vendor's price
    assert tco.it_power_w == pytest.approx(12 * 2_700 * 0.7 / 0.97)
    assert tco.maintenance_usd == pytest.approx(0.08 * 700_000 * 3)
    bom = rack_tco(programme, "eval-b", a)
    assert bom.capital_usd == pytest.approx(12 * 60_000 + 24 * 300 + 2 * 9_000 + 10_000)


def test_part_without_source_uses_reference_price_or_is_reported(mini: Path) -> None:
    sources = mini / "sources.yaml"
    text = sources.read_text()
    cut = text.index("  - part: mini-shelf")
    sources.write_text(text[:cut])
    programme = load_programme(mini)
    tco = rack_tco(programme, "mini-rack", DEFAULT_TCO_ASSUMPTIONS)
    assert tco.unpriced_parts == ("mini-shelf",) and tco.notes
    catalog = mini / "catalog.yaml"
    catalog.write_text(catalog.read_text().replace("    conversion:\n", "    reference_price_usd: 8000\n"
                                                   "    conversion:\n", 1))
    tco = rack_tco(load_programme(mini), "mini-rack", DEFAULT_TCO_ASSUMPTIONS)
    assert tco.unpriced_parts == () and tco.priced_from_reference == ("mini-shelf",)
    assert tco.hardware_usd == pytest.approx(8 * 60_000 + 16 * 300 + 2 * 8_000)


def test_generations_follow_the_build_plan(evalmini: Path) -> None:
    plan = evalmini / "programme.yaml"
    plan.write_text(plan.read_text().replace("2027Q2: {mini-rack: 3}", "2027Q2: {mini-rack: 3, eval-b: 1}"))
    rows = generations_tco(load_programme(evalmini))
    assert [r.design for r in rows] == ["mini-rack", "eval-b"]


@settings(max_examples=40, deadline=None)
@given(power=st.floats(1_000, 700_000), price=st.floats(0.01, 0.5), pue=st.floats(1.0, 2.0),
       years=st.integers(1, 10), rate=st.floats(0.0, 0.2))
def test_energy_cost_scales_linearly_and_pv_never_exceeds_years(power: float, price: float, pue: float,
                                                                years: int, rate: float) -> None:
    one = annual_energy_cost_usd(power, price)
    assert annual_energy_cost_usd(2 * power, price) == pytest.approx(2 * one)
    assert overhead_energy_cost_usd(one, pue) <= one * (pue - 1) + 1e-9
    pv = present_value_factor(rate, years)
    assert 0 < pv <= years + 1e-12
    assert present_value_factor(rate, years + 1) > pv


@settings(max_examples=30, deadline=None)
@given(quantities=st.dictionaries(st.sampled_from("abcdef"), st.integers(1, 50), min_size=1),
       prices=st.dictionaries(st.sampled_from("abcdef"), st.floats(0, 1e6), min_size=1),
       factor=st.integers(1, 20))
def test_bom_cost_scales_with_rack_count(quantities: dict[str, int], prices: dict[str, float], factor: int) -> None:
    one = bom_cost_usd(quantities, prices)
    many = bom_cost_usd({k: v * factor for k, v in quantities.items()}, prices)
    assert many == pytest.approx(factor * one)
    assert one >= 0
