"""The built-in reference designs against their public figures (shared/reference/rack-facts.md).

Each test names the source of the figure it holds the model to and the tolerance it allows.
The facility here is generous on purpose (700 kW per rack, W17 water, 5 t/m² floor) so that
the tests isolate the designs' own figures from any data hall's limits.
"""

from __future__ import annotations

from functools import cache

import pytest

from rackforge.core.bom import explode
from rackforge.engineering import network, power
from rackforge.engineering.compare import change_sentences
from rackforge.engineering.design_checks import DesignReport, check_rack_design
from rackforge.engineering.figures import RackFigures, rack_figures
from rackforge.io.loader import load_catalog
from rackforge.schema import Catalog, Facility

FACILITY = Facility(rack_power_limit_w=700_000, floor_rating_kg_m2=5_000, facility_water_class="W17",
                    source="estimate: generous test hall so that only the designs' own figures are tested")


@cache
def catalog() -> Catalog:
    return load_catalog()


@cache
def figures(design: str) -> RackFigures:
    return rack_figures(catalog().designs[design], catalog(), FACILITY)


@cache
def report(design: str) -> DesignReport:
    return check_rack_design(catalog().designs[design], catalog(), FACILITY)


def top_level_count(design: str, assembly: str) -> int:
    return sum(i.quantity for i in catalog().designs[design].items if i.ref == assembly)


# ------------------------------------------------------------------ GB200 NVL72

def test_gb200_gpus_cpus_and_trays() -> None:
    # docs.nvidia.com/multi-node-nvlink-systems/multi-node-tuning-guide/system.html:
    # 72 B200 GPUs, 36 Grace CPUs in 18 × 1RU compute trays and 9 × 1RU NVLink switch trays
    fig = figures("gb200-nvl72")
    assert (fig.gpus, fig.cpus) == (72, 36)
    assert top_level_count("gb200-nvl72", "gb200-compute-tray") == 18
    assert top_level_count("gb200-nvl72", "nvl72-switch-tray") == 9
    assert fig.network.switch_trays == 9
    # and the switch trays are what the NVLink links need: ⌈72 · 18 / ports per tray⌉
    assert network.switch_trays_needed(72, fig.network.links_per_gpu, fig.network.switch_ports_per_tray) == 9


def test_gb200_rack_power_is_about_120_kw() -> None:
    # ~120 kW (Network World report of the OCP contribution); 132 kW usable (Supermicro) ⚠.
    # Held to the 120-140 kW band at nameplate IT load, ±10 % of 120 kW.
    it_kw = figures("gb200-nvl72").power.it_power_w / 1e3
    assert it_kw == pytest.approx(120, rel=0.10)
    assert report("gb200-nvl72").metrics["rack_input_kw"] == pytest.approx(130, abs=10)


def test_gb200_power_shelves_give_132_kw_at_n_plus_n() -> None:
    # docs.nvidia.com/.../powershelf.md: 8 × 33 kW shelves of 6 × 5.5 kW PSUs, 264 kW nameplate, N+N → 132 kW
    p = figures("gb200-nvl72").power
    assert (p.shelf_count, p.shelf_output_w, p.shelf_redundancy_name) == (8, 33_000, "N+N")
    assert power.usable_capacity_w(p.shelf_output_w, p.shelf_count, p.shelf_redundancy) == 132_000
    shelf = next(f for f in report("gb200-nvl72").findings if f.check == "power.shelf_capacity")
    assert shelf.status_enum.label == "pass"


def test_gb200_nvlink_spine_has_5184_copper_cables_of_about_3_km() -> None:
    # > 5,000 copper cables, ~3.2 km (2 mi) (Network World); 5,184 in one count (diskmfr.com)
    m = report("gb200-nvl72").metrics
    assert m["scale_up_cables"] == 5_184
    assert m["scale_up_cable_length_m"] == pytest.approx(3_200, rel=0.10)
    assert figures("gb200-nvl72").network.spine_copper


def test_gb200_copper_spine_saves_about_20_kw_of_optics() -> None:
    # "copper instead of optics saves ~20 kW" (Hot Chips 2025 reports): 1,296 links of 2 × 200G lanes as
    # DR optics at ~2 W per 100G per end would draw 2 · 1,296 · 4 · 2.0 W = 20.7 kW; ±25 %
    n = figures("gb200-nvl72").network
    links = network.scale_up_links(72, n.links_per_gpu)
    optics_w = network.link_power_w("dr", links, n.lanes_per_link * n.lane_rate_gbps)
    assert optics_w == pytest.approx(20_000, rel=0.25)


def test_gb200_mass_is_about_1_36_t() -> None:
    # 1.36 t / 3,000 lb (Yahoo / Network World) ⚠ 1.8 t in another report; ±5 % of 1,360 kg
    assert figures("gb200-nvl72").mechanics.mass_kg == pytest.approx(1_360, rel=0.05)


def test_gb200_busbar_current() -> None:
    # 120 kW at 48 V would need > 2.5 kA (The Register); ~1,400 A quoted, possibly per side ⚠ (Network World).
    # The model splits the current over two busbars: each within 20 % of the quoted 1,400 A.
    # The bus carries the IT load plus its own I²R loss (η 99.5 %) and the tray DC-DC loss (η 97.5 %).
    fig = figures("gb200-nvl72")
    total = report("gb200-nvl72").metrics["busbar_current_a"]
    assert total == pytest.approx(fig.power.it_power_w / (0.995 * 0.975) / 50, rel=1e-3)
    assert total > 2_000
    assert total / fig.power.busbar_count == pytest.approx(1_400, rel=0.20)


def test_gb300_busbar_current_includes_the_losses_it_carries() -> None:
    # Hand calculation (issue 14): 135.0 kW IT / (0.995 busbar × 0.975 tray DC-DC) = 139.16 kW on the bus;
    # / 50 V = 2,783 A, 1,391.6 A on each of two busbars against their 1,400 A rating (~1,400 A quoted per
    # busbar, Network World / The Register in rack-facts.md) — not P_IT / V = 1,350 A.
    fig = figures("gb300-nvl72")
    assert fig.power.it_power_w == pytest.approx(135_000, rel=1e-3)
    found = {f.check: f for f in report("gb300-nvl72").findings}["power.busbar_current"]
    per_bar = 135_000 / (0.995 * 0.975) / 50 / 2
    assert per_bar == pytest.approx(1_391.6, abs=0.1)
    assert found.value == pytest.approx(fig.power.it_power_w / (0.995 * 0.975) / 50 / 2)
    assert found.value < found.limit == 1_400
    assert "99.5% 50 V busbar × 97.5% tray" in found.message and "I²R" in found.message


def test_gb300_at_48_volts_overloads_its_busbars() -> None:
    # Same rack at 48 V: 139.16 kW / 48 V / 2 = 1,449.6 A per busbar > 1,400 A, so the check fails
    # (P_IT / V alone would give 1,406 A, only just over).
    import dataclasses

    from rackforge.engineering.checks import check_busbar_current
    from rackforge.engineering.findings import Status

    fig = figures("gb300-nvl72")
    at_48 = dataclasses.replace(fig, power=dataclasses.replace(fig.power, bus_voltage_v=48.0))
    found = check_busbar_current(at_48)
    assert found is not None and found.status_enum is Status.FAIL
    assert found.value == pytest.approx(fig.power.it_power_w / (0.995 * 0.975) / 48 / 2)
    assert found.value > 1_449


# ------------------------------------------------------------------ GB300 NVL72

def test_gb300_layout_and_nics() -> None:
    # docs.nvidia.com/enterprise-reference-architectures/nvl72-ai-factory/latest/components.html:
    # 18 compute + 9 switch trays; 4 × ConnectX-8 per compute tray
    assert top_level_count("gb300-nvl72", "gb300-compute-tray") == 18
    assert top_level_count("gb300-nvl72", "nvl72-switch-tray") == 9
    assert explode(catalog(), "gb300-compute-tray").get("nvidia-connectx-8") == 4
    assert (figures("gb300-nvl72").gpus, figures("gb300-nvl72").cpus) == (72, 36)


def test_gb300_rack_power_within_the_published_range() -> None:
    # 132-140 kW (Supermicro), ~136 kW (Microsoft), "up to 142 kW" (NVIDIA) ⚠: nameplate IT load in 120-142 kW
    it_kw = figures("gb300-nvl72").power.it_power_w / 1e3
    assert 120 <= it_kw <= 142


def test_gb300_compute_and_switch_trays() -> None:
    # compute tray ~6.5-6.6 kW of which ~6.2 kW to liquid (~94 %, Morgan Stanley via epium.com, estimate):
    # held to ±15 % on power and ±10 points on the liquid share
    parts = explode(catalog(), "gb300-compute-tray")
    tray_w = sum(catalog().parts[p].power_w * q for p, q in parts.items())
    liquid_w = sum(catalog().parts[p].liquid_heat_w * q for p, q in parts.items())
    assert tray_w == pytest.approx(6_550, rel=0.15)
    assert liquid_w / tray_w == pytest.approx(0.94, abs=0.10)
    # switch trays ~3.6 kW for all 9 (Introl): ±25 %
    switch_w = 9 * sum(catalog().parts[p].power_w * q for p, q in explode(catalog(), "nvl72-switch-tray").items())
    assert switch_w == pytest.approx(3_600, rel=0.25)


def test_gb300_draws_more_per_gpu_than_gb200() -> None:
    # B300 1,400 W vs B200 1,200 W (ai-infrastructure.net; glennklockwood.com): same 72 GPUs, more power per GPU
    old, new = report("gb200-nvl72"), report("gb300-nvl72")
    assert new.metrics["kw_per_gpu"] > old.metrics["kw_per_gpu"]
    text = " ".join(change_sentences(old, new))
    assert "The power per GPU rises" in text and "with the same GPU count" in text


# ------------------------------------------------------------------ Kyber 800 VDC and HGX

def test_kyber_is_576_gpus_at_about_600_kw() -> None:
    # Rubin Ultra NVL576 on Kyber: 4 pods × 18 blades × 8 GPUs, "up to 600 kW" per rack (Tom's Hardware, GTC 2025)
    fig = figures("kyber-800vdc")
    assert fig.gpus == 576 == 4 * 18 * 8
    assert fig.power.it_power_w == pytest.approx(600_000, rel=0.10)


def test_800_vdc_cuts_current_about_fifteen_fold() -> None:
    # NVIDIA 800 VDC: ~15× less current than 54 V for the same power (NVIDIA 800 VDC announcements, OCP 2025)
    fig = figures("kyber-800vdc")
    assert fig.power.bus_voltage_v == 800
    # (the same power on the bus: the IT load and the losses of the stages the bus feeds)
    at_54 = power.busbar_current_a(fig.power.it_power_w, fig.power.bus_chain_efficiency, 54.0)
    assert at_54 / report("kyber-800vdc").metrics["busbar_current_a"] == pytest.approx(15, rel=0.05)


def test_hgx_b200_air_is_air_cooled_at_1000_w_per_gpu() -> None:
    # B200 1,000 W in HGX (glennklockwood.com/garden/processors/B200); an air-cooled design sends nothing to liquid
    fig = figures("hgx-b200-air")
    gpu_parts = [catalog().parts[p] for p in explode(catalog(), "hgx-b200-air") if catalog().parts[p].compute
                 and catalog().parts[p].compute.gpus]  # type: ignore[union-attr]
    assert {p.power_w for p in gpu_parts} == {1_000}
    assert fig.cooling.liquid_heat_w == 0
    assert report("hgx-b200-air").metrics["liquid_heat_fraction"] == 0


@pytest.mark.parametrize("design", ["gb200-nvl72", "gb300-nvl72", "kyber-800vdc", "hgx-b200-air"])
def test_published_gpu_and_cpu_counts(design: str) -> None:
    published = catalog().designs[design].published
    assert published is not None
    fig = figures(design)
    if published.gpus is not None:
        assert fig.gpus == published.gpus
    if published.cpus is not None:
        assert fig.cpus == published.cpus
    if published.rack_power_w is not None:
        # every design's nameplate IT load within 15 % of its published rack power (sources in the catalog)
        assert fig.power.it_power_w == pytest.approx(published.rack_power_w, rel=0.15)


def test_gb200_passes_every_check_in_the_reference_hall() -> None:
    # the reference programme's facility (W27 water at 25 °C, 650 kW racks, 3 t/m² floor) takes a GB200 pod
    from rackforge.engineering.design_checks import check_programme
    from rackforge.io.loader import load_programme

    programme = load_programme(None)
    (gb200,) = check_programme(programme, ["gb200-nvl72"])
    assert not gb200.failed, [f.message for f in gb200.failed]
    water = next(f for f in gb200.findings if f.check == "cooling.facility_water")
    # 30 °C secondary − 3 K CDU approach = 27 °C needed; the hall supplies 25 °C
    assert (water.value, water.limit) == (25.0, 27.0)
