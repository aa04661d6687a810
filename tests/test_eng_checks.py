"""Engineering checks on whole designs: a synthetic programme, broken variants, vectorised sweeps.

tests/data/eng/ok holds a small self-contained programme (GB200-like, figures illustrative);
each sibling folder breaks one thing and must produce exactly the expected failing finding.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rackforge.engineering import checks
from rackforge.engineering.design_checks import check_programme, check_rack_design, designs_to_check
from rackforge.engineering.figures import RackFigures, is_facility_stage, rack_figures
from rackforge.engineering.findings import Status
from rackforge.engineering.pod import cable_bill, run_pod_checks
from rackforge.engineering.sweep import run_variant_checks, summarise, variant_figures, variant_status
from rackforge.io.loader import load_programme
from rackforge.schema import Programme

DATA = Path(__file__).parent / "data" / "eng"


@pytest.fixture(scope="module")
def ok() -> Programme:
    return load_programme(DATA / "ok", builtin_catalog=False)


@pytest.fixture(scope="module")
def fig(ok: Programme) -> RackFigures:
    return rack_figures(ok.catalog.designs["eng-rack"], ok.catalog, ok.facility)


def test_roll_up_matches_a_hand_count(fig: RackFigures) -> None:
    # 18 trays × 2 superchips × (2 GPU + 1 CPU)
    assert (fig.gpus, fig.cpus) == (72, 36)
    # IT: 18 × (2 · 2,700 + 4 · 25 + 200) + 9 × (2 · 300 + 100) = 102,600 + 6,300 W (shelves, BBUs, CDU excluded)
    assert fig.power.it_power_w == pytest.approx(108_900)
    assert fig.power.cooling_power_w == pytest.approx(2_000)
    # liquid: 18 × (5,400 · 1.0 + 100 · 0.8) + 9 × 600 · 0.9 = 98,640 + 4,860 W
    assert fig.cooling.liquid_heat_w == pytest.approx(103_500)
    # air: 18 · 220 + 9 · 160 + 2,000 (CDU) + shelf losses 108,900 · (1/0.97 − 1) = 3,368.04
    assert fig.cooling.air_heat_w == pytest.approx(3_960 + 1_440 + 2_000 + 3_368.04, abs=0.01)
    # mass: 150 + 18 · 25.2 + 9 · 17 + 8 · 25 + 20 + 4 · 10 + 120 + 4 · 30 kg, of which the frame is 150 kg
    assert fig.mechanics.mass_kg == pytest.approx(1_256.6)
    assert fig.mechanics.frame_mass_kg == pytest.approx(150)
    # 18 + 9 trays, 8 shelves, a 4 OU CDU; parts inside trays do not add height
    assert fig.mechanics.rack_units_used == 39
    assert fig.network.switch_ports_per_tray == 144
    assert fig.power.rack_chain_efficiency == pytest.approx(0.97)  # the UPS is a facility stage
    assert fig.power.feed_chain_efficiency == pytest.approx(0.97 * 0.97)


def test_facility_stages_are_recognised() -> None:
    assert is_facility_stage("UPS") and is_facility_stage("solid-state transformer")
    assert not is_facility_stage("power shelf") and not is_facility_stage("tray DC-DC 800 V to 50 V")


def test_the_synthetic_programme_passes(ok: Programme) -> None:
    reports = check_programme(ok)
    assert [r.design_id for r in reports] == ["eng-rack", "eng-rack-800v"]
    for report in reports:
        assert report.status is Status.PASS, [f.message for f in report.findings if f.status_enum]
        checks_run = {f.check for f in report.findings}
        assert {"power.rack_budget", "cooling.heat_split", "mechanics.mass", "pod.power"} <= checks_run


def test_metrics_of_the_synthetic_rack(ok: Programme) -> None:
    m = check_rack_design(ok.catalog.designs["eng-rack"], ok.catalog, ok.facility).metrics
    assert m["gpus"] == 72 and m["cpus"] == 36
    assert m["it_power_kw"] == pytest.approx(108.9)
    # rack input = 108.9 / 0.97 + 2.0 = 114.268 kW; × PUE 1.2 = 137.12 kW
    assert m["rack_input_kw"] == pytest.approx(114.268, abs=1e-3)
    assert m["facility_power_kw"] == pytest.approx(137.122, abs=1e-3)
    assert m["busbar_current_a"] == pytest.approx(108_900 / 50)
    assert m["scale_up_cables"] == 5_184
    assert m["scale_up_cable_length_m"] == pytest.approx(5_184 * 0.6)
    # pod of 8 racks · 72 GPUs · 1 NIC = 576 hosts on radix 144 → 2 tiers: 8 leaves, 8 · 72 / 144 = 4 spines
    assert (m["pod_fabric_tiers"], m["pod_switches"]) == (2, 12)


def test_the_800v_rack_draws_a_sixteenth_of_the_current(ok: Programme) -> None:
    reports = {r.design_id: r for r in check_programme(ok)}
    high = reports["eng-rack-800v"].metrics
    # the 800 V bus feeds the tray DC-DC (η 97.5 %) after the facility's solid-state transformer
    assert high["busbar_current_a"] == pytest.approx(108_900 / 0.975 / 800, abs=0.05)  # metrics round to 0.1 A


@pytest.mark.parametrize(("folder", "failing_check"), [
    ("over_budget_power", "power.rack_budget"),
    ("cdu_too_small", "cooling.cdu_capacity"),
    ("copper_beyond_reach", "network.scale_up_reach"),
    ("overweight_rack", "mechanics.mass"),
    ("water_too_warm", "cooling.facility_water"),
])
def test_each_broken_programme_fails_its_check_and_only_that(folder: str, failing_check: str) -> None:
    programme = load_programme(DATA / folder, builtin_catalog=False)
    for report in check_programme(programme):
        failed = {f.check for f in report.failed}
        assert failed == {failing_check}, (report.design_id, failed)
        finding = next(f for f in report.findings if f.check == failing_check)
        assert finding.margin < 0 and finding.limit is not None and finding.message


def test_a_missing_bbu_with_a_target_fails(fig: RackFigures) -> None:
    no_bbu = dataclasses.replace(fig, power=dataclasses.replace(fig.power, bbu_energy_wh=np.nan))
    result = checks.check_ride_through(no_bbu)
    assert result is not None and result.status_enum is Status.FAIL


def test_an_air_cooled_rack_with_liquid_heat_fails(fig: RackFigures) -> None:
    air = dataclasses.replace(fig, cooling=dataclasses.replace(fig.cooling, kind="air"))
    assert checks.check_heat_split(air).status_enum is Status.FAIL
    assert checks.check_coolant_flow(air) is None


def test_missing_switch_trays_fail(fig: RackFigures) -> None:
    short = dataclasses.replace(fig, network=dataclasses.replace(fig.network, switch_trays=8.0))
    result = checks.check_switch_trays(short)
    assert result is not None and result.status_enum is Status.FAIL


def test_a_pod_too_big_for_three_tiers_fails(fig: RackFigures) -> None:
    # radix 144 non-blocking holds 144³/4 = 746,496 hosts; 11,000 racks · 72 GPUs = 792,000 do not fit
    huge = dataclasses.replace(fig, facility=dataclasses.replace(fig.facility, pod_racks=11_000.0))
    fabric = next(f for f in run_pod_checks(huge) if f.check == "pod.fabric")
    assert fabric.status_enum is Status.FAIL and fabric.value == 4


def test_cable_bill_of_one_rack(fig: RackFigures) -> None:
    lines = {line.fabric: line for line in cable_bill(fig, 1.0)}
    assert lines["scale-up"].count == 5_184
    assert lines["scale-up"].total_length_m == pytest.approx(5_184 * 0.6)
    # 72 NIC links per rack; 15 m at 200G/lane is beyond copper → AOC with 2 ends each
    assert lines["scale-out host"].medium == "aoc" and lines["scale-out host"].count == 72
    assert lines["scale-out host"].transceivers == 144


def test_finding_json_has_the_documented_keys(ok: Programme) -> None:
    report = check_rack_design(ok.catalog.designs["eng-rack"], ok.catalog, ok.facility)
    record = report.to_dict()
    assert record["id"] == "eng-rack"
    for f in record["findings"]:
        assert {"check", "status", "value", "unit", "limit", "message", "margin"} <= set(f)
        assert f["status"] in ("pass", "warn", "fail")


def test_designs_to_check_adds_own_designs_to_the_plan(ok: Programme) -> None:
    assert designs_to_check(ok) == ["eng-rack", "eng-rack-800v"]


# ------------------------------------------------------------------ vectorised

def _variant(figures: RackFigures, i: int) -> RackFigures:
    """Variant ``i`` of a sweep as scalar figures."""

    def pick(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.replace(obj, **{f.name: pick(getattr(obj, f.name)) for f in dataclasses.fields(obj)})
        if isinstance(obj, np.ndarray) and obj.ndim == 1:
            return float(obj[i])
        return obj

    out: RackFigures = pick(figures)
    return out


def test_vectorised_checks_equal_scalar_checks(fig: RackFigures) -> None:
    variants = variant_figures(fig, [8, 36, 72, 144], [48.0, 800.0], [0, 1], [5.0, 12.0])
    vector = {f.check: f for f in run_variant_checks(variants)}
    assert np.size(variants.gpus) == 32
    for i in (0, 5, 17, 31):
        scalar = checks.run_rack_checks(_variant(variants, i)) + run_pod_checks(_variant(variants, i))
        for f in scalar:
            if f.check == "pod.cables":
                continue  # the cable bill is reported for single designs only
            v = vector[f.check]
            value = np.broadcast_to(np.asarray(v.value, dtype=float), (32,))[i]
            status = np.broadcast_to(np.asarray(v.status), (32,))[i]
            assert value == pytest.approx(float(f.value)), f.check
            assert status == f.status, f.check


def test_sweep_of_100k_variants_has_the_expected_failures(fig: RackFigures) -> None:
    variants = variant_figures(fig, np.arange(8, 208, 8), [48.0, 50.0, 54.0, 400.0, 800.0], [0, 1],
                               np.linspace(5.0, 15.0, 400))
    n = np.size(variants.gpus)
    assert n == 100_000
    findings = run_variant_checks(variants)
    counts = summarise(findings, n)
    # shelves: IT = 108.9 kW · g / 72 = 1,512.5 W · g. Above the 264 kW installed (g > 174.5: 176..200, 4 of
    # 25 sizes) it fails; above the 132 kW usable at N+N only (g > 87.3: 88..168, 11 sizes) it warns
    assert counts["power.shelf_capacity"]["fail"] == 4 * 4_000
    assert counts["power.shelf_capacity"]["warn"] == 11 * 4_000
    # busbar 3,000 A: I = 1,512.5 W · g / V fails when g > 3,000 · V / 1,512.5
    gpus, volts = variants.gpus, variants.power.bus_voltage_v
    expected = int(np.count_nonzero(1_512.5 * gpus / volts > 3_000))
    assert counts["power.busbar_current"]["fail"] == expected
    worst = variant_status(findings, n)
    assert worst.shape == (n,) and set(np.unique(worst)) <= {0, 1, 2}


def test_footprint_accepts_whole_bays_only(fig: RackFigures) -> None:
    def footprint(**changes: Any) -> Status:
        return checks.check_footprint(dataclasses.replace(fig, mechanics=dataclasses.replace(fig.mechanics,
                                                                                              **changes))).status_enum
    assert footprint(width_mm=1_200.0) is Status.PASS  # compute rack + power sidecar: two 600 mm ORv3 bays
    assert footprint(width_mm=900.0) is Status.FAIL
    assert footprint(unit_height_mm=44.45) is Status.FAIL  # an EIA rack unit in an ORv3 frame
    assert footprint(widest_item_mm=560.0) is Status.FAIL  # wider than the 537 mm (21-inch) bay


def test_in_row_cdus_serve_the_pod_unless_told_otherwise(fig: RackFigures) -> None:
    in_row = dataclasses.replace(fig.cooling, cdu_location="in-row", cdu_capacity_w=150_000.0, cdu_count=1.0)
    findings = run_pod_checks(dataclasses.replace(fig, cooling=in_row))
    pod_wide = next(f for f in findings if f.check == "pod.cdu_capacity")
    # 8 racks · 103.5 kW = 828 kW on one 150 kW CDU
    assert pod_wide.value == pytest.approx(828.0) and pod_wide.status_enum is Status.FAIL
    per_rack = dataclasses.replace(fig, cooling=dataclasses.replace(in_row, cdu_racks_served=1.0))
    one = next(f for f in run_pod_checks(per_rack) if f.check == "pod.cdu_capacity")
    assert one.value == pytest.approx(103.5) and one.status_enum is Status.PASS


def test_scale_up_on_pcb_has_no_cables(fig: RackFigures) -> None:
    pcb = dataclasses.replace(fig, network=dataclasses.replace(fig.network, spine_cabled=False))
    result = checks.check_scale_up_cables(pcb)
    assert result is not None and result.value == 0 and "5,184 lane pairs" in result.message
    assert "scale-up" not in {line.fabric for line in cable_bill(pcb)}


def test_stage_boundary_and_losses_to_liquid(ok: Programme) -> None:
    assert is_facility_stage("MV switchgear") and is_facility_stage("SST 13.8 kV to 800 V")
    assert not is_facility_stage("sidecar rectifier 480 V AC → 800 V DC")  # a sidecar in the design is in the rack
    assert not is_facility_stage("Supply unit")  # 'ups' only as a word
    design = ok.catalog.designs["eng-rack-800v"]
    base = rack_figures(design, ok.catalog, ok.facility)
    # in-rack loss: 108.9 kW · (1/0.975 − 1) = 2,792.3 W, all to air by default
    assert base.power.rack_loss_liquid_w == 0
    chain = (design.power.conversion_chain[0],
             design.power.conversion_chain[1].model_copy(update={"loss_to_liquid": 1.0}))
    cooled = design.model_copy(update={"power": design.power.model_copy(update={"conversion_chain": chain})})
    fig = rack_figures(cooled, ok.catalog, ok.facility)
    assert fig.power.rack_loss_liquid_w == pytest.approx(108_900 * (1 / 0.975 - 1))
    assert fig.cooling.liquid_heat_w - base.cooling.liquid_heat_w == pytest.approx(fig.power.rack_loss_liquid_w)
    assert fig.cooling.air_heat_w + fig.cooling.liquid_heat_w == pytest.approx(
        base.cooling.air_heat_w + base.cooling.liquid_heat_w)  # heat is conserved, only its path changes
