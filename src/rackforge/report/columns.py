"""Human column headers with units, and the quantity kind of each column, for the report's tables.

The analyses name their table columns in snake_case with the unit in the name (``cost_per_rack_usd``,
``tts_weeks``, ``liquid_heat_fraction``). The report shows them as ``Cost per rack [USD]`` with each
cell written by its kind's formatter (:mod:`rackforge.report.format`); results.xlsx keeps the raw
numbers under the same header, with an Excel number format of the kind.

A column is looked up in :data:`COLUMNS` (label, kind); a name not listed there is read by its
suffix (``_usd`` money, ``_kw`` power, ``_weeks``...; ``share``/``fraction``/``yield``... percent),
with ``_ci95`` columns labelled as the ± half-width of the 95 % confidence interval of their base
column, and ``name [unit]`` headers (the evaluation's) keeping their stated unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rackforge.report.format import KINDS, Kind


@dataclass(frozen=True)
class ColumnSpec:
    """How one column is shown: a label in words, its quantity kind and the unit for the header."""

    label: str
    kind: str
    unit: str | None = None
    """Overrides the kind's unit in the header (e.g. 'USD per GPU-hour' for a money column)."""

    @property
    def header_unit(self) -> str:
        """The unit shown in the header ('' for none)."""
        return self.unit if self.unit is not None else KINDS[self.kind].unit

    @property
    def header(self) -> str:
        """Label and unit on one line: ``Cost per rack [USD]``."""
        unit = self.header_unit
        return f"{self.label} [{unit}]" if unit else self.label

    @property
    def quantity(self) -> Kind:
        """The column's :class:`~rackforge.report.format.Kind`."""
        return KINDS[self.kind]


C = ColumnSpec
COLUMNS: dict[str, ColumnSpec] = {
    # identifiers and text
    "design": C("Design", "text"), "part": C("Part", "text"), "name": C("Name", "text"),
    "site": C("Site", "text"), "country": C("Country", "text"), "category": C("Category", "text"),
    "quarter": C("Quarter", "text"), "year": C("Year", "year"), "status": C("Status", "text"),
    "check": C("Check", "text"), "message": C("Finding", "text"), "area": C("Area", "text"),
    "scope": C("Scope", "text"), "unit": C("Unit", "text"), "fabric": C("Fabric", "text"),
    "medium": C("Medium", "text"), "sources": C("Sources counted", "text"), "suppliers": C("Suppliers", "text"),
    "countries": C("Countries", "text"), "node": C("Site, country or region", "text"),
    "kind": C("Kind", "text"), "event": C("Event", "text"), "stage": C("Stage", "text"),
    "station": C("Station", "text"), "step": C("Test step", "text"), "mode": C("Failure mode", "text"),
    "system": C("System", "text"), "vendor": C("Vendor", "text"), "criterion": C("Criterion", "text"),
    "thread": C("Thread", "text"), "text": C("Criterion text", "text"), "action": C("Action", "text"),
    "by": C("By", "text"), "rationale": C("Rationale", "text"), "path": C("Path", "text"),
    "weakest": C("Weakest threads", "text"), "notes": C("Notes", "text"), "gaps": C("Gaps", "count"),
    "assumption": C("Assumption", "text"), "source": C("Source", "text"), "generation": C("Generation", "text"),
    "end_product_country": C("End product made in", "text"), "explanation": C("Why not", "text"),
    "then_top": C("Then first if raised", "text"), "then_top_if_lowered": C("Then first if lowered", "text"),
    "latest_action": C("Latest decision", "text"), "latest_date": C("Decided on", "date"),
    "date": C("Date", "date"), "exercise_by": C("Exercise by", "date"), "as_of": C("As of", "date"),
    "alternate_from": C("Alternate qualified from", "date"), "ready": C("Ready", "date"),
    "first_quarter_shipping": C("First quarter shipping", "text"),
    # engineering
    "gpus": C("GPUs", "count"), "cpus": C("CPUs", "count"), "it_power_kw": C("IT load at nameplate", "power_kw"),
    "it_power_at_utilisation_kw": C("IT load at utilisation", "power_kw"),
    "rack_input_kw": C("Rack input", "power_kw"), "facility_power_kw": C("Facility power (× PUE)", "power_kw"),
    "kw_per_gpu": C("Power per GPU", "power_kw"), "feed_to_chip_efficiency": C("Feed-to-chip efficiency", "percent"),
    "liquid_heat_kw": C("Heat to liquid", "power_kw"), "air_heat_kw": C("Heat to air", "power_kw"),
    "liquid_heat_fraction": C("Heat to liquid", "percent"), "coolant_flow_lpm": C("Coolant flow", "flow_lpm"),
    "bus_voltage_v": C("Bus voltage", "voltage_v"), "busbar_current_a": C("Busbar current", "current_a"),
    "mass_kg": C("Mass", "mass_kg"), "payload_kg": C("Payload", "mass_kg"), "rack_units": C("Rack units", "count", "U"),
    "scale_up_cables": C("Scale-up cables", "count"), "scale_up_cable_length_m": C("Scale-up cable length", "length_m"),
    "pod_racks": C("Racks per pod", "count"), "pod_fabric_tiers": C("Pod fabric tiers", "count"),
    "pod_switches": C("Pod switches", "count"), "pod_transceivers": C("Pod transceivers", "count"),
    "pod_link_power_kw": C("Pod link power", "power_kw"), "value": C("Value", "number"),
    "limit": C("Limit", "number"), "margin": C("Margin to the limit", "percent"),
    "count": C("Count", "count"), "length_m": C("Length each", "length_m"),
    "total_length_m": C("Total length", "length_m"), "power_w": C("Power", "power_w"),
    "transceivers": C("Transceivers", "count"),
    # sourcing
    "quantity_per_rack": C("Quantity per rack", "count"), "unit_cost_usd": C("Unit cost (landed)", "money"),
    "cost_per_rack_usd": C("Cost per rack", "money"), "share_of_rack": C("Share of rack cost", "percent"),
    "share_of_rack_value": C("Share of rack value", "percent"), "domestic_content": C("Domestic content", "percent"),
    "threshold": C("Threshold", "percent"), "meets_threshold": C("Meets it", "text"),
    "fallback_threshold": C("Fallback threshold", "percent"), "meets_fallback": C("Meets the fallback", "text"),
    "domestic_cost_per_rack_usd": C("Domestic cost per rack", "money"),
    "component_cost_per_rack_usd": C("Component cost per rack", "money"), "racks": C("Racks planned", "count"),
    "lead_time_weeks": C("Lead time", "weeks"), "max_share_of_rack": C("Largest share of a rack's value", "percent"),
    "sources_used": C("Sources used", "count"), "suppliers_used": C("Suppliers used", "count"),
    "countries_used": C("Countries used", "count"), "hhi_supplier": C("HHI by supplier", "index", "0-10,000"),
    "hhi_country": C("HHI by country", "index", "0-10,000"), "single_source": C("Single source", "text"),
    "single_country": C("Single country", "text"), "unsourced": C("No source", "text"),
    "spend_per_rack_usd": C("Spend per rack", "money"), "plan_spend_usd": C("Plan spend", "money"),
    # generations / TCO
    "racks_planned": C("Racks planned", "count"), "gpus_per_rack": C("GPUs per rack", "count"),
    "full_load_power_kw": C("Full-load power", "power_kw"),
    "it_power_kw_at_utilisation": C("IT load at utilisation", "power_kw"),
    "peak_pflops": C("Peak compute", "number", "PFLOPS"), "tflops_per_w": C("Peak per watt", "number", "TFLOPS/W"),
    "capital_usd_per_rack": C("Capital per rack", "money"),
    "tco_usd_per_gpu_hour": C("TCO per GPU-hour", "money", "USD/GPU-h"),
    "plan_capital_usd": C("Plan capital", "money"),
    # resilience
    "tts_weeks": C("Time to survive (TTS)", "weeks"), "ttr_weeks": C("Time to recover (TTR)", "weeks"),
    "exposed": C("Exposed (TTR > TTS)", "text"), "racks_lost": C("Racks lost", "racks"),
    "value_lost_usd": C("Value of racks lost", "money"),
    "risk_exposure_index": C("Risk exposure index", "score", "0-1"),
    "plan_racks": C("Plan", "racks"), "mean_racks": C("Mean delivered", "racks"),
    "p10_racks": C("P10 delivered", "racks"), "p50_racks": C("Median delivered", "racks"),
    "p90_racks": C("P90 delivered", "racks"), "mean_units": C("Mean units owed", "number", "units"),
    "p90_units": C("P90 units owed", "number", "units"), "probability": C("Probability", "percent"),
    "mean_value_usd": C("Mean value owed", "money"), "occurred_share": C("Share of scenarios it occurred", "percent"),
    "mean_value_short_usd_when_occurred": C("Mean value short when it occurred", "money"),
    "mean_value_short_usd_otherwise": C("Mean value short otherwise", "money"),
    "processing_time": C("Processing time", "number", "periods"),
    "service_time": C("Service time", "number", "periods"),
    "inbound_service_time": C("Inbound service time", "number", "periods"),
    "net_replenishment_time": C("Net replenishment time", "number", "periods"),
    "demand_sigma": C("Demand σ per period", "number", "units"), "safety_stock": C("Safety stock", "number", "units"),
    "holding_cost": C("Holding cost", "money", "USD/week"),
    # optimiser
    "target": C("Domestic-content target", "percent"), "country_cap": C("Cap on any one country", "percent"),
    "cost_usd": C("Plan cost", "money"), "extra_cost_usd": C("Extra cost over the least-cost plan", "money"),
    "domestic_share_min": C("Lowest domestic share (design, year)", "percent"),
    "domestic_share_overall": C("Domestic share overall", "percent"), "sources_opened": C("Sources opened", "count"),
    "expected_value_short_usd": C("Expected value short", "money"),
    "expected_racks_short": C("Expected racks short", "racks"),
    "probability_of_shortfall": C("Probability of any shortfall", "percent"),
    "quantity_units": C("Bought", "number", "units"), "used_units": C("Used", "number", "units"),
    "stock_end_units": C("Stock at quarter end", "number", "units"),
    "landed_cost_usd_per_unit": C("Landed cost per unit", "money"), "spend_usd": C("Spend", "money"),
    "open_cost_usd": C("Cost to open", "money"),
    # factory
    "racks_per_week": C("Racks per week", "racks_per_week"), "cycle_time_h": C("Cycle time", "hours"),
    "cycle_time_p90_h": C("Cycle time P90", "hours"), "reworks_per_rack": C("Reworks per rack", "number"),
    "first_pass_rack_share": C("First-pass yield", "percent"), "escape_rate": C("Escape rate", "percent"),
    "planned_racks_per_week": C("Released per week (material)", "racks_per_week"),
    "planned_racks": C("Racks in the build plan", "count"), "released": C("Racks released", "racks"),
    "shipped": C("Racks shipped", "racks"), "scrapped": C("Racks scrapped", "racks"),
    "in_process": C("Racks in process at the end", "racks"), "utilisation": C("Utilisation", "percent"),
    "mean_wait_h": C("Mean wait", "hours"), "mean_racks_present": C("Mean racks present", "racks"),
    "failures": C("Failures per rack", "number"), "escapes": C("Escapes per rack", "number"),
    # readiness
    "mrl": C("MRL", "mrl", ""), "target_mrl": C("Target MRL", "mrl", ""), "trl": C("TRL", "mrl", ""),
    "level": C("Level", "mrl", "MRL"),
    # evaluation
    "rank": C("Rank", "count"), "score": C("Score", "score", "0-1"), "weight": C("Weight", "percent"),
    "raise_to": C("Raise weight to", "percent"), "lower_to": C("Lower weight to", "percent"),
    "smallest_change": C("Smallest change that flips it", "percent"),
    "days_to_deadline": C("Days to the deadline", "days"),
    "tco_usd_per_rack": C("TCO per rack", "money"),
    "tco_per_gpu_hour": C("TCO per GPU-hour", "money", "USD/GPU-h"),
    "performance_per_watt": C("Performance per watt", "number", "TFLOPS/W"), "risk": C("Risk", "score", "0-1"),
    "test_yield": C("Test yield", "percent"), "readiness": C("Readiness", "mrl"),
    "total_racks": C("Total", "count", "racks"),
    "availability": C("Availability", "percent"), "discount_rate": C("Discount rate", "percent"),
}
"""Every column name the report's sections use, with its label and kind."""

SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_usd_per_gpu_hour", "money"), ("_usd_per_rack", "money"), ("_usd_per_unit", "money"), ("_usd", "money"),
    ("_kw", "power_kw"), ("_w", "power_w"), ("_a", "current_a"), ("_v", "voltage_v"), ("_lpm", "flow_lpm"),
    ("_weeks", "weeks"), ("_h", "hours"), ("_days", "days"), ("_kg", "mass_kg"), ("_m", "length_m"),
    ("_racks", "racks"), ("_units", "number"),
)
"""Unit suffixes of column names and the kind each stands for, most specific first."""

PERCENT_WORDS = ("share", "fraction", "yield", "probability", "utilisation", "availability", "rate", "margin",
                 "domestic_content", "threshold", "target", "weight")
"""Words that mark a fraction 0-1 shown as a percentage."""

_UNIT_IN_NAME = re.compile(r"^(?P<name>.*?)\s*\[(?P<unit>[^\]]+)\]$")
_UNIT_KINDS = {"USD/GPU-h": ("money", "USD/GPU-h"), "fraction": ("percent", None), "USD": ("money", None),
               "kW": ("power_kw", None), "weeks": ("weeks", None)}


def humanise(name: str) -> str:
    """``cost_per_rack`` -> ``Cost per rack``: words from a snake_case name, first letter capitalised."""
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def column(name: str) -> ColumnSpec:
    """How the column ``name`` is shown (see the module docstring)."""
    if name in COLUMNS:
        return COLUMNS[name]
    stated = _UNIT_IN_NAME.match(name)
    if stated:
        kind_name, unit = _UNIT_KINDS.get(stated["unit"], ("number", stated["unit"]))
        base = column(stated["name"].strip())
        return ColumnSpec(base.label, kind_name, unit if unit is not None else None)
    if name.endswith(" normalised"):
        return ColumnSpec(column(name[: -len(" normalised")]).label + ", normalised", "score", "0-1")
    if name.endswith("_ci95"):  # a half-width is small: fixed decimals of the base kind would round it to 0
        base = column(name[: -len("_ci95")])
        kind_name = base.kind if base.kind in ("percent", "money") else "number"
        return ColumnSpec(base.label + " ±95% CI", kind_name, base.header_unit)
    lowered = name.lower()
    for suffix, kind_name in SUFFIXES:
        if lowered.endswith(suffix):
            return ColumnSpec(humanise(name[: -len(suffix)]), kind_name)
    if any(word in lowered for word in PERCENT_WORDS):
        return ColumnSpec(humanise(name), "percent")
    return ColumnSpec(humanise(name), "number")


def header(name: str) -> str:
    """The column's header with its unit: ``Cost per rack [USD]``."""
    return column(name).header
