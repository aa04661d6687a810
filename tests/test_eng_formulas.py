"""Engineering formulas against hand calculations, and their invariants (hypothesis).

Each expected number below is worked out by hand in the comment next to it from the formula
and the published figure it cites, not copied from the code's output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.engineering import cooling, fluids, mechanics, network, power
from rackforge.engineering.findings import Status, judge_max, judge_min

FAST = settings(max_examples=40, deadline=None)


# ------------------------------------------------------------------ power

def test_nvl72_shelves_at_n_plus_n_give_132_kw() -> None:
    # NVIDIA power shelf manual (rack-facts.md): 8 × 33 kW shelves, N+N → 132 kW usable
    assert power.usable_capacity_w(33_000, 8, power.redundancy_code("N+N")) == pytest.approx(132_000)
    # a 33 kW shelf of 6 × 5.5 kW PSUs at N+1 → 5 × 5.5 = 27.5 kW
    assert power.usable_capacity_w(5_500, 6, power.redundancy_code("N+1")) == pytest.approx(27_500)
    assert power.usable_capacity_w(5_500, 6, power.redundancy_code("N+2")) == pytest.approx(22_000)
    assert power.usable_capacity_w(5_500, 6, power.redundancy_code("N")) == pytest.approx(33_000)


def test_n_plus_n_with_an_odd_count_keeps_the_larger_half_in_reserve() -> None:
    # 5 units at N+N: 3 in reserve, 2 usable
    assert power.spare_units(5, -1) == 3
    assert power.usable_units(5, -1) == 2
    assert power.usable_units(1, 1) == 0  # N+1 with one unit leaves nothing


def test_unknown_redundancy_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="N\\+1"):
        power.redundancy_code("2N")


def test_power_at_utilisation_is_linear_between_idle_and_max() -> None:
    # 20 kW idle, 100 kW max, 50 % → 20 + 0.5 · 80 = 60 kW
    assert power.power_at_utilisation_w(100_000, 0.5, 20_000) == pytest.approx(60_000)
    assert power.power_at_utilisation_w(100_000, 0.8) == pytest.approx(80_000)


def test_busbar_current_at_54_and_800_volts() -> None:
    # 120 kW / 50 V = 2,400 A (rack-facts: "120 kW at 48 V would need > 2.5 kA": 120e3 / 48 = 2,500 A)
    assert power.dc_current_a(120_000, 50) == pytest.approx(2_400)
    assert power.dc_current_a(120_000, 48) == pytest.approx(2_500)
    # NVIDIA 800 VDC: ~15× less current than 54 V for the same power: 800 / 54 = 14.8
    ratio = power.dc_current_a(120_000, 54) / power.dc_current_a(120_000, 800)
    assert ratio == pytest.approx(800 / 54) and 14 < ratio < 16


def test_busbar_current_includes_the_losses_downstream() -> None:
    # 135 kW IT behind a 99.5 % busbar and 97.5 % tray DC-DC: 135,000 / 0.970125 = 139,157 W on the bus;
    # / 50 V = 2,783.1 A (P_IT / V alone: 2,700 A)
    assert power.busbar_current_a(135_000, 0.995 * 0.975, 50) == pytest.approx(2_783.1, abs=0.1)
    assert power.busbar_current_a(135_000, 1.0, 50) == pytest.approx(power.dc_current_a(135_000, 50))


def test_bus_stages_are_the_busbar_and_what_it_feeds() -> None:
    from rackforge.engineering.figures import bus_stages

    gb = (("power shelf AC 415 V → 50 V DC", 0.965, True), ("50 V busbar", 0.995, True),
          ("tray 50 V → 12 V DC-DC", 0.975, True))
    assert bus_stages(gb) == (("50 V busbar", 0.995), ("tray 50 V → 12 V DC-DC", 0.975))
    # no busbar stage: after the last stage that makes the bus voltage (shelf, rectifier, facility stage)
    assert bus_stages((("UPS", 0.97, False), ("power shelf", 0.97, True))) == ()
    assert bus_stages((("solid-state transformer", 0.98, False), ("tray DC-DC 800 V to 50 V", 0.975, True))) == \
        (("tray DC-DC 800 V to 50 V", 0.975),)
    assert bus_stages((("converter A", 0.9, True), ("converter B", 0.95, True))) == (("converter B", 0.95),)
    assert bus_stages(()) == ()


@FAST
@given(p=st.floats(1.0, 2e6), eta1=st.floats(0.5, 1.0), eta2=st.floats(0.5, 1.0), v=st.floats(12.0, 1_000.0),
       k=st.floats(1.01, 20.0))
def test_busbar_current_grows_with_losses_and_scales_as_one_over_v(p: float, eta1: float, eta2: float, v: float,
                                                                   k: float) -> None:
    lossy, lossless = sorted((eta1, eta2))
    assert power.busbar_current_a(p, lossy, v) >= power.busbar_current_a(p, lossless, v) >= p / v * (1 - 1e-12)
    # k times the voltage carries 1/k the current; V · I is the power on the bus, P_IT / η
    assert power.busbar_current_a(p, lossy, k * v) == pytest.approx(power.busbar_current_a(p, lossy, v) / k)
    assert power.busbar_current_a(p, lossy, v) * v == pytest.approx(p / lossy)


def test_three_phase_line_current() -> None:
    # 100 kW at 415 V line-to-line: 100,000 / (1.7320508 · 415) = 100,000 / 718.80 = 139.12 A
    assert power.three_phase_line_current_a(100_000, 415) == pytest.approx(139.12, abs=0.01)
    # power factor 0.95 raises it by 1/0.95
    assert power.feed_current_a(100_000, 415, "ac-3ph", 0.95) == pytest.approx(139.12 / 0.95, abs=0.01)
    assert power.feed_current_a(100_000, 800, "dc") == pytest.approx(125)
    with pytest.raises(ValueError):
        power.feed_current_a(1, 1, "ac-2ph")


def test_stage_losses_walk_back_from_the_load() -> None:
    # 100 kW at the chip through UPS (98 %) then shelf (97 %):
    # shelf loss = 100 · (1/0.97 − 1) = 3.0928 kW; shelf input 103.0928 kW
    # UPS loss = 103.0928 · (1/0.98 − 1) = 2.1039 kW
    losses = power.stage_losses_w(100_000, [0.98, 0.97])
    assert losses[0] == pytest.approx(2_103.9, abs=0.1)
    assert losses[1] == pytest.approx(3_092.8, abs=0.1)
    total = power.conversion_loss_w(100_000, power.chain_efficiency([0.98, 0.97]))
    assert sum(losses) == pytest.approx(total)
    assert power.input_power_w(100_000, 0.9506) == pytest.approx(100_000 / 0.9506)


def test_ride_through() -> None:
    # 4 × 1 kWh BBUs carrying 110 kW: 3600 · 4000 / 110,000 = 130.9 s
    assert power.ride_through_s(4_000, 110_000, 132_000) == pytest.approx(130.909, abs=0.001)
    # more load than the BBUs can deliver: no ride-through at all
    assert power.ride_through_s(4_000, 140_000, 132_000) == 0.0


@FAST
@given(count=st.integers(1, 64), capacity=st.floats(1.0, 1e6))
def test_more_redundancy_never_raises_usable_capacity(count: int, capacity: float) -> None:
    usable = {name: power.usable_capacity_w(capacity, count, code) for name, code in power.REDUNDANCY_CODES.items()}
    assert usable["N"] >= usable["N+1"] >= usable["N+2"] >= 0
    assert usable["N+1"] >= usable["N+N"] >= 0
    # and the ordering is that of the reserve: more spare units never leave more usable units
    spares = {name: power.spare_units(count, code) for name, code in power.REDUNDANCY_CODES.items()}
    for a in usable:
        for b in usable:
            if spares[a] >= spares[b]:
                assert usable[a] <= usable[b]


@FAST
@given(p=st.floats(1.0, 2e6), v1=st.floats(12.0, 1_000.0), v2=st.floats(12.0, 1_000.0))
def test_higher_bus_voltage_lowers_current(p: float, v1: float, v2: float) -> None:
    low, high = sorted((v1, v2))
    if high > low:
        assert power.dc_current_a(p, high) < power.dc_current_a(p, low)
    assert power.dc_current_a(p, low) * low == pytest.approx(p)  # P = V · I conserved


@FAST
@given(energy=st.floats(10.0, 1e5), p1=st.floats(100.0, 1e6), p2=st.floats(100.0, 1e6))
def test_ride_through_falls_with_load(energy: float, p1: float, p2: float) -> None:
    low, high = sorted((p1, p2))
    assert power.ride_through_s(energy, high) <= power.ride_through_s(energy, low)


# ------------------------------------------------------------------ fluids and cooling

def test_pg25_properties_match_the_published_points() -> None:
    # rack-facts.md: PG25 cp 3.92 kJ/(kg·K), ρ 1,021.5 kg/m³ at 25 °C; cp 3.96, ρ 1,014.3 at 40 °C
    assert fluids.specific_heat_j_kg_k(fluids.PG25, 25.0) == pytest.approx(3_920)
    assert fluids.density_kg_m3(fluids.PG25, 25.0) == pytest.approx(1_021.5)
    assert fluids.specific_heat_j_kg_k(fluids.PG25, 40.0) == pytest.approx(3_960)
    assert fluids.density_kg_m3(fluids.PG25, 40.0) == pytest.approx(1_014.3)
    # halfway between the 25 and 30 °C rows: (1,021.5 + 1,019.2) / 2 = 1,020.35
    assert fluids.density_kg_m3(fluids.PG25, 27.5) == pytest.approx(1_020.35)


def test_water_properties_and_extrapolation() -> None:
    assert fluids.density_kg_m3(fluids.WATER, 20.0) == pytest.approx(998.21)
    assert fluids.specific_heat_j_kg_k(fluids.WATER, 40.0) == pytest.approx(4_178.5)
    # PG25 beyond its 45 °C table end continues the last segment: 1,011.6 + (1,011.6 − 1,014.3) = 1,008.9 at 50 °C
    assert fluids.density_kg_m3(fluids.PG25, 50.0) == pytest.approx(1_008.9)
    with pytest.raises(ValueError):
        fluids.density_kg_m3(7, 25.0)


def test_air_density_by_ideal_gas() -> None:
    # 101,325 / (287.05 · 293.15) = 1.2041 kg/m³ at 20 °C
    assert fluids.air_density_kg_m3(20.0) == pytest.approx(1.2041, abs=1e-4)


def test_coolant_flow_hand_calculation() -> None:
    # 100 kW of water, 25 °C supply, ΔT 10 K → mean 30 °C: ρ 995.65, cp 4,178.4
    # V̇ = 1e5 / (995.65 · 4,178.4 · 10) = 2.4036e-3 m³/s = 144.2 L/min
    assert cooling.coolant_flow_lpm(100_000, 10.0, fluids.WATER, 25.0) == pytest.approx(144.22, abs=0.01)
    # PG25 at the same point: ρ 1,019.2, cp 3,940 → 1e5 / (1,019.2 · 3,940 · 10) · 60,000 = 149.42 L/min,
    # the OCP guideline's ~1.5 L/min per kW for ΔT ≈ 10 K
    assert cooling.coolant_flow_lpm(100_000, 10.0, fluids.PG25, 25.0) == pytest.approx(149.42, abs=0.01)


def test_temperature_rise_inverts_the_flow() -> None:
    flow = cooling.coolant_flow_lpm(120_000, 8.0, fluids.PG25, 30.0)
    assert cooling.temperature_rise_k(120_000, flow, fluids.PG25, 34.0) == pytest.approx(8.0)


def test_facility_water_needed_and_class() -> None:
    # 25 °C secondary − 4 K approach = 21 °C → only W17 (17 °C) is cold enough
    needed = cooling.required_facility_supply_c(25.0, 4.0)
    assert needed == 21.0 and cooling.warmest_water_class(needed) == "W17"
    # 45 °C Rubin-style supply − 3 K → 42 °C → W40
    assert cooling.warmest_water_class(cooling.required_facility_supply_c(45.0, 3.0)) == "W40"
    assert cooling.warmest_water_class(15.0) is None


def test_airflow_hand_calculation() -> None:
    # 10 kW to air, ΔT 15 K, inlet 25 °C → mean 32.5 °C: ρ = 101,325 / (287.05 · 305.65) = 1.15487 kg/m³
    # V̇ = 10,000 / (1.15487 · 1,006 · 15) = 0.57382 m³/s = 0.57382 / 4.71947e-4 = 1,215.9 CFM
    assert cooling.airflow_cfm(10_000, 15.0, 25.0) == pytest.approx(1_215.9, abs=0.5)
    assert cooling.air_heat_capacity_w(cooling.airflow_cfm(10_000, 15.0), 15.0) == pytest.approx(10_000)


def test_heat_split() -> None:
    assert cooling.liquid_heat_w(6_600, 0.94) == pytest.approx(6_204)  # GB300 tray: ~6.2 of 6.6 kW to liquid
    assert cooling.air_heat_w(6_600, 0.94) == pytest.approx(396)


@FAST
@given(q=st.floats(100.0, 1e6), a=st.floats(0.1, 10.0), dt=st.floats(2.0, 20.0), t=st.floats(15.0, 50.0),
       coolant=st.sampled_from([fluids.WATER, fluids.PG25]))
def test_flow_is_linear_in_heat_at_fixed_rise(q: float, a: float, dt: float, t: float, coolant: int) -> None:
    flow = cooling.coolant_flow_lpm(q, dt, coolant, t)
    assert cooling.coolant_flow_lpm(a * q, dt, coolant, t) == pytest.approx(a * flow)


@FAST
@given(q=st.floats(100.0, 1e6), dt=st.floats(2.0, 20.0), t=st.floats(15.0, 50.0))
def test_pg25_needs_more_flow_than_water(q: float, dt: float, t: float) -> None:
    # ρ · cp of PG25 (~4.0 MJ/(m³·K)) is below water's (~4.16): the same heat needs more PG25
    assert cooling.coolant_flow_lpm(q, dt, fluids.PG25, t) > cooling.coolant_flow_lpm(q, dt, fluids.WATER, t)


@FAST
@given(t=st.floats(0.0, 45.0))
def test_interpolated_properties_stay_between_table_neighbours(t: float) -> None:
    table = fluids.PG25_TABLE
    i = max(0, min(int(np.searchsorted(table.temp_c, t)) - 1, len(table.temp_c) - 2))
    for values, fn in ((table.density_kg_m3, fluids.density_kg_m3), (table.cp_j_kg_k, fluids.specific_heat_j_kg_k)):
        low, high = sorted((values[i], values[i + 1]))
        assert low - 1e-9 <= fn(fluids.PG25, t) <= high + 1e-9


def test_vectorised_flow_equals_scalar_flow() -> None:
    heat = np.array([50_000.0, 120_000.0, 600_000.0])
    coolant = np.array([fluids.WATER, fluids.PG25, fluids.PG25])
    dt = np.array([5.0, 10.0, 15.0])
    supply = np.array([20.0, 25.0, 45.0])
    vector = cooling.coolant_flow_lpm(heat, dt, coolant, supply)
    for i in range(3):
        assert vector[i] == pytest.approx(cooling.coolant_flow_lpm(heat[i], dt[i], int(coolant[i]), supply[i]))


# ------------------------------------------------------------------ network

def test_nvl72_scale_up_counts() -> None:
    # 72 GPUs · 18 NVLink links = 1,296 links; a switch tray holds 2 NVSwitch chips × 72 ports = 144
    assert network.switch_trays_needed(72, 18, 144) == 9  # 18 compute + 9 switch trays (NVIDIA)
    # 1,296 links · 2 lanes per direction · 2 directions = 5,184 copper pairs (diskmfr.com count)
    assert network.scale_up_cables(72, 18, 2) == 5_184
    assert network.domains_in_rack(144, 72) == 2


def test_fat_tree_capacities_are_the_textbook_ones() -> None:
    # k = 64, non-blocking: k²/2 = 2,048 hosts in two tiers, k³/4 = 65,536 in three
    assert network.fat_tree_max_hosts(64, 2) == 2_048
    assert network.fat_tree_max_hosts(64, 3) == 65_536
    assert network.fat_tree_max_hosts(64, 1) == 64
    # 3:1 oversubscribed leaves: d = ⌊64 · 3/4⌋ = 48 host ports, two tiers hold 48 · 64 = 3,072
    assert network.leaf_down_ports(64, 3.0) == 48
    assert network.fat_tree_max_hosts(64, 2, 3.0) == 3_072


def test_fat_tree_switch_counts() -> None:
    # 2,048 hosts on radix 64: 64 leaves (32 down, 32 up), 64 · 32 / 64 = 32 spines
    tree = network.fat_tree(2_048, 64)
    assert (tree.tiers, tree.leaves, tree.spines, tree.cores) == (2, 64, 32, 0)
    assert tree.fabric_links == 64 * 32
    # one more host needs a third tier
    assert network.fat_tree(2_049, 64).tiers == 3
    # the classic k = 4 fat tree: 16 hosts, 8 edge, 8 aggregation, 4 core switches (Al-Fares 2008)
    k4 = network.fat_tree(16, 4)
    assert (k4.tiers, k4.leaves, k4.spines, k4.cores, k4.switches) == (3, 8, 8, 4, 20)
    assert network.fat_tree(17, 4).tiers == 4  # beyond three tiers: does not fit
    assert network.fat_tree(100, 144).tiers == 1 and network.fat_tree(100, 144).switches == 1


def test_breakout_doubles_the_radix() -> None:
    # Quantum-X800: 144 × 800G; with 400G NICs each port splits in two → 288
    assert network.effective_radix(144, 800, 400) == 288
    assert network.effective_radix(144, 800, 800) == 144


@pytest.mark.parametrize(("length_m", "lane_gbps", "expected"), [
    (0.5, 200, "dac"),   # DAC ≤ ~1 m at 200G
    (2.0, 200, "acc"),
    (2.5, 200, "aec"),   # active electrical ≤ 3 m at 200G
    (3.0, 100, "dac"),   # DAC ≤ 3 m at 100G
    (4.0, 100, "acc"),   # linear active copper 3–5 m at 100G
    (30.0, 100, "aoc"),
    (150.0, 200, "dr"),  # DR 500 m
    (1_000.0, 200, "fr"),  # FR4 2 km
    (20_000.0, 200, "none"),
])
def test_media_by_reach(length_m: float, lane_gbps: float, expected: str) -> None:
    assert network.medium_name(int(network.select_medium(length_m, lane_gbps))) == expected


def test_link_power_and_mass() -> None:
    # 10 × 800G DR links: 2 ends · 10 · 8 (× 100G) · 2.0 W = 320 W (≈ 16 W per 800G transceiver)
    assert network.link_power_w("dr", 10, 800) == pytest.approx(320)
    assert network.link_power_w("dac", 10, 800) == 0
    # 4 DACs of 2 m: 4 · (2 · 0.25 + 2 · 0.1) = 2.8 kg
    assert network.cable_mass_kg("dac", 4, 2.0) == pytest.approx(2.8)


@FAST
@given(l1=st.floats(0.1, 20_000.0), l2=st.floats(0.1, 20_000.0), rate=st.sampled_from([50.0, 100.0, 200.0]))
def test_a_longer_link_never_gets_a_shorter_reach_medium(l1: float, l2: float, rate: float) -> None:
    short, long = sorted((l1, l2))
    code_short, code_long = network.select_medium(short, rate), network.select_medium(long, rate)
    if code_long >= 0:
        assert code_short >= 0 and code_long >= code_short
        assert long <= network.medium_reach_m(network.medium_name(code_long), rate)


@FAST
@given(h1=st.integers(1, 300_000), h2=st.integers(1, 300_000), k=st.sampled_from([32, 64, 128, 144]),
       o=st.sampled_from([1.0, 2.0, 3.0]))
def test_fat_tree_tiers_grow_with_hosts_and_hold_them(h1: int, h2: int, k: int, o: float) -> None:
    small, big = sorted((h1, h2))
    t_small, t_big = network.fat_tree(small, k, o).tiers, network.fat_tree(big, k, o).tiers
    assert t_small <= t_big
    if t_big <= 3:
        assert big <= network.fat_tree_max_hosts(k, t_big, o)
        tree = network.fat_tree(big, k, o)
        assert tree.leaves * network.leaf_down_ports(k, o) >= big or tree.tiers == 1


# ------------------------------------------------------------------ mechanics and findings

def test_floor_loading_of_an_nvl72() -> None:
    # 1,360 kg (rack-facts) on 0.6 m × 1.2 m = 1,888.9 kg/m²
    assert mechanics.floor_loading_kg_m2(1_360, 600, 1_200) == pytest.approx(1_888.9, abs=0.1)
    assert mechanics.stack_height_mm(44, 48) == 2_112
    assert mechanics.unit_height_matches("orv3", 48.0) and not mechanics.unit_height_matches("orv3", 44.45)


def test_judging_against_limits() -> None:
    margin, status = judge_max(90.0, 100.0)
    assert margin == pytest.approx(0.10) and status == Status.PASS
    assert judge_max(98.0, 100.0)[1] == Status.WARN  # under 5 % headroom
    assert judge_max(101.0, 100.0)[1] == Status.FAIL
    assert judge_min(85.0, 90.0)[1] == Status.FAIL
    assert judge_min(200.0, 90.0)[1] == Status.PASS
    assert math.isinf(judge_max(1.0, 0.0)[0])
    statuses = judge_max(np.array([50.0, 97.0, 120.0]), 100.0)[1]
    assert list(statuses) == [Status.PASS, Status.WARN, Status.FAIL]
