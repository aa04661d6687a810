"""Rack-level checks: power, cooling, network and mechanics.

Each ``check_*`` function is pure: it takes :class:`~rackforge.engineering.figures.RackFigures`
(floats for one design, or arrays for many variants) and returns a
:class:`~rackforge.engineering.findings.Finding`, or None when the design lacks what the check
needs (no power shelf, no CDU...). The formulas live in the area modules (power, cooling,
network, mechanics); here they are held against limits and explained in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rackforge.engineering import cooling, mechanics, network, power
from rackforge.engineering.figures import RackFigures
from rackforge.engineering.findings import Finding, Status, finding, finding_with_status, fmt, is_scalar

KW = 1e3


def given(value: Any) -> bool:
    """True when a figure is present (not nan) for at least one variant."""
    return bool(np.any(~np.isnan(np.asarray(value, dtype=float))))


def _pct(value: Any) -> str:
    return fmt(np.asarray(value, dtype=float) * 100.0, 1) + " %"


# ------------------------------------------------------------------ derived figures shared by checks

def it_power_at_utilisation_w(fig: RackFigures) -> Any:
    """IT load at the design utilisation [W] (linear between idle and nameplate)."""
    p = fig.power
    return power.power_at_utilisation_w(p.it_power_w, p.utilisation, p.it_idle_power_w)


def rack_input_power_w(fig: RackFigures) -> Any:
    """Power the rack draws at its feed [W] = P_IT / Π η(in-rack stages) + in-rack cooling power."""
    p = fig.power
    return power.input_power_w(p.it_power_w, p.rack_chain_efficiency) + np.asarray(p.cooling_power_w)


def busbar_current_total_a(fig: RackFigures) -> Any:
    """Current the DC bus carries [A] = P_IT / (Π η(stages the bus feeds) · V_bus), all busbars together."""
    p = fig.power
    return power.busbar_current_a(p.it_power_w, p.bus_chain_efficiency, p.bus_voltage_v)


def coolant_flow_lpm(fig: RackFigures) -> Any:
    """Coolant flow the rack's liquid heat needs at its design rise [L/min] (Q = ρ · V̇ · cp · ΔT)."""
    c = fig.cooling
    return cooling.coolant_flow_lpm(c.liquid_heat_w, c.delta_t_k, c.coolant, c.supply_temp_c)


def liquid_heat_fraction(fig: RackFigures) -> Any:
    """Share of the rack's heat that leaves in the liquid [fraction] = Q_liquid / (Q_liquid + Q_air)."""
    c = fig.cooling
    total = np.asarray(c.liquid_heat_w, dtype=float) + np.asarray(c.air_heat_w, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(total > 0, np.asarray(c.liquid_heat_w, dtype=float) / np.where(total > 0, total, 1.0), 0.0)
    return float(out) if out.ndim == 0 else out


def scale_up_cable_count(fig: RackFigures) -> Any:
    """Copper pairs of the rack's scale-up spine [cables] (see :func:`network.scale_up_cables`)."""
    n = fig.network
    return network.scale_up_cables(fig.gpus, n.links_per_gpu, n.lanes_per_link)


# ------------------------------------------------------------------ power

def check_shelf_capacity(fig: RackFigures) -> Finding | None:
    """IT load at nameplate against the shelves' capacity left after the redundant shelves fail.

    Fails when the load exceeds even the installed capacity (all shelves); warns when it
    exceeds the redundant capacity only (redundancy is lost at peak unless the rack is
    power-capped to the usable capacity).
    """
    p = fig.power
    if not given(p.shelf_output_w) or not np.any(np.asarray(p.shelf_count) > 0):
        return None
    usable = power.usable_capacity_w(p.shelf_output_w, p.shelf_count, p.shelf_redundancy)
    installed = np.asarray(p.shelf_count, dtype=float) * np.asarray(p.shelf_output_w, dtype=float)
    spares = power.spare_units(p.shelf_count, p.shelf_redundancy)
    at_util = it_power_at_utilisation_w(fig)
    it = np.asarray(p.it_power_w, dtype=float)
    message = (f"IT load {fmt(it, 1, KW)} kW at nameplate ({fmt(at_util, 1, KW)} kW at "
               f"{_pct(p.utilisation)} utilisation) vs usable shelf capacity ({fmt(p.shelf_count)} − "
               f"{fmt(spares)} spare, {p.shelf_redundancy_name}) × {fmt(p.shelf_output_w, 1, KW)} kW = "
               f"{fmt(usable, 1, KW)} kW")
    result = finding("power.shelf_capacity", "power", it / KW, "kW", message, limit=np.asarray(usable) / KW,
                     sense="max")
    over_installed = it > installed
    status = np.where(over_installed, Status.FAIL, np.minimum(np.asarray(result.status), Status.WARN))
    if np.any(over_installed):
        message += f"; exceeds even all {fmt(p.shelf_count)} shelves ({fmt(installed, 1, KW)} kW)"
    elif np.any(it > np.asarray(usable)):
        message += (f"; {p.shelf_redundancy_name} holds only up to {fmt(usable, 1, KW)} kW: cap the rack there or "
                    "lose redundancy at peak")
    return finding_with_status("power.shelf_capacity", "power", result.value, "kW", message, status,
                               limit=result.limit, margin=result.margin)


def check_shelf_load(fig: RackFigures) -> Finding | None:
    """Load on each shelf at the design utilisation with every shelf sharing, against its rating."""
    p = fig.power
    if not given(p.shelf_output_w) or not np.any(np.asarray(p.shelf_count) > 0):
        return None
    at_util = it_power_at_utilisation_w(fig)
    per_shelf = power.load_per_unit_w(at_util, p.shelf_count)
    share = np.asarray(per_shelf, dtype=float) / np.asarray(p.shelf_output_w, dtype=float)
    message = (f"each of {fmt(p.shelf_count)} shelves carries {fmt(at_util, 1, KW)} kW / {fmt(p.shelf_count)} = "
               f"{fmt(per_shelf, 2, KW)} kW ({_pct(share)} of its {fmt(p.shelf_output_w, 1, KW)} kW) at "
               f"{_pct(p.utilisation)} utilisation")
    return finding("power.shelf_load", "power", np.asarray(per_shelf) / KW, "kW", message,
                   limit=np.asarray(p.shelf_output_w) / KW, sense="max")


def _busbar_formula(fig: RackFigures, total: Any) -> str:
    """The busbar current's formula with the losses it includes, e.g. I = P_IT / (η … · V) = … A."""
    p = fig.power
    if not p.bus_stages:
        return f"I = P_IT / V = {fmt(p.it_power_w, 1, KW)} kW / {fmt(p.bus_voltage_v)} V = {fmt(total)} A"
    etas = " × ".join(f"{eta:.1%} {name}" for name, eta in p.bus_stages)
    return (f"I = P_IT / (Π η · V) = {fmt(p.it_power_w, 1, KW)} kW / ({etas} · {fmt(p.bus_voltage_v)} V) = "
            f"{fmt(total)} A (IT load + busbar I²R + downstream conversion losses)")


def check_busbar_current(fig: RackFigures) -> Finding | None:
    """Busbar current I = P_IT / (Π η(stages the bus feeds) · V_bus) per busbar against the busbar's rating."""
    p = fig.power
    if p.distribution == "ac-pdu":
        return None
    total = busbar_current_total_a(fig)
    per_bar = np.asarray(total, dtype=float) / np.asarray(p.busbar_count, dtype=float)
    bars = "" if is_scalar(p.busbar_count) and float(p.busbar_count) == 1 else \
        f" over {fmt(p.busbar_count)} busbars = {fmt(per_bar)} A each"
    formula = _busbar_formula(fig, total)
    if not given(p.busbar_rating_a):
        message = f"{formula}{bars}; no busbar rating in the design"
        return finding("power.busbar_current", "power", per_bar, "A", message)
    message = f"{formula}{bars} vs {fmt(p.busbar_rating_a)} A rating"
    return finding("power.busbar_current", "power", per_bar, "A", message, limit=p.busbar_rating_a, sense="max")


def check_conversion_chain(fig: RackFigures) -> Finding | None:
    """Losses of the conversion chain from facility feed to chip at nameplate load [kW]."""
    p = fig.power
    if not p.chain_stages:
        return None
    it = np.asarray(p.it_power_w, dtype=float)
    total_loss = power.conversion_loss_w(it, p.feed_chain_efficiency)
    if is_scalar(it):
        losses = power.stage_losses_w(float(it), [eta for _, eta, _ in p.chain_stages])
        parts = ", ".join(f"{name} η {eta:.1%} → {loss / KW:,.1f} kW" + ("" if inside else " (facility)")
                          for (name, eta, inside), loss in zip(p.chain_stages, losses, strict=True))
    else:
        parts = ", ".join(f"{name} η {eta:.1%}" for name, eta, _ in p.chain_stages)
    message = (f"feed → chip efficiency Π η = {_pct(p.feed_chain_efficiency)}; losses P·(1/η − 1) per stage: "
               f"{parts}; total {fmt(total_loss, 1, KW)} kW")
    return finding("power.conversion_losses", "power", np.asarray(total_loss) / KW, "kW", message)


def check_rack_power_budget(fig: RackFigures) -> Finding:
    """Power the rack draws at its feed against the facility's per-rack power limit."""
    p = fig.power
    rack_in = rack_input_power_w(fig)
    cooling_part = "" if not np.any(np.asarray(p.cooling_power_w) > 0) else \
        f" + {fmt(p.cooling_power_w, 1, KW)} kW in-rack cooling"
    message = (f"rack input = P_IT / Π η(in rack) = {fmt(p.it_power_w, 1, KW)} kW / "
               f"{_pct(p.rack_chain_efficiency)}{cooling_part} = {fmt(rack_in, 1, KW)} kW vs facility limit "
               f"{fmt(fig.facility.rack_power_limit_w, 1, KW)} kW per rack")
    return finding("power.rack_budget", "power", np.asarray(rack_in) / KW, "kW", message,
                   limit=np.asarray(fig.facility.rack_power_limit_w) / KW, sense="max")


def check_feed_current(fig: RackFigures) -> Finding:
    """Current each facility feed carries when it alone supplies the rack (A/B feeds) [A]."""
    p = fig.power
    rack_in = rack_input_power_w(fig)
    current = power.feed_current_a(rack_in, p.feed_voltage_v, p.feed_kind)
    formula = {"ac-3ph": "P / (√3 · V_LL)", "ac-1ph": "P / V", "dc": "P / V"}[p.feed_kind]
    message = (f"one {p.feed_kind} feed carrying the whole rack: I = {formula} = {fmt(rack_in, 1, KW)} kW / "
               f"({'√3 · ' if p.feed_kind == 'ac-3ph' else ''}{fmt(p.feed_voltage_v)} V) = {fmt(current)} A "
               f"(unity power factor; {fmt(p.feeds)} feeds)")
    return finding("power.feed_current", "power", current, "A", message)


def check_ride_through(fig: RackFigures) -> Finding | None:
    """Battery ride-through t = 3600 · E / P at nameplate IT load against the target."""
    p = fig.power
    has_bbu, has_target = given(p.bbu_energy_wh), given(p.ride_through_target_s)
    if not has_bbu and not has_target:
        return None
    if not has_bbu:
        return finding_with_status("power.ride_through", "power", 0.0, "s",
                                   f"target {fmt(p.ride_through_target_s)} s but the design has no battery "
                                   "backup units", Status.FAIL, limit=p.ride_through_target_s, margin=-1.0)
    t = power.ride_through_s(p.bbu_energy_wh, p.it_power_w, p.bbu_output_w)
    over = np.asarray(p.it_power_w, dtype=float) > np.asarray(p.bbu_output_w, dtype=float)
    note = "; load exceeds the BBUs' output, so they cannot carry it" if np.any(over) else ""
    message = (f"t = 3600 · E / P = 3600 · {fmt(p.bbu_energy_wh, 2, KW)} kWh / {fmt(p.it_power_w, 1, KW)} kW = "
               f"{fmt(t, 1)} s (BBU output {fmt(p.bbu_output_w, 1, KW)} kW){note}")
    if not has_target:
        return finding("power.ride_through", "power", t, "s", message + "; no target set")
    return finding("power.ride_through", "power", t, "s", message + f" vs target {fmt(p.ride_through_target_s)} s",
                   limit=p.ride_through_target_s, sense="min")


# ------------------------------------------------------------------ cooling

def check_heat_split(fig: RackFigures) -> Finding:
    """Heat to liquid and to air; fails when parts send heat to a liquid loop an air-cooled rack lacks."""
    c = fig.cooling
    fraction = liquid_heat_fraction(fig)
    message = (f"liquid {fmt(c.liquid_heat_w, 1, KW)} kW + air {fmt(c.air_heat_w, 1, KW)} kW "
               f"(incl. in-rack conversion losses); liquid share Q_liquid / Q = {_pct(fraction)}")
    if c.kind == "air" and np.any(np.asarray(c.liquid_heat_w) > 0):
        return finding_with_status("cooling.heat_split", "cooling", np.asarray(fraction) * 100.0, "%",
                                   message + "; the design is air-cooled but its parts send heat to liquid",
                                   np.where(np.asarray(c.liquid_heat_w) > 0, Status.FAIL, Status.PASS))
    return finding("cooling.heat_split", "cooling", np.asarray(fraction) * 100.0, "%", message)


def check_liquid_limit(fig: RackFigures) -> Finding | None:
    """Rack heat to liquid against the facility's per-rack liquid-cooling limit."""
    c, f = fig.cooling, fig.facility
    if c.kind == "air" or not given(f.rack_liquid_limit_w):
        return None
    message = (f"heat to liquid {fmt(c.liquid_heat_w, 1, KW)} kW vs facility liquid-cooling limit "
               f"{fmt(f.rack_liquid_limit_w, 1, KW)} kW per rack")
    return finding("cooling.liquid_limit", "cooling", np.asarray(c.liquid_heat_w) / KW, "kW", message,
                   limit=np.asarray(f.rack_liquid_limit_w) / KW, sense="max")


def check_air_limit(fig: RackFigures) -> Finding | None:
    """Rack heat to air against the facility's per-rack air-cooling limit."""
    c, f = fig.cooling, fig.facility
    if not given(f.rack_air_limit_w):
        return None
    message = (f"residual heat to air {fmt(c.air_heat_w, 1, KW)} kW vs facility air-cooling limit "
               f"{fmt(f.rack_air_limit_w, 1, KW)} kW per rack")
    return finding("cooling.air_limit", "cooling", np.asarray(c.air_heat_w) / KW, "kW", message,
                   limit=np.asarray(f.rack_air_limit_w) / KW, sense="max")


def _cdu_usable(fig: RackFigures, attr: str) -> Any:
    c = fig.cooling
    return power.usable_capacity_w(getattr(c, attr), c.cdu_count, c.cdu_redundancy)


def check_coolant_flow(fig: RackFigures) -> Finding | None:
    """Coolant flow V̇ = Q / (ρ · cp · ΔT) against the in-rack CDUs' usable flow."""
    c = fig.cooling
    if c.kind == "air":
        return None
    flow = coolant_flow_lpm(fig)
    t_mean = cooling.mean_loop_temp_c(c.supply_temp_c, c.delta_t_k)
    from rackforge.engineering import fluids

    rho = fluids.density_kg_m3(c.coolant, t_mean)
    cp = fluids.specific_heat_j_kg_k(c.coolant, t_mean)
    coolant_name = fluids.COOLANT_NAMES.get(int(np.max(c.coolant)), "?") if is_scalar(c.coolant) else "water/PG25"
    per_kw = np.asarray(flow, dtype=float) / np.maximum(np.asarray(c.liquid_heat_w, dtype=float) / KW, 1e-9)
    message = (f"V̇ = Q / (ρ · cp · ΔT) = {fmt(c.liquid_heat_w, 1, KW)} kW / ({fmt(rho, 1)} kg/m³ · "
               f"{fmt(cp)} J/(kg·K) · {fmt(c.delta_t_k, 1)} K) = {fmt(flow, 1)} L/min of {coolant_name} at "
               f"{fmt(t_mean, 1)} °C mean ({fmt(per_kw, 2)} L/min per kW)")
    if c.cdu_location == "in-rack" and given(c.cdu_max_flow_lpm):
        usable = _cdu_usable(fig, "cdu_max_flow_lpm")
        return finding("cooling.coolant_flow", "cooling", flow, "L/min",
                       message + f" vs CDU usable flow {fmt(usable, 1)} L/min ({c.cdu_redundancy_name})",
                       limit=usable, sense="max")
    return finding("cooling.coolant_flow", "cooling", flow, "L/min", message)


def check_cdu_capacity(fig: RackFigures) -> Finding | None:
    """Rack liquid heat against its in-rack CDUs' capacity left after the redundant units fail."""
    c = fig.cooling
    if c.kind == "air" or c.cdu_location != "in-rack" or not given(c.cdu_capacity_w):
        return None
    usable = _cdu_usable(fig, "cdu_capacity_w")
    spares = power.spare_units(c.cdu_count, c.cdu_redundancy)
    message = (f"heat to liquid {fmt(c.liquid_heat_w, 1, KW)} kW vs usable CDU capacity ({fmt(c.cdu_count)} − "
               f"{fmt(spares)} spare, {c.cdu_redundancy_name}) × {fmt(c.cdu_capacity_w, 1, KW)} kW = "
               f"{fmt(usable, 1, KW)} kW")
    return finding("cooling.cdu_capacity", "cooling", np.asarray(c.liquid_heat_w) / KW, "kW", message,
                   limit=np.asarray(usable) / KW, sense="max")


def check_facility_water(fig: RackFigures) -> Finding | None:
    """Facility water supply against the warmest that still gives the design's secondary supply.

    Needed facility supply = T_secondary − CDU approach (0 K with no CDU); the facility's supply
    is its actual temperature or its ASHRAE class maximum (W17–W45).
    """
    c, f = fig.cooling, fig.facility
    if c.kind == "air" or not given(f.facility_supply_temp_c):
        return None
    approach = np.where(np.isnan(np.asarray(c.cdu_approach_k, dtype=float)), 0.0, c.cdu_approach_k)
    needed = cooling.required_facility_supply_c(c.supply_temp_c, approach)
    class_text = ""
    if is_scalar(needed):
        cls = cooling.warmest_water_class(float(needed))
        class_text = f" → class {cls} or colder" if cls else " → colder than any ASHRAE class (W17 is 17 °C)"
    facility = f"facility {f.water_class or 'water'} supplies up to {fmt(f.facility_supply_temp_c, 1)} °C"
    message = (f"design needs facility water ≤ T_secondary − approach = {fmt(c.supply_temp_c, 1)} °C − "
               f"{fmt(approach, 1)} K = {fmt(needed, 1)} °C{class_text}; {facility}")
    return finding("cooling.facility_water", "cooling", f.facility_supply_temp_c, "°C", message,
                   limit=needed, sense="max", warn_margin=0.0)


def check_airflow(fig: RackFigures) -> Finding | None:
    """Airflow the residual air heat needs, V̇ = Q / (ρ_air · cp_air · ΔT), against the fans' airflow."""
    c = fig.cooling
    if not given(c.fan_airflow_cfm):
        return None
    need = cooling.airflow_cfm(c.air_heat_w, c.air_delta_t_k, c.air_inlet_c)
    message = (f"V̇ = Q / (ρ_air · cp_air · ΔT) = {fmt(c.air_heat_w, 1, KW)} kW / (ρ · 1,006 J/(kg·K) · "
               f"{fmt(c.air_delta_t_k, 1)} K) = {fmt(need)} CFM vs fans {fmt(c.fan_airflow_cfm)} CFM")
    return finding("cooling.airflow", "cooling", need, "CFM", message, limit=c.fan_airflow_cfm, sense="max")


# ------------------------------------------------------------------ network

def check_scale_up_domain(fig: RackFigures) -> Finding | None:
    """The rack's GPUs form whole scale-up domains (or a domain spans whole racks)."""
    n = fig.network
    if not given(n.gpus_per_domain):
        return None
    gpus = np.asarray(fig.gpus, dtype=float)
    dom = np.asarray(n.gpus_per_domain, dtype=float)
    domains = network.domains_in_rack(gpus, dom)
    whole = (np.mod(gpus, dom) == 0) | ((gpus > 0) & (np.mod(dom, np.maximum(gpus, 1)) == 0))
    status = np.where(whole & (gpus > 0), Status.PASS, Status.WARN)
    message = (f"{fmt(gpus)} GPUs / {fmt(dom)} GPUs per {n.scale_up_technology or 'scale-up'} domain = "
               f"{fmt(domains, 2)} domains per rack" + ("" if np.all(whole) else "; GPUs left outside a whole domain"))
    return finding_with_status("network.scale_up_domain", "network", domains, "domains", message, status)


def check_switch_trays(fig: RackFigures) -> Finding | None:
    """Installed scale-up switch trays against ⌈GPUs · links per GPU / ports per tray⌉."""
    n = fig.network
    if not given(n.switch_ports_per_tray) or not given(n.links_per_gpu):
        return None
    needed = network.switch_trays_needed(fig.gpus, n.links_per_gpu, n.switch_ports_per_tray)
    message = (f"trays needed = ⌈{fmt(fig.gpus)} GPUs · {fmt(n.links_per_gpu)} links / {fmt(n.switch_ports_per_tray)} "
               f"ports per tray⌉ = {fmt(needed)}; installed {fmt(n.switch_trays)}")
    return finding("network.switch_trays", "network", n.switch_trays, "trays", message, limit=needed,
                   sense="min", warn_margin=0.0)


SPINE_COUNT_TOLERANCE = 0.10
"""Share by which the computed spine cable count may differ from a published count before warning."""


def check_scale_up_cables(fig: RackFigures) -> Finding | None:
    """Spine cable count GPUs · links · lanes · 2, with length, against a published count (±10 %)."""
    n = fig.network
    if not given(n.links_per_gpu):
        return None
    count = scale_up_cable_count(fig)
    if not n.spine_cabled:
        message = (f"{n.scale_up_technology or 'scale-up'} links run on PCB (baseboard or midplane), not in cables: "
                   f"GPUs · links · lanes · 2 = {fmt(fig.gpus)} · {fmt(n.links_per_gpu)} · {fmt(n.lanes_per_link)} · 2 "
                   f"= {fmt(count)} lane pairs")
        return finding("network.scale_up_cables", "network", np.zeros_like(np.asarray(count, dtype=float)), "cables",
                       message)
    length_km = np.asarray(count, dtype=float) * np.nan_to_num(np.asarray(n.spine_cable_length_m, dtype=float)) / KW
    message = (f"cables = GPUs · links · lanes · 2 directions = {fmt(fig.gpus)} · {fmt(n.links_per_gpu)} · "
               f"{fmt(n.lanes_per_link)} · 2 = {fmt(count)}")
    if given(n.spine_cable_length_m):
        message += f", {fmt(length_km, 2)} km at {fmt(n.spine_cable_length_m, 2)} m each"
    if not given(n.published_spine_cables):
        return finding("network.scale_up_cables", "network", count, "cables", message)
    deviation = np.abs(np.asarray(count, dtype=float) - n.published_spine_cables) / n.published_spine_cables
    status = np.where(deviation <= SPINE_COUNT_TOLERANCE, Status.PASS, Status.WARN)
    message += f"; published {fmt(n.published_spine_cables)} ({_pct(deviation)} apart, ±10 % accepted)"
    return finding_with_status("network.scale_up_cables", "network", count, "cables", message, status,
                               limit=n.published_spine_cables, margin=SPINE_COUNT_TOLERANCE - deviation)


def check_scale_up_reach(fig: RackFigures) -> Finding | None:
    """Scale-up spine cable length against its medium's reach at the lane rate."""
    n = fig.network
    if not given(n.spine_cable_length_m) or not given(n.spine_cable_reach_m):
        return None
    kind = "copper" if n.spine_copper else "optical"
    message = (f"{fmt(n.spine_cable_length_m, 2)} m {n.spine_medium} ({kind}) link at {fmt(n.lane_rate_gbps)} Gb/s "
               f"per lane vs reach {fmt(n.spine_cable_reach_m, 2)} m")
    return finding("network.scale_up_reach", "network", n.spine_cable_length_m, "m", message,
                   limit=n.spine_cable_reach_m, sense="max", warn_margin=0.0)


# ------------------------------------------------------------------ mechanics

def check_rack_units(fig: RackFigures) -> Finding:
    """Rack units used against those the frame offers."""
    m = fig.mechanics
    unit = "OU" if m.standard == "orv3" else "RU"
    message = (f"{fmt(m.rack_units_used, 1)} {unit} used of {fmt(m.rack_units_available)} {unit} in the "
               f"{m.standard} frame")
    return finding("mechanics.rack_units", "mechanics", m.rack_units_used, unit, message,
                   limit=m.rack_units_available, sense="max", warn_margin=0.0)


def check_mass(fig: RackFigures) -> Finding:
    """Payload (rack mass less its frame) against the frame's static load rating."""
    m = fig.mechanics
    payload = np.asarray(m.mass_kg, dtype=float) - np.asarray(m.frame_mass_kg, dtype=float)
    message = (f"payload = Σ part mass − frame = {fmt(m.mass_kg)} kg − {fmt(m.frame_mass_kg)} kg = {fmt(payload)} kg "
               f"vs the frame's static load rating {fmt(m.static_load_kg)} kg")
    return finding("mechanics.mass", "mechanics", payload, "kg", message, limit=m.static_load_kg, sense="max")


def check_floor_load(fig: RackFigures) -> Finding:
    """Floor loading m / (w · d) under the rack's footprint against the facility's floor rating."""
    m = fig.mechanics
    load = mechanics.floor_loading_kg_m2(m.mass_kg, m.width_mm, m.depth_mm)
    message = (f"m / (w · d) = {fmt(m.mass_kg)} kg / ({fmt(m.width_mm / 1000.0, 3)} m · "
               f"{fmt(m.depth_mm / 1000.0, 3)} m) = {fmt(load)} kg/m² vs floor rating "
               f"{fmt(fig.facility.floor_rating_kg_m2)} kg/m²")
    return finding("mechanics.floor_load", "mechanics", load, "kg/m²", message,
                   limit=fig.facility.floor_rating_kg_m2, sense="max")


def check_footprint(fig: RackFigures) -> Finding:
    """Frame width, unit height and widest racked part against the rack standard's geometry."""
    m = fig.mechanics
    std = mechanics.RACK_STANDARDS[m.standard]
    width = np.asarray(m.width_mm, dtype=float)
    # a frame may span several bays side by side (e.g. a compute rack with its power sidecar)
    bays = np.maximum(np.round(width / std.max_frame_width_mm), 1.0)
    per_bay = width / bays
    frame_ok = (per_bay >= std.min_frame_width_mm - 0.5) & (per_bay <= std.max_frame_width_mm + 0.5)
    unit_ok = mechanics.unit_height_matches(m.standard, float(np.max(m.unit_height_mm)))
    problems = []
    if not np.all(frame_ok):
        problems.append(f"frame width {fmt(width)} mm is not a whole number of {fmt(std.min_frame_width_mm, 1)}–"
                        f"{fmt(std.max_frame_width_mm, 1)} mm bays")
    if not unit_ok:
        problems.append(f"unit height {fmt(m.unit_height_mm, 2)} mm is not the standard's {std.unit_height_mm:g} mm")
    widest = np.asarray(m.widest_item_mm, dtype=float)
    item_ok = np.isnan(widest) | (widest <= std.bay_width_mm + 0.5)
    if not np.all(item_ok):
        problems.append(f"widest racked part {fmt(widest)} mm exceeds the {std.bay_width_mm:g} mm bay")
    status = np.where(frame_ok & item_ok & unit_ok, Status.PASS, Status.FAIL)
    value = np.where(np.isnan(widest), per_bay, widest)
    limit = std.bay_width_mm if given(widest) else std.max_frame_width_mm
    subject = "widest racked part" if given(widest) else "frame width per bay"
    bay_text = f" ({fmt(bays)} bays)" if np.any(bays > 1) else ""
    message = (f"{m.standard}: {subject} {fmt(value)} mm vs {fmt(limit, 1)} mm; frame {fmt(width)}{bay_text} × "
               f"{fmt(m.depth_mm)} mm, unit {fmt(m.unit_height_mm, 2)} mm")
    if problems:
        message += " — " + "; ".join(problems)
    return finding_with_status("mechanics.footprint", "mechanics", value, "mm", message, status, limit=limit)


def check_height(fig: RackFigures) -> Finding:
    """Height of the used units (units · unit height) against the frame's height."""
    m = fig.mechanics
    stack = mechanics.stack_height_mm(m.rack_units_used, m.unit_height_mm)
    message = (f"{fmt(m.rack_units_used, 1)} units · {fmt(m.unit_height_mm, 2)} mm = {fmt(stack)} mm vs frame height "
               f"{fmt(m.frame_height_mm)} mm")
    return finding("mechanics.height", "mechanics", stack, "mm", message, limit=m.frame_height_mm, sense="max",
                   warn_margin=0.0)


RACK_CHECKS: tuple[Callable[[RackFigures], Finding | None], ...] = (
    check_shelf_capacity, check_shelf_load, check_busbar_current, check_conversion_chain, check_rack_power_budget,
    check_feed_current, check_ride_through,
    check_heat_split, check_liquid_limit, check_air_limit, check_coolant_flow, check_cdu_capacity,
    check_facility_water, check_airflow,
    check_scale_up_domain, check_switch_trays, check_scale_up_cables, check_scale_up_reach,
    check_rack_units, check_mass, check_floor_load, check_footprint, check_height,
)
"""Every rack-level check, in report order."""


def run_checks(checks: Sequence[Callable[[RackFigures], Finding | None]], fig: RackFigures) -> list[Finding]:
    """The findings of ``checks`` on ``fig``, in order; a check returning None does not apply."""
    return [result for result in (check(fig) for check in checks) if result is not None]


def run_rack_checks(fig: RackFigures) -> list[Finding]:
    """All rack-level findings of a design (or of arrays of variants)."""
    return run_checks(RACK_CHECKS, fig)
