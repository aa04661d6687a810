"""The typed, immutable programme model (pydantic). Import everything from here."""

from rackforge.calendar import Quarter, quarter_end, quarter_start
from rackforge.schema.base import Id, Model, Sourced, SourceRef
from rackforge.schema.designs import (
    Assembly,
    AssemblyKind,
    ConversionStage,
    Coolant,
    CoolingArchitecture,
    Item,
    NetworkArchitecture,
    Performance,
    PowerArchitecture,
    PowerFeed,
    PublishedFigures,
    RackDesign,
    RackFrame,
    Redundancy,
    ScaleOut,
    ScaleUp,
)
from rackforge.schema.parts import (
    BatterySpec,
    BusbarSpec,
    CableSpec,
    Category,
    ComputeSpec,
    ConversionSpec,
    CoolingSpec,
    Dimensions,
    OpticSpec,
    PartType,
    Port,
    SwitchSpec,
)
from rackforge.schema.programme import WATER_CLASSES, BuildPlan, Catalog, Facility, Programme, ProgrammeInfo
from rackforge.schema.rules import DomesticContentRule, Fallback, Rules, ThresholdStep
from rackforge.schema.supply import Qualification, Site, Source, Supplier, TradeLane

__all__ = [
    "WATER_CLASSES", "Assembly", "AssemblyKind", "BatterySpec", "BuildPlan", "BusbarSpec", "CableSpec",
    "Catalog", "Category", "ComputeSpec", "ConversionSpec", "ConversionStage", "Coolant",
    "CoolingArchitecture", "CoolingSpec", "Dimensions", "DomesticContentRule", "Facility", "Fallback", "Id",
    "Item", "Model",
    "NetworkArchitecture", "OpticSpec", "PartType", "Performance", "Port", "PowerArchitecture", "PowerFeed",
    "Programme", "ProgrammeInfo", "PublishedFigures", "Qualification", "Quarter", "RackDesign", "RackFrame",
    "Redundancy", "Rules", "ScaleOut", "ScaleUp", "Site", "Source", "SourceRef", "Sourced", "Supplier", "SwitchSpec",
    "ThresholdStep", "TradeLane", "quarter_end", "quarter_start",
]
