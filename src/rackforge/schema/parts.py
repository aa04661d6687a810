"""Part types: what a part is, independent of where it is made or how many a rack holds.

Optional spec blocks carry the figures that only some categories have (a power shelf's
modules, a CDU's capacity, a cable's reach). Part *types* are separate from part
*instances*: a design says how many of a type it holds, a source says who makes it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from rackforge.schema.base import Id, Model, Sourced
from rackforge.units import (
    Amps,
    Cfm,
    Fraction,
    Gbps,
    Kilograms,
    LitresPerMinute,
    Metres,
    Millimetres,
    Seconds,
    Volts,
    WattHours,
    Watts,
)


class Category(StrEnum):
    """What kind of part: drives roll-ups and the four categories moving home first."""

    COMPUTE = "compute"
    MEMORY = "memory"
    STORAGE = "storage"
    NETWORKING = "networking"
    OPTICS = "optics"
    CABLING = "cabling"
    COOLING = "cooling"
    POWER = "power"
    MECHANICAL = "mechanical"
    BOARD = "board"


class Port(Model):
    """A group of identical ports on a part."""

    kind: str = Field(description="connector or protocol, e.g. 'osfp-800g', 'nvlink5', 'qsfp112'")
    count: PositiveInt
    rate_gbps: Gbps
    lanes: PositiveInt | None = None


class ComputeSpec(Model):
    """Accelerators and host CPUs carried by one unit of the part."""

    gpus: int = Field(0, ge=0)
    cpus: int = Field(0, ge=0)
    hbm_gb: float = Field(0, ge=0)
    gpu_tdp_w: Watts | None = None
    cpu_tdp_w: Watts | None = None


class ConversionSpec(Model):
    """A power converter (PSU, power shelf, rectifier, DC-DC stage).

    ``output_w`` is the unit's rated output; a shelf of ``modules`` PSUs of
    ``module_output_w`` each has ``output_w = modules × module_output_w``.
    """

    input_kind: Literal["ac-1ph", "ac-3ph", "dc"]
    input_voltage_v: Volts = Field(description="AC line-to-line RMS for 3-phase, or DC")
    output_voltage_v: Volts = Field(description="DC output")
    output_w: Watts
    modules: PositiveInt = 1
    module_output_w: Watts | None = None
    efficiency: Fraction = Field(description="at rated load")
    peak_efficiency: Fraction | None = None

    @model_validator(mode="after")
    def _modules_add_up(self) -> ConversionSpec:
        if self.module_output_w is not None:
            total = self.modules * self.module_output_w
            if abs(total - self.output_w) > 0.01 * self.output_w:
                raise ValueError(f"output_w {self.output_w:g} W is not modules × module_output_w = "
                                 f"{self.modules} × {self.module_output_w:g} W = {total:g} W")
        return self


class BatterySpec(Model):
    """A battery backup unit (BBU) on the DC bus."""

    energy_wh: WattHours = Field(description="usable energy per unit")
    output_w: Watts = Field(description="maximum discharge power per unit")
    rated_hold_time_s: Seconds | None = Field(None, description="hold-up time at output_w, as published")


class BusbarSpec(Model):
    """A rack DC busbar."""

    voltage_v: Volts
    rating_a: Amps


class CoolingSpec(Model):
    """Liquid or air cooling equipment: CDU, cold plate, manifold, fan, rear door."""

    kind: Literal["cdu", "cold-plate", "manifold", "quick-disconnect", "fan", "rear-door-hx", "hose"]
    capacity_w: Watts | None = Field(None, description="heat removal capacity at the design condition")
    pumps: PositiveInt | None = None
    pumps_required: PositiveInt | None = Field(None, description="pumps needed for full capacity (N of N+1)")
    max_flow_lpm: LitresPerMinute | None = None
    airflow_cfm: Cfm | None = None
    approach_k: float | None = Field(None, ge=0, description="CDU approach: secondary supply minus facility supply [K]")


class CableSpec(Model):
    """A cable or cable cartridge."""

    medium: Literal["dac", "acc", "aec", "aoc", "fiber", "power", "backplane"]
    length_m: Metres
    lanes: PositiveInt = 1
    lane_rate_gbps: Gbps | None = None
    max_reach_m: Metres | None = Field(None, description="longest length this medium supports at its lane rate")
    conductors: PositiveInt | None = Field(None, description="cables or pairs bundled in one unit (cartridges)")


class OpticSpec(Model):
    """A pluggable optical transceiver."""

    kind: Literal["sr", "dr", "fr", "lr", "linear", "cpo"]
    rate_gbps: Gbps
    lanes: PositiveInt
    max_reach_m: Metres


class SwitchSpec(Model):
    """A switch ASIC or switch system."""

    ports: PositiveInt
    port_rate_gbps: Gbps
    asics: PositiveInt = 1


class Dimensions(Model):
    """Outer size."""

    width_mm: Millimetres
    depth_mm: Millimetres
    height_mm: Millimetres


class PartType(Sourced):
    """A type of part with its electrical, thermal and mechanical figures.

    ``power_w`` is the maximum sustained electrical power (TDP or nameplate draw) of one unit;
    ``liquid_heat_fraction`` of it leaves in the liquid loop, the rest to air. Converters
    report their own losses through ``conversion`` instead.
    """

    id: Id
    name: str
    category: Category
    maker: str | None = Field(None, description="designer or brand (supplier id)")
    description: str = ""
    power_w: Watts = 0.0
    idle_power_w: Watts | None = None
    liquid_heat_fraction: Fraction = 0.0
    mass_kg: Kilograms = 0.0
    rack_units: float = Field(0.0, ge=0, description="height in the rack's units (RU or OU) if racked directly")
    dimensions: Dimensions | None = None
    ports: tuple[Port, ...] = ()
    reference_price_usd: float | None = Field(None, ge=0, description="list or estimated price per unit")
    critical: bool = Field(False, description="needs two qualified sources (sourcing optimiser)")
    compute: ComputeSpec | None = None
    conversion: ConversionSpec | None = None
    battery: BatterySpec | None = None
    busbar: BusbarSpec | None = None
    cooling: CoolingSpec | None = None
    cable: CableSpec | None = None
    optic: OpticSpec | None = None
    switch: SwitchSpec | None = None
    notes: str = ""

    @property
    def liquid_heat_w(self) -> float:
        """Heat to the liquid loop per unit [W]."""
        return self.power_w * self.liquid_heat_fraction

    @property
    def air_heat_w(self) -> float:
        """Heat to air per unit [W]."""
        return self.power_w * (1.0 - self.liquid_heat_fraction)
