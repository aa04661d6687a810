"""The built-in catalog and the reference programme: they load, and their arithmetic lands on public figures.

Each design is exploded to parts (Catalog.explode) and summed by hand here (independently of any
engineering module): GPU/CPU counts must equal the published counts exactly; power and mass must
land within the tolerance stated next to each assertion, which also names the public source.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from rackforge.calendar import quarter_start
from rackforge.core.bom import explode
from rackforge.core.supply import may_ship_on
from rackforge.io.loader import load_catalog, load_programme
from rackforge.schema import Catalog, Category, Programme, Qualification

DESIGNS = ("gb200-nvl72", "gb300-nvl72", "kyber-800vdc", "hgx-b200-air")


@cache
def catalog() -> Catalog:
    return load_catalog()


@cache
def programme() -> Programme:
    return load_programme(None)


def rack_sum(cat: Catalog, ref: str, attr: str) -> float:
    """Sum of one per-unit part figure over everything ``ref`` contains [unit of ``attr``]."""
    return sum(getattr(cat.parts[p], attr) * qty for p, qty in explode(cat, ref).items())


def compute_count(cat: Catalog, ref: str, what: str) -> int:
    """GPUs or CPUs in ``ref``, from the parts' compute blocks [count]."""
    return sum(getattr(cat.parts[p].compute, what) * qty for p, qty in explode(cat, ref).items()
               if cat.parts[p].compute is not None)


def within(value: float, target: float, rel: float) -> bool:
    return abs(value - target) <= rel * target


# ---------------------------------------------------------------- catalog size and coverage

def test_catalog_has_at_least_60_part_types_covering_every_category() -> None:
    cat = catalog()
    assert len(cat.parts) >= 60
    assert {p.category for p in cat.parts.values()} == set(Category)


def test_sites_span_at_least_6_countries_with_us_sites_and_known_suppliers() -> None:
    cat = catalog()
    assert len(cat.sites) >= 30
    countries = {s.country for s in cat.sites.values()}
    assert len(countries) >= 6
    us_sites = [s for s in cat.sites.values() if s.country == "US"]
    assert len(us_sites) >= 10
    assert "foxconn-houston" in cat.sites
    assert all(s.supplier in cat.suppliers for s in cat.sites.values())


def test_makers_name_known_suppliers() -> None:
    cat = catalog()
    assert all(p.maker is None or p.maker in cat.suppliers for p in cat.parts.values())


def test_part_heat_split_and_converters_carry_no_load() -> None:
    cat = catalog()
    for part in cat.parts.values():
        assert 0.0 <= part.liquid_heat_fraction <= 1.0
        if part.conversion is not None:
            # converter losses come from conversion.efficiency, never from power_w (PartType docstring)
            assert part.power_w == 0.0, part.id


# ---------------------------------------------------------------- every record is sourced

def _resolves(model: Any, path: str) -> bool:
    """True if a dotted figure_sources key names a (nested) field of the record's model."""
    current: Any = type(model)
    for name in path.split("."):
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or name not in current.model_fields:
            return False
        annotation = current.model_fields[name].annotation
        nested = [a for a in (annotation, *getattr(annotation, "__args__", ()))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        current = nested[0] if nested else annotation
    return True


def _sourced_records(prog: Programme) -> list[Any]:
    cat = prog.catalog
    records: list[Any] = [*cat.parts.values(), *cat.assemblies.values(), *cat.designs.values(),
                          *cat.suppliers.values(), *cat.sites.values(), *prog.sources, *prog.trade, prog.facility]
    for design in cat.designs.values():
        records += [block for block in (design.performance, design.published) if block is not None]
    return records


def test_every_record_has_a_source_and_every_figure_source_names_a_field() -> None:
    records = _sourced_records(programme())
    assert len(records) > 300
    for record in records:
        assert record.source.strip(), record
        for key, text in record.figure_sources.items():
            assert text.strip()
            assert _resolves(record, key), f"{type(record).__name__} figure_sources key {key!r} is not a field"


def test_estimates_give_reasons_and_no_record_cites_a_bare_word() -> None:
    for record in _sourced_records(programme()):
        for text in (record.source, *record.figure_sources.values()):
            if text.lower().startswith("estimate"):
                assert len(text) >= 20, text


# ---------------------------------------------------------------- designs against public figures

@pytest.mark.parametrize("design_id", DESIGNS)
def test_design_explodes_to_published_gpu_and_cpu_counts_exactly(design_id: str) -> None:
    cat = catalog()
    published = cat.designs[design_id].published
    assert published is not None and published.gpus is not None
    assert compute_count(cat, design_id, "gpus") == published.gpus
    if published.cpus is not None:
        assert compute_count(cat, design_id, "cpus") == published.cpus


def test_gb200_counts_trays_and_hbm() -> None:
    cat = catalog()
    parts = explode(cat, "gb200-nvl72")
    # docs.nvidia.com/multi-node-nvlink-systems/multi-node-tuning-guide/system.html:
    # 72 B200 + 36 Grace; 18 compute trays; 9 switch trays (2 NVLink switch chips each = 18)
    assert parts["nvidia-b200-gpu"] == 72
    assert parts["nvidia-grace-cpu"] == 36
    assert parts["tray-chassis-1ou-compute"] == 18
    assert parts["nvidia-nvlink5-switch-asic"] == 18
    # NVIDIA GB200 NVL72 page: 192 GB HBM3e per GPU = 8 stacks × 24 GB → 13.8 TB raw (13.4 TB quoted)
    hbm_gb = parts["hbm3e-8hi-24gb"] * 24
    assert hbm_gb == 72 * 192
    # docs.nvidia.com/base-command-manager/.../powershelf.md: 8 shelves × 6 × 5.5 kW PSUs
    assert parts["orv3-power-shelf-33kw"] == 8
    assert parts["psu-orv3-5.5kw"] == 48


def test_gb200_power_lands_on_ocp_figure_and_fits_n_plus_n_shelves() -> None:
    cat = catalog()
    design = cat.designs["gb200-nvl72"]
    it_load_w = rack_sum(cat, "gb200-nvl72", "power_w")
    # ~120 kW: Network World report of NVIDIA's OCP contribution (rack-facts.md); tolerance ±5%
    assert design.published is not None and design.published.rack_power_w == 120_000
    assert within(it_load_w, 120_000, 0.05)
    # 8 × 33 kW = 264 kW nameplate, N+N → 132 kW usable (powershelf.md; Supermicro's 132 kW): load must fit
    shelf = cat.parts["orv3-power-shelf-33kw"].conversion
    assert shelf is not None
    assert design.power.shelf_count * shelf.output_w / 2 == 132_000
    assert it_load_w <= 132_000


def test_gb200_mass_lands_on_published_1360_kg() -> None:
    # 1.36 t (3,000 lb): Yahoo / Network World report (rack-facts.md; 1.8 t in another report ⚠); ±5%
    assert within(rack_sum(catalog(), "gb200-nvl72", "mass_kg"), 1360, 0.05)


def test_gb200_busbar_sections_carry_the_load_at_the_quoted_rating() -> None:
    cat = catalog()
    design = cat.designs["gb200-nvl72"]
    busbar = cat.parts["busbar-orv3-50v-1400a"].busbar
    assert busbar is not None and design.published is not None
    # ~1,400 A quoted (Network World; The Register) ⚠ — modelled as the rating of each of two sections
    assert busbar.rating_a == design.published.busbar_current_a == 1400
    # hand calculation: 120 kW / 50 V = 2,400 A over 2 sections = 1,200 A each ≤ 1,400 A
    per_section_a = rack_sum(cat, "gb200-nvl72", "power_w") / design.power.bus_voltage_v / design.power.busbar_count
    assert 1100 < per_section_a <= busbar.rating_a


def test_nvlink_spine_cable_count_matches_published_5184() -> None:
    cat = catalog()
    for design_id in ("gb200-nvl72", "gb300-nvl72"):
        scale_up = cat.designs[design_id].network.scale_up
        assert scale_up is not None and scale_up.cable is not None
        cable = cat.parts[scale_up.cable].cable
        assert cable is not None and cable.conductors is not None
        cartridges = explode(cat, design_id)[scale_up.cable]
        # 5,184 cables (diskmfr.com, rack-facts.md) = 72 GPUs × 18 links × 2 lanes × 2 directions
        expected = scale_up.gpus_per_domain * scale_up.links_per_gpu * scale_up.lanes_per_link * 2
        assert expected == scale_up.published_spine_cables == 5184
        assert cartridges * cable.conductors == 5184


def test_gb300_power_lands_between_published_figures() -> None:
    cat = catalog()
    it_load_w = rack_sum(cat, "gb300-nvl72", "power_w")
    # ~136 kW (Microsoft) within ±5%; never above NVIDIA's "up to 142 kW"
    # (docs.nvidia.com/enterprise-reference-architectures/nvl72-ai-factory/latest/components.html)
    assert within(it_load_w, 136_000, 0.05)
    assert it_load_w <= 142_000
    # and more than GB200: 72 × (1,400 − 1,200) W more GPU power alone
    assert it_load_w - rack_sum(cat, "gb200-nvl72", "power_w") >= 72 * 200


def test_gb300_compute_tray_is_mostly_liquid_cooled() -> None:
    cat = catalog()
    power_w = rack_sum(cat, "gb300-compute-tray", "power_w")
    liquid_w = rack_sum(cat, "gb300-compute-tray", "liquid_heat_w")
    # ~6.5-6.6 kW per tray with ~6.2 kW to liquid (~94%), Morgan Stanley via epium.com (rack-facts.md, est.).
    # Our tray is larger (~7.2 kW, ⚠ noted in the data): BlueField-3s at their 150 W maximum and fans at full
    # speed put ~1.1 kW to air instead of ~0.4 kW. Hold the power to ±15% and the liquid share to 80-97%.
    assert within(power_w, 6550, 0.15)
    assert 0.80 <= liquid_w / power_w <= 0.97
    assert liquid_w >= 6000


def test_kyber_power_lands_on_up_to_600_kw() -> None:
    cat = catalog()
    parts = explode(cat, "kyber-800vdc")
    # Tom's Hardware (GTC 2025 keynote Q&A): 4 pods × 18 blades × 8 GPUs, "up to 600 kW"; estimates ±5%
    assert parts["kyber-blade-chassis"] == 4 * 18 + 24  # 72 compute blades + 24 switch blades (estimate)
    assert within(rack_sum(cat, "kyber-800vdc", "power_w"), 600_000, 0.05)


def test_kyber_800v_distribution_has_headroom_with_one_shelf_out() -> None:
    cat = catalog()
    design = cat.designs["kyber-800vdc"]
    load_w = rack_sum(cat, "kyber-800vdc", "power_w")
    shelf = cat.parts[design.power.shelf or ""].conversion
    busbar = cat.parts[design.power.busbar or ""].busbar
    assert shelf is not None and busbar is not None
    assert (design.power.shelf_count - 1) * shelf.output_w >= load_w  # N+1
    # 800 V: ~15× less current than 54 V (NVIDIA 800 VDC, rack-facts.md); hand calc 610 kW / 800 V ≈ 763 A
    assert load_w / 800 <= design.power.busbar_count * busbar.rating_a
    assert design.power.bbu is not None and design.power.ride_through_target_s is not None
    battery = cat.parts[design.power.bbu].battery
    assert battery is not None
    assert design.power.bbu_count * battery.energy_wh * 3600 / load_w >= design.power.ride_through_target_s


def test_hgx_server_matches_dgx_b200_power_and_mass() -> None:
    cat = catalog()
    # https://docs.nvidia.com/dgx/dgxb200-user-guide/introduction-to-dgxb200.html:
    # 14.3 kW max input, 142.4 kg max, 10U, 6 × 3.3 kW PSUs (5+1)
    dc_load_w = rack_sum(cat, "hgx-b200-server", "power_w")
    psu = cat.parts["psu-crps-3.3kw"].conversion
    assert psu is not None
    ac_input_w = dc_load_w / psu.efficiency
    assert within(ac_input_w, 14_300, 0.10) and ac_input_w <= 14_300
    assert 5 * psu.output_w >= dc_load_w  # one PSU may fail
    assert within(rack_sum(cat, "hgx-b200-server", "mass_kg"), 142.4, 0.05)
    assert cat.assemblies["hgx-b200-server"].rack_units == 10


def test_hgx_rack_power_lands_on_four_servers() -> None:
    cat = catalog()
    design = cat.designs["hgx-b200-air"]
    chain = 1.0
    for stage in design.power.conversion_chain:
        chain *= stage.efficiency
    # 4 × 14.3 kW = 57.2 kW maximum AC input (DGX B200 user guide); the modelled input within −10%/+0%
    ac_w = rack_sum(cat, "hgx-b200-air", "power_w") / chain
    assert design.published is not None and design.published.rack_power_w == 57_200
    assert 0.90 * 57_200 <= ac_w <= 57_200
    # air-cooled: nothing in this rack may send heat to a liquid loop
    assert rack_sum(cat, "hgx-b200-air", "liquid_heat_w") == 0


@pytest.mark.parametrize("design_id", DESIGNS)
def test_design_fits_its_frame(design_id: str) -> None:
    cat = catalog()
    design = cat.designs[design_id]
    mass_kg = rack_sum(cat, design_id, "mass_kg")
    assert mass_kg <= design.rack.static_load_kg + 400  # frame + payload; the frame itself is part of the mass
    racked_units = sum(
        (cat.assemblies[i.ref].rack_units if i.ref in cat.assemblies else cat.parts[i.ref].rack_units) * i.quantity
        for i in design.items)
    assert racked_units <= design.rack.rack_units


@settings(max_examples=30, deadline=None)
@given(design_id=st.sampled_from(DESIGNS), racks=st.integers(min_value=1, max_value=400))
def test_explode_scales_linearly(design_id: str, racks: int) -> None:
    cat = catalog()
    one = explode(cat, design_id)
    many = explode(cat, design_id, racks)
    assert many == {part: qty * racks for part, qty in one.items()}


# ---------------------------------------------------------------- reference programme

def test_reference_programme_loads_with_all_four_designs() -> None:
    prog = programme()
    assert set(prog.build_plan.designs) == set(DESIGNS)
    assert prog.integration_site.id == "foxconn-houston" and prog.integration_site.country == "US"
    assert prog.build_plan.quarter_list[0] == "2027Q1" and prog.build_plan.quarter_list[-1] == "2028Q4"
    assert all(10 <= sum(row.values()) <= 400 for row in prog.build_plan.quarters.values())


def _demand(prog: Programme) -> dict[str, dict[str, int]]:
    """Units of each part needed per quarter by the build plan [part -> quarter -> units]."""
    out: dict[str, dict[str, int]] = {}
    for quarter, row in prog.build_plan.quarters.items():
        for design_id, racks in row.items():
            if racks:
                for part, qty in explode(prog.catalog, design_id, racks).items():
                    out.setdefault(part, {}).setdefault(quarter, 0)
                    out[part][quarter] += qty
    return out


def test_every_planned_part_has_a_qualified_source() -> None:
    prog = programme()
    for part in _demand(prog):
        sources = prog.sources_by_part.get(part, ())
        assert any(s.qualification is Qualification.QUALIFIED for s in sources), part


def test_build_plan_fits_qualified_capacity_every_quarter() -> None:
    """Demand ≤ Σ capacity of sources qualified by the first day of the quarter (conservative)."""
    prog = programme()
    tight = 0
    for part, per_quarter in _demand(prog).items():
        for quarter, units in per_quarter.items():
            start = quarter_start(quarter)
            capacity = sum(s.capacity_per_quarter for s in prog.sources_by_part[part]
                           if may_ship_on(s, prog.catalog.sites[s.site], start))
            assert units <= capacity, f"{part} in {quarter}: {units} > {capacity}"
            tight += units > 0.85 * capacity
    assert tight >= 3  # the plan is buildable but tight in places


def test_sources_do_not_qualify_before_their_site_operates() -> None:
    prog = programme()
    for s in prog.sources:
        site = prog.catalog.sites[s.site]
        if site.operational_from is not None and s.qualification is not Qualification.DISQUALIFIED:
            assert s.qualified_date is not None and s.qualified_date >= site.operational_from, (s.part, s.site)


def test_sourcing_gives_risk_analyses_something_to_find() -> None:
    prog = programme()
    sites = prog.catalog.sites
    by_part = prog.sources_by_part
    countries = {p: {sites[s.site].country for s in srcs} for p, srcs in by_part.items()}
    # single-source, single-country critical parts (e.g. GPUs packaged by TSMC in Taiwan)
    assert len(by_part["nvidia-b200-gpu"]) == 1 and countries["nvidia-b200-gpu"] == {"TW"}
    # HBM from three vendors; NICs from two sites; US lines planned with a cost and time to open
    hbm_suppliers = {sites[s.site].supplier for s in by_part["hbm3e-12hi-36gb"]}
    assert hbm_suppliers == {"sk-hynix", "samsung", "micron"}
    assert len(by_part["nvidia-connectx-8"]) >= 2
    planned_us = [s for s in prog.sources if s.qualification is Qualification.PLANNED and sites[s.site].country == "US"]
    assert {prog.catalog.parts[s.part].category for s in planned_us} >= {Category.COOLING, Category.POWER,
                                                                         Category.CABLING, Category.COMPUTE}
    assert all(s.open_cost_usd > 0 and s.open_lead_time_weeks > 0 for s in planned_us)


def test_trade_lanes_cover_every_source_origin() -> None:
    prog = programme()
    lanes = {(t.origin, t.destination) for t in prog.trade}
    origins = {prog.catalog.sites[s.site].country for s in prog.sources}
    assert {(o, "US") for o in origins} <= lanes
    by_origin = {t.origin: t for t in prog.trade}
    # USMCA-qualifying goods from Mexico and Canada enter duty-free; China carries Section 301 duties
    assert by_origin["MX"].duty_rate == by_origin["CA"].duty_rate == 0.0
    assert by_origin["CN"].duty_rate > by_origin["TW"].duty_rate


def test_facility_takes_every_planned_design() -> None:
    prog = programme()
    fac = prog.facility
    for design in prog.planned_designs:
        power_w = rack_sum(prog.catalog, design.id, "power_w")
        assert power_w <= fac.rack_power_limit_w, design.id
        footprint_m2 = design.rack.width_mm * design.rack.depth_mm / 1e6
        assert rack_sum(prog.catalog, design.id, "mass_kg") / footprint_m2 <= fac.floor_rating_kg_m2, design.id
        if design.cooling.kind == "air":
            assert fac.rack_air_cooling_limit_w is not None and power_w <= fac.rack_air_cooling_limit_w


def test_future_sites_are_dated_after_today() -> None:
    today = dt.date(2026, 11, 24)
    future = [s for s in catalog().sites.values() if s.operational_from is not None]
    assert len(future) >= 4
    assert all(s.operational_from is not None and s.operational_from > today for s in future)
