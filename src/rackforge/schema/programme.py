"""The programme: the catalog it draws on, its sources, build plan and facility."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, PositiveInt, PrivateAttr

from rackforge.calendar import Quarter, quarter_start
from rackforge.errors import Problem
from rackforge.linemap import FieldPath, SectionLines
from rackforge.schema.base import Id, Model, Sourced
from rackforge.schema.designs import Assembly, RackDesign
from rackforge.schema.evaluations import Evaluations
from rackforge.schema.factory import Factory
from rackforge.schema.parts import PartType
from rackforge.schema.readiness import Readiness
from rackforge.schema.rules import Rules
from rackforge.schema.scenarios import ScenarioLibrary
from rackforge.schema.supply import Site, Source, Supplier, TradeLane
from rackforge.units import Celsius, KgPerM2, UsdPerKwh, Watts

WATER_CLASSES: dict[str, float] = {"W17": 17.0, "W27": 27.0, "W32": 32.0, "W40": 40.0, "W45": 45.0, "W+": 60.0}
"""ASHRAE TC9.9 liquid-cooling classes: maximum facility water supply temperature [°C].
W+ is 'above 45 °C'; 60 °C is used as its working upper bound (estimate)."""


class ProgrammeInfo(Model):
    """What the programme is and where it integrates racks."""

    name: str
    description: str = ""
    integration_site: Id = Field(description="site id where racks are integrated and tested")
    currency: Literal["USD"] = "USD"


MAX_RACKS_PER_QUARTER = 100_000
"""Most racks of one design a build plan may ask for in one quarter: far above any data-center
programme, and low enough that the simulations' per-rack arrays stay small."""


class BuildPlan(Model):
    """Racks to build per quarter per design: ``{2027Q1: {gb200-nvl72: 40}}``."""

    quarters: dict[Quarter, dict[Id, Annotated[int, Field(ge=0, le=MAX_RACKS_PER_QUARTER)]]] = Field(min_length=1)

    @property
    def quarter_list(self) -> list[str]:
        """Quarters in time order."""
        return sorted(self.quarters, key=quarter_start)

    def racks(self, design: str) -> dict[str, int]:
        """Racks of one design per quarter (zeros included)."""
        return {q: self.quarters[q].get(design, 0) for q in self.quarter_list}

    @property
    def designs(self) -> list[str]:
        """Designs named in the plan, in first-appearance order."""
        seen: dict[str, None] = {}
        for q in self.quarter_list:
            for d in self.quarters[q]:
                seen.setdefault(d, None)
        return list(seen)


class Facility(Sourced):
    """The data hall the racks go into: its per-rack and per-row limits."""

    name: str = "data hall"
    rack_power_limit_w: Watts
    row_power_limit_w: Watts | None = None
    rack_liquid_cooling_limit_w: Watts | None = None
    rack_air_cooling_limit_w: Watts | None = None
    floor_rating_kg_m2: KgPerM2
    facility_water_class: Literal["W17", "W27", "W32", "W40", "W45", "W+"] | None = None
    facility_supply_temp_c: Celsius | None = Field(None, description="actual supply, if known; else the class limit")
    racks_per_row: PositiveInt = 8
    pod_racks: PositiveInt = Field(8, description="racks per modular pod")
    pue: float = Field(1.2, ge=1.0, le=3.0)
    electricity_usd_per_kwh: UsdPerKwh = 0.08


class Catalog(Model):
    """Part types, assemblies, designs, suppliers and sites, each keyed by id."""

    parts: dict[str, PartType] = Field(default_factory=dict)
    assemblies: dict[str, Assembly] = Field(default_factory=dict)
    designs: dict[str, RackDesign] = Field(default_factory=dict)
    suppliers: dict[str, Supplier] = Field(default_factory=dict)
    sites: dict[str, Site] = Field(default_factory=dict)


class Programme(Model):
    """One rack programme, fully validated: the immutable input of every analysis."""

    info: ProgrammeInfo
    catalog: Catalog
    sources: tuple[Source, ...] = ()
    trade: tuple[TradeLane, ...] = ()
    build_plan: BuildPlan
    facility: Facility
    scenarios: ScenarioLibrary | None = None
    factory: Factory | None = None
    evaluations: Evaluations | None = None
    readiness: Readiness | None = None
    rules: Rules | None = Field(None, description="domestic-content rules (None: FAR 25.101)")
    root: str | None = Field(None, description="folder it was loaded from (None for in-memory)")
    locations: dict[str, tuple[str, int | None]] = Field(
        default_factory=dict, description="'kind:id' -> (file, line) where each record is defined")
    _section_lines: SectionLines = PrivateAttr(default_factory=SectionLines)
    """Where each section was written (kept by the loader; not serialised, no part of equality)."""

    @cached_property
    def sources_by_part(self) -> dict[str, tuple[Source, ...]]:
        """Sources of each part [part id -> sources]."""
        out: dict[str, list[Source]] = {}
        for s in self.sources:
            out.setdefault(s.part, []).append(s)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def integration_site(self) -> Site:
        """The site where racks are integrated."""
        return self.catalog.sites[self.info.integration_site]

    @property
    def planned_designs(self) -> list[RackDesign]:
        """Designs in the build plan, in plan order."""
        return [self.catalog.designs[d] for d in self.build_plan.designs]

    def location(self, kind: str, ident: str) -> tuple[str, int | None] | None:
        """(file, line) where a record was defined, for messages that point at the input."""
        return self.locations.get(f"{kind}:{ident}")

    def with_section_lines(self, section_lines: SectionLines) -> Programme:
        """This programme, remembering where each of its sections was written (the loader's line maps)."""
        located = self.model_copy()
        located._section_lines = section_lines
        return located

    def problem(self, path: FieldPath, message: str) -> Problem:
        """A :class:`Problem` at ``path`` of the input, with the file and line it was written at.

        ``path`` starts with the section, e.g. ``("scenarios", "events", 0, "affects", "sites", 1)``;
        records of list sections are named by key: ``("designs", "gb200-nvl72", "power")``. The line is
        that of the deepest part of ``path`` the loader saw; a programme built in memory names the
        section's path with no file or line (see :meth:`SectionLines.problem`). Reads no file.
        """
        return self._section_lines.problem(path, message)
