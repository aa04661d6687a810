"""Rack designs as nested assemblies, with their power, cooling and network architecture."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, PositiveInt

from rackforge.schema.base import Id, Model, Sourced
from rackforge.units import (
    Amps,
    Celsius,
    Fraction,
    Gbps,
    Kelvin,
    Kilograms,
    Metres,
    Millimetres,
    Seconds,
    Volts,
    Watts,
)


class Item(Model):
    """``quantity`` units of a part type or an assembly, by id."""

    ref: Id = Field(description="id of a part type or an assembly")
    quantity: PositiveInt = 1


class AssemblyKind(StrEnum):
    TRAY = "tray"
    SHELF = "shelf"
    MANIFOLD = "manifold"
    CHASSIS = "chassis"
    CARTRIDGE = "cartridge"
    MODULE = "module"
    SERVER = "server"
    OTHER = "other"


class Assembly(Sourced):
    """A sub-assembly (tray, shelf, manifold...) made of parts and other assemblies.

    Assemblies are integrated at the programme's integration site; their cost is the cost of
    what they contain.
    """

    id: Id
    name: str
    kind: AssemblyKind
    rack_units: float = Field(0.0, ge=0, description="height in the rack's units when racked")
    items: tuple[Item, ...] = Field(min_length=1)
    description: str = ""


class RackFrame(Model):
    """The rack enclosure and its limits."""

    standard: Literal["orv3", "eia-19"]
    rack_units: PositiveInt = Field(description="usable height in the standard's units (OU or RU)")
    unit_height_mm: Millimetres = Field(description="48 mm per OU (ORv3), 44.45 mm per RU (EIA-310)")
    width_mm: Millimetres
    depth_mm: Millimetres
    height_mm: Millimetres
    static_load_kg: Kilograms = Field(description="largest payload the frame carries standing")


class Redundancy(StrEnum):
    N = "N"
    N_PLUS_1 = "N+1"
    N_PLUS_2 = "N+2"
    N_PLUS_N = "N+N"


class ConversionStage(Model):
    """One step of the power chain from facility feed to chip."""

    stage: str
    efficiency: Fraction
    loss_to_liquid: Fraction | None = Field(
        None, description="share of this stage's loss carried away by the liquid loop (engineering checks; "
                          "default: the power shelf's liquid_heat_fraction, else 0)")


class PowerFeed(Model):
    """The facility feed to the rack."""

    kind: Literal["ac-3ph", "ac-1ph", "dc"]
    voltage_v: Volts = Field(description="line-to-line RMS for 3-phase AC; pole-to-pole for DC")
    frequency_hz: float | None = Field(None, gt=0)
    feeds: PositiveInt = Field(2, description="independent feeds (A/B)")


class PowerArchitecture(Model):
    """How the rack is powered: feed, conversion, distribution, backup."""

    distribution: Literal["dc-busbar", "ac-pdu", "dc-800v"]
    feed: PowerFeed
    bus_voltage_v: Volts = Field(description="DC bus voltage at the trays (e.g. 50 V ORv3, 800 V)")
    busbar: Id | None = Field(None, description="busbar part id")
    busbar_count: PositiveInt = 1
    shelf: Id | None = Field(None, description="power shelf (or PSU) part id")
    shelf_count: int = Field(0, ge=0)
    redundancy: Redundancy = Redundancy.N
    bbu: Id | None = Field(None, description="battery backup part id")
    bbu_count: int = Field(0, ge=0)
    ride_through_target_s: Seconds | None = None
    conversion_chain: tuple[ConversionStage, ...] = ()
    design_utilisation: Fraction = Field(0.8, description="stated average load as a share of nameplate")


class Coolant(StrEnum):
    WATER = "water"
    PG25 = "pg25"
    AIR = "air"


class CoolingArchitecture(Model):
    """How heat leaves the rack."""

    kind: Literal["liquid", "air", "hybrid"]
    coolant: Coolant
    supply_temp_c: Celsius = Field(description="secondary loop supply temperature the design needs")
    delta_t_k: Kelvin = Field(description="design coolant temperature rise across the rack")
    cdu: Id | None = Field(None, description="CDU part id")
    cdu_count: int = Field(0, ge=0)
    cdu_redundancy: Redundancy = Redundancy.N
    cdu_location: Literal["in-rack", "in-row", "facility"] | None = None
    cdu_racks_served: PositiveInt | None = Field(
        None, description="racks that the cdu_count CDUs serve together (in-row and facility CDUs); "
                          "default: the facility's pod_racks")
    air_delta_t_k: Kelvin = Field(15.0, description="design air temperature rise front to back")


class ScaleUp(Model):
    """The scale-up (memory-semantic) domain, e.g. NVLink."""

    technology: str
    gpus_per_domain: PositiveInt
    switch_tray: Id | None = Field(None, description="switch tray assembly id")
    switch_trays: int = Field(0, ge=0)
    links_per_gpu: PositiveInt
    lanes_per_link: PositiveInt
    lane_rate_gbps: Gbps
    cable: Id | None = Field(None, description="spine cable part id")
    cable_length_m: Metres | None = None
    published_spine_cables: PositiveInt | None = None


class ScaleOut(Model):
    """The scale-out (back-end) fabric attachment of each GPU."""

    nic: Id = Field(description="NIC part id")
    nics_per_gpu: float = Field(gt=0)
    port_rate_gbps: Gbps
    lane_rate_gbps: Gbps
    switch: Id = Field(description="leaf/spine switch part id")
    oversubscription: float = Field(1.0, ge=1.0, description="downlink : uplink bandwidth at the leaf")
    optic: Id | None = None
    host_link_length_m: Metres | None = Field(None, description="typical NIC-to-leaf link length (engineering "
                                              "checks pick the medium by it; default 15 m)")
    fabric_link_length_m: Metres | None = Field(None, description="typical leaf-to-spine link length "
                                                "(default 100 m)")


class NetworkArchitecture(Model):
    scale_up: ScaleUp | None = None
    scale_out: ScaleOut | None = None


class Performance(Sourced):
    """Published peak throughput of the whole rack (for evaluation and per-watt figures)."""

    fp4_pflops: float | None = Field(None, gt=0)
    fp8_pflops: float | None = Field(None, gt=0)
    hbm_tb: float | None = Field(None, gt=0)


class PublishedFigures(Sourced):
    """Public figures a design is held to in tests (each within a stated tolerance)."""

    rack_power_w: Watts | None = None
    mass_kg: Kilograms | None = None
    gpus: PositiveInt | None = None
    cpus: int | None = Field(None, ge=0)
    busbar_current_a: Amps | None = None


class DesignChanges(Model):
    """How a design variant differs from the design it ``extends`` (docs/catalog.md, "Design variants").

    Any other field of the variant's record overrides the base's: mappings (``power``, ``cooling``,
    ``rack``...) field by field, everything else (lists included) whole. Then ``remove_items`` drops
    items by ref, ``set_quantities`` re-counts items by ref, and ``add_items`` appends new ones.
    """

    extends: Id = Field(description="id of the design this one is made from (built-in or the programme's)")
    remove_items: tuple[Id, ...] = Field((), description="refs of the base's items to leave out")
    set_quantities: dict[Id, PositiveInt] = Field(default_factory=dict,
                                                  description="new quantity of some of the base's items, by ref")
    add_items: tuple[Item, ...] = Field((), description="items the base does not have")


DESIGN_CHANGE_KEYS = ("extends", "remove_items", "set_quantities", "add_items")
"""Keys of a design record that say how it differs from its base (:class:`DesignChanges`)."""


class RackDesign(Sourced):
    """A rack design: the frame, what it holds, and how it is powered, cooled and connected."""

    id: Id
    extends: Id | None = Field(None, description="the design this one was made from (a variant, resolved when "
                                                 "loaded: see DesignChanges); for the record only")
    name: str
    generation: str
    year: int = Field(ge=2015, le=2040)
    status: Literal["shipping", "sampling", "announced", "concept"] = "shipping"
    description: str = ""
    rack: RackFrame
    items: tuple[Item, ...] = Field(min_length=1)
    power: PowerArchitecture
    cooling: CoolingArchitecture
    network: NetworkArchitecture = NetworkArchitecture()
    performance: Performance | None = None
    published: PublishedFigures | None = None
