"""Roll a rack design up into the numbers the checks need.

:func:`rack_figures` walks a design's parts through the catalog (quantities multiply down the
assembly tree) and gathers them, with the facility's limits, into a :class:`RackFigures`.
Every numeric field may be a float or a NumPy array, so a sweep over design variants builds
one :class:`RackFigures` of arrays and runs the same check functions on it. A figure the
design does not give is ``nan`` (the check that needs it is then skipped).

Conventions for what counts where:

- IT load = Σ power_w × quantity over every part that is not a converter (``conversion``
  spec), a battery (``battery`` spec) or a CDU; converters report losses, not load.
- Heat: each part's power_w splits into liquid and air by its ``liquid_heat_fraction``; each
  in-rack conversion stage's loss splits by its ``loss_to_liquid`` (default: the power
  shelf's liquid fraction, else all to air).
- Conversion stages run from the facility feed to the chip, so they are inside the rack's
  boundary (a power sidecar listed in the design included), except stages named like
  upstream facility equipment (UPS, transformer, switchgear, solid-state transformer,
  utility, medium-voltage, rectifier room). Rack input power = IT / Π η(in-rack stages) +
  in-rack cooling equipment power.
- CDU count: per rack for in-rack CDUs; for in-row and facility CDUs, the CDUs that serve
  ``cdu_racks_served`` racks together (default: the facility's pod of ``pod_racks`` racks).
- Mass: the frame's static load rating is a payload, so the frame itself (top-level
  mechanical parts named "frame") is subtracted before comparing; floor loading uses the
  whole mass.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from rackforge.core.bom import explode, explode_items
from rackforge.engineering import fluids, network
from rackforge.engineering.power import chain_efficiency, redundancy_code, stage_losses_w
from rackforge.schema import Catalog, Facility, PartType, RackDesign

NAN = math.nan
DEFAULT_HOST_LINK_LENGTH_M = 15.0
"""NIC-to-leaf link length when the design gives none [m] (estimate: leaf switches at the end of an
8-rack row, ~0.6 m per rack plus vertical runs)."""
DEFAULT_FABRIC_LINK_LENGTH_M = 100.0
"""Leaf-to-spine link length when the design gives none [m] (estimate: spine switches in a network
row of the same data hall)."""
DEFAULT_AIR_INLET_C = 25.0
"""Air inlet temperature for airflow sizing [°C] (ASHRAE A1 recommended range 18–27 °C)."""

_BUSBAR_STAGE = re.compile(r"\bbus(bar)?s?\b", re.IGNORECASE)
_BUS_SOURCE_STAGE = re.compile(r"\b(shelf|shelves|rectifiers?|psus?|sidecar)\b", re.IGNORECASE)
_FACILITY_STAGE = re.compile(r"\b(ups|transformers?|switchgear|sst|solid-state|facility|utility|medium-voltage|mv|"
                             r"rectifier room)\b", re.IGNORECASE)


@dataclass(frozen=True)
class PowerFigures:
    """Electrical figures of one rack (floats or arrays)."""

    it_power_w: Any
    it_idle_power_w: Any
    utilisation: Any
    cooling_power_w: Any
    bus_voltage_v: Any
    busbar_rating_a: Any
    busbar_count: Any
    shelf_output_w: Any
    shelf_count: Any
    shelf_redundancy: Any
    shelf_efficiency: Any
    rack_chain_efficiency: Any
    feed_chain_efficiency: Any
    bbu_energy_wh: Any
    bbu_output_w: Any
    ride_through_target_s: Any
    feed_voltage_v: Any
    feeds: Any
    feed_kind: str = "ac-3ph"
    distribution: str = "dc-busbar"
    shelf_redundancy_name: str = "N"
    chain_stages: tuple[tuple[str, float, bool], ...] = ()
    """(stage, efficiency, in rack) from facility feed to chip."""
    rack_loss_liquid_w: Any = 0.0
    """Part of the in-rack conversion losses that goes to the liquid loop [W]."""
    bus_stages: tuple[tuple[str, float], ...] = ()
    """(stage, efficiency) of the stages the DC bus feeds, the busbar itself included (see :func:`bus_stages`)."""
    bus_chain_efficiency: Any = 1.0
    """Π η of ``bus_stages`` [fraction]: the bus carries P_IT / this."""


@dataclass(frozen=True)
class CoolingFigures:
    """Thermal figures of one rack (floats or arrays)."""

    liquid_heat_w: Any
    air_heat_w: Any
    coolant: Any
    supply_temp_c: Any
    delta_t_k: Any
    air_delta_t_k: Any
    cdu_capacity_w: Any
    cdu_count: Any
    cdu_redundancy: Any
    cdu_max_flow_lpm: Any
    cdu_approach_k: Any
    fan_airflow_cfm: Any
    cdu_racks_served: Any = NAN
    """Racks one group of in-row/facility CDUs serves (nan: the facility's pod)."""
    air_inlet_c: Any = DEFAULT_AIR_INLET_C
    kind: str = "liquid"
    cdu_location: str = "in-rack"
    cdu_redundancy_name: str = "N"


@dataclass(frozen=True)
class NetworkFigures:
    """Scale-up and scale-out figures of one rack (floats or arrays; nan when absent)."""

    gpus_per_domain: Any
    links_per_gpu: Any
    lanes_per_link: Any
    lane_rate_gbps: Any
    switch_trays: Any
    switch_ports_per_tray: Any
    spine_cable_length_m: Any
    spine_cable_reach_m: Any
    published_spine_cables: Any
    nics_per_gpu: Any
    nic_port_rate_gbps: Any
    scale_out_lane_rate_gbps: Any
    switch_ports: Any
    switch_port_rate_gbps: Any
    oversubscription: Any
    host_link_length_m: Any
    fabric_link_length_m: Any
    scale_up_technology: str = ""
    spine_medium: str = "dac"
    spine_copper: bool = True
    spine_cabled: bool = True
    """False when the scale-up links run on PCB (baseboard, midplane) rather than in cables."""


@dataclass(frozen=True)
class MechanicsFigures:
    """Space and mass figures of one rack (floats or arrays)."""

    rack_units_used: Any
    rack_units_available: Any
    unit_height_mm: Any
    frame_height_mm: Any
    mass_kg: Any
    frame_mass_kg: Any
    static_load_kg: Any
    width_mm: Any
    depth_mm: Any
    widest_item_mm: Any
    standard: str = "orv3"


@dataclass(frozen=True)
class FacilityLimits:
    """The data hall's limits that the checks hold a rack (and a pod) to; nan when not given."""

    rack_power_limit_w: Any
    row_power_limit_w: Any
    rack_liquid_limit_w: Any
    rack_air_limit_w: Any
    floor_rating_kg_m2: Any
    facility_supply_temp_c: Any
    pue: Any
    pod_racks: Any
    racks_per_row: Any
    water_class: str | None = None


@dataclass(frozen=True)
class RackFigures:
    """Everything the checks need about one rack design (or an array of variants of it)."""

    design_id: str
    gpus: Any
    cpus: Any
    power: PowerFigures
    cooling: CoolingFigures
    network: NetworkFigures
    mechanics: MechanicsFigures
    facility: FacilityLimits


def facility_limits(facility: Facility) -> FacilityLimits:
    """The facility's limits as numbers (nan where the facility gives none)."""
    water_class = facility.facility_water_class
    supply = facility.facility_supply_temp_c
    if supply is None and water_class is not None:
        from rackforge.schema import WATER_CLASSES

        supply = WATER_CLASSES[water_class]
    return FacilityLimits(
        rack_power_limit_w=facility.rack_power_limit_w,
        row_power_limit_w=_nan(facility.row_power_limit_w),
        rack_liquid_limit_w=_nan(facility.rack_liquid_cooling_limit_w),
        rack_air_limit_w=_nan(facility.rack_air_cooling_limit_w),
        floor_rating_kg_m2=facility.floor_rating_kg_m2,
        facility_supply_temp_c=_nan(supply),
        pue=facility.pue,
        pod_racks=float(facility.pod_racks),
        racks_per_row=float(facility.racks_per_row),
        water_class=water_class,
    )


def _nan(value: float | None) -> float:
    return NAN if value is None else float(value)


def is_facility_stage(stage: str) -> bool:
    """True for a conversion stage upstream of the rack (UPS, transformer, switchgear, SST, utility, MV)."""
    return _FACILITY_STAGE.search(stage) is not None


def rack_units_used(catalog: Catalog, items: Any, multiplier: int = 1) -> float:
    """Rack units a list of items occupies [units].

    An assembly with a height counts that height (its contents are inside it); an assembly
    without one counts its contents; a part counts its own ``rack_units``.
    """
    total = 0.0
    for item in items:
        qty = item.quantity * multiplier
        if item.ref in catalog.parts:
            total += catalog.parts[item.ref].rack_units * qty
            continue
        assembly = catalog.assemblies[item.ref]
        if assembly.rack_units > 0:
            total += assembly.rack_units * qty
        else:
            total += rack_units_used(catalog, assembly.items, qty)
    return total


def is_frame(part: PartType) -> bool:
    """True for a rack frame part (mechanical, named a frame): its mass is not payload."""
    return part.category.value == "mechanical" and ("frame" in part.id or "frame" in part.name.lower())


def frame_mass_kg(design: RackDesign, catalog: Catalog) -> float:
    """Mass of the rack frames in a design, sidecar frames included [kg] (subtracted to get the payload)."""
    parts = explode(catalog, design.id) if design.id in catalog.designs else explode_items(catalog, design.items)
    return sum(catalog.parts[ident].mass_kg * qty for ident, qty in parts.items() if is_frame(catalog.parts[ident]))


def _is_cdu(part: PartType) -> bool:
    return part.cooling is not None and part.cooling.kind == "cdu"


def _part(catalog: Catalog, ident: str | None) -> PartType | None:
    return catalog.parts.get(ident) if ident else None


def rack_figures(design: RackDesign, catalog: Catalog, facility: Facility) -> RackFigures:
    """Roll a design up through the catalog into :class:`RackFigures` (floats)."""
    parts = explode(catalog, design.id) if design.id in catalog.designs else explode_items(catalog, design.items)
    gpus = cpus = 0.0
    it_w = idle_w = liquid_w = air_w = cooling_w = mass = fan_cfm = 0.0
    widest = 0.0
    has_fans = False
    for ident, qty in parts.items():
        part = catalog.parts[ident]
        mass += part.mass_kg * qty
        if part.compute is not None:
            gpus += part.compute.gpus * qty
            cpus += part.compute.cpus * qty
        if part.cooling is not None and part.cooling.kind == "fan" and part.cooling.airflow_cfm is not None:
            fan_cfm += part.cooling.airflow_cfm * qty
            has_fans = True
        if part.dimensions is not None and part.rack_units > 0:
            widest = max(widest, part.dimensions.width_mm)
        if part.conversion is not None or part.battery is not None:
            continue
        liquid_w += part.liquid_heat_w * qty
        air_w += part.air_heat_w * qty
        if _is_cdu(part):
            cooling_w += part.power_w * qty
        else:
            it_w += part.power_w * qty
            idle_w += (part.idle_power_w or 0.0) * qty

    power = _power_figures(design, catalog, it_w, idle_w, cooling_w)
    rack_loss = it_w * (1.0 / power.rack_chain_efficiency - 1.0)
    air_w += rack_loss - power.rack_loss_liquid_w
    liquid_w += power.rack_loss_liquid_w

    cooling = _cooling_figures(design, catalog, liquid_w, air_w, fan_cfm if has_fans else NAN)
    net = _network_figures(design, catalog)
    frame = design.rack
    mechanics = MechanicsFigures(
        rack_units_used=rack_units_used(catalog, design.items),
        rack_units_available=float(frame.rack_units),
        unit_height_mm=frame.unit_height_mm,
        frame_height_mm=frame.height_mm,
        mass_kg=mass,
        frame_mass_kg=frame_mass_kg(design, catalog),
        static_load_kg=frame.static_load_kg,
        width_mm=frame.width_mm,
        depth_mm=frame.depth_mm,
        widest_item_mm=widest if widest > 0 else NAN,
        standard=frame.standard,
    )
    return RackFigures(design_id=design.id, gpus=gpus, cpus=cpus, power=power, cooling=cooling, network=net,
                       mechanics=mechanics, facility=facility_limits(facility))


def bus_stages(stages: tuple[tuple[str, float, bool], ...]) -> tuple[tuple[str, float], ...]:
    """The conversion stages the DC bus feeds, in chain order (feed → chip).

    The stage named like a busbar ("50 V busbar", "800 V busbar and cables") and every stage
    after it; with no such stage, every stage after the last one that makes the bus voltage
    (a power shelf, rectifier, PSU or sidecar, or an upstream facility stage such as a
    solid-state transformer); with none of those either, every stage after the first.
    """
    names = [name for name, _, _ in stages]
    start = next((i for i, name in enumerate(names) if _BUSBAR_STAGE.search(name)), None)
    if start is None:
        sources = [i for i, name in enumerate(names) if _BUS_SOURCE_STAGE.search(name) or is_facility_stage(name)]
        start = (sources[-1] + 1) if sources else min(1, len(stages))
    return tuple((name, eta) for name, eta, _ in stages[start:])


def _power_figures(design: RackDesign, catalog: Catalog, it_w: float, idle_w: float,
                   cooling_w: float) -> PowerFigures:
    arch = design.power
    shelf = _part(catalog, arch.shelf)
    shelf_out = NAN
    shelf_eff = 1.0
    if shelf is not None and shelf.conversion is not None:
        shelf_out = shelf.conversion.output_w
        shelf_eff = shelf.conversion.efficiency
    busbar = _part(catalog, arch.busbar)
    rating = busbar.busbar.rating_a if busbar is not None and busbar.busbar is not None else NAN
    bbu = _part(catalog, arch.bbu)
    energy = out_w = NAN
    if bbu is not None and bbu.battery is not None and arch.bbu_count > 0:
        energy = bbu.battery.energy_wh * arch.bbu_count
        out_w = bbu.battery.output_w * arch.bbu_count
    default_liquid = shelf.liquid_heat_fraction if shelf is not None else 0.0
    stages = tuple((s.stage, s.efficiency, not is_facility_stage(s.stage)) for s in arch.conversion_chain)
    liquid_shares = [default_liquid if s.loss_to_liquid is None else s.loss_to_liquid for s in arch.conversion_chain]
    if not stages and shelf is not None:
        stages = ((f"power shelf {shelf.id}", shelf_eff, True),)
        liquid_shares = [default_liquid]
    inside = [(eta, share) for (_, eta, in_rack), share in zip(stages, liquid_shares, strict=True) if in_rack]
    rack_eff = chain_efficiency([eta for eta, _ in inside])
    feed_eff = chain_efficiency([eta for _, eta, _ in stages])
    losses = stage_losses_w(it_w, [eta for eta, _ in inside])
    loss_liquid = sum(loss * share for loss, (_, share) in zip(losses, inside, strict=True))
    return PowerFigures(
        it_power_w=it_w,
        it_idle_power_w=idle_w,
        utilisation=arch.design_utilisation,
        cooling_power_w=cooling_w,
        bus_voltage_v=arch.bus_voltage_v,
        busbar_rating_a=rating,
        busbar_count=float(arch.busbar_count),
        shelf_output_w=shelf_out,
        shelf_count=float(arch.shelf_count),
        shelf_redundancy=redundancy_code(arch.redundancy.value),
        shelf_efficiency=shelf_eff,
        rack_chain_efficiency=rack_eff,
        feed_chain_efficiency=feed_eff,
        bbu_energy_wh=energy,
        bbu_output_w=out_w,
        ride_through_target_s=_nan(arch.ride_through_target_s),
        feed_voltage_v=arch.feed.voltage_v,
        feeds=float(arch.feed.feeds),
        feed_kind=arch.feed.kind,
        distribution=arch.distribution,
        shelf_redundancy_name=arch.redundancy.value,
        chain_stages=stages,
        rack_loss_liquid_w=loss_liquid,
        bus_stages=bus_stages(stages),
        bus_chain_efficiency=chain_efficiency([eta for _, eta in bus_stages(stages)]),
    )


def _cooling_figures(design: RackDesign, catalog: Catalog, liquid_w: float, air_w: float,
                     fan_cfm: float) -> CoolingFigures:
    arch = design.cooling
    cdu = _part(catalog, arch.cdu)
    spec = cdu.cooling if cdu is not None else None
    coolant = fluids.COOLANT_CODES.get(arch.coolant.value, fluids.WATER)
    location = arch.cdu_location or ("in-rack" if spec is not None else "none")
    return CoolingFigures(
        liquid_heat_w=liquid_w,
        air_heat_w=air_w,
        coolant=float(coolant),
        supply_temp_c=arch.supply_temp_c,
        delta_t_k=arch.delta_t_k,
        air_delta_t_k=arch.air_delta_t_k,
        cdu_capacity_w=_nan(spec.capacity_w) if spec else NAN,
        cdu_count=float(arch.cdu_count),
        cdu_redundancy=redundancy_code(arch.cdu_redundancy.value),
        cdu_max_flow_lpm=_nan(spec.max_flow_lpm) if spec else NAN,
        cdu_approach_k=_nan(spec.approach_k) if spec else NAN,
        fan_airflow_cfm=fan_cfm,
        cdu_racks_served=_nan(arch.cdu_racks_served),
        kind=arch.kind,
        cdu_location=location,
        cdu_redundancy_name=arch.cdu_redundancy.value,
    )


def _network_figures(design: RackDesign, catalog: Catalog) -> NetworkFigures:
    up = design.network.scale_up
    out = design.network.scale_out
    ports_per_tray = NAN
    length = reach = NAN
    medium, copper, cabled, technology = "dac", True, False, ""
    if up is not None:
        technology = up.technology
        if up.switch_tray is not None and up.switch_tray in catalog.assemblies:
            ports = 0
            for ident, qty in explode(catalog, up.switch_tray).items():
                spec = catalog.parts[ident].switch
                if spec is not None:
                    ports += spec.ports * qty
            ports_per_tray = float(ports) if ports else NAN
        cable = _part(catalog, up.cable)
        cable_spec = cable.cable if cable is not None else None
        if cable_spec is not None:
            cabled = True
            medium = cable_spec.medium
            copper = medium in ("dac", "acc", "aec", "backplane")
            length = up.cable_length_m if up.cable_length_m is not None else cable_spec.length_m
            if cable_spec.max_reach_m is not None:
                reach = cable_spec.max_reach_m
            elif medium in network.MEDIA:
                reach = network.medium_reach_m(medium, up.lane_rate_gbps)
        elif up.cable_length_m is not None:
            cabled = True
            length = up.cable_length_m
            reach = network.medium_reach_m("dac", up.lane_rate_gbps)
    switch_ports = switch_rate = NAN
    if out is not None:
        switch = _part(catalog, out.switch)
        if switch is not None and switch.switch is not None:
            switch_ports = float(switch.switch.ports)
            switch_rate = switch.switch.port_rate_gbps
    host_len = out.host_link_length_m if out is not None else None
    fabric_len = out.fabric_link_length_m if out is not None else None
    return NetworkFigures(
        gpus_per_domain=float(up.gpus_per_domain) if up else NAN,
        links_per_gpu=float(up.links_per_gpu) if up else NAN,
        lanes_per_link=float(up.lanes_per_link) if up else NAN,
        lane_rate_gbps=up.lane_rate_gbps if up else NAN,
        switch_trays=float(up.switch_trays) if up else NAN,
        switch_ports_per_tray=ports_per_tray,
        spine_cable_length_m=length,
        spine_cable_reach_m=reach,
        published_spine_cables=_nan(up.published_spine_cables) if up else NAN,
        nics_per_gpu=out.nics_per_gpu if out else NAN,
        nic_port_rate_gbps=out.port_rate_gbps if out else NAN,
        scale_out_lane_rate_gbps=out.lane_rate_gbps if out else NAN,
        switch_ports=switch_ports,
        switch_port_rate_gbps=switch_rate,
        oversubscription=out.oversubscription if out else NAN,
        host_link_length_m=host_len if host_len is not None else DEFAULT_HOST_LINK_LENGTH_M,
        fabric_link_length_m=fabric_len if fabric_len is not None else DEFAULT_FABRIC_LINK_LENGTH_M,
        scale_up_technology=technology,
        spine_medium=medium,
        spine_copper=copper,
        spine_cabled=cabled,
    )
