"""Raw criterion values for each evaluated system: computed from the analyses, or stated in data.

Each built-in criterion has a provider ``(programme, system, context) -> CriterionValue | None``.
``context`` holds results other analyses already produced (the assess pipeline passes them along so
nothing is computed twice); a provider returns None when the analysis it needs is not available,
and the value must then be given in data (``systems[].values``). A value stated in data always
wins over a computed one: a measured early-access figure is better evidence than a model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge.evaluate.bridges import (
    designs_domestic_content,
    engineering_power_w,
    sourcing_analysis,
)
from rackforge.evaluate.tco import (
    TcoBreakdown,
    conversion_chain_efficiency,
    design_component_power_w,
    rack_it_power_w,
    rack_tco,
)
from rackforge.schema.evaluations import CriterionId, EvaluatedSystem, TcoAssumptions

if TYPE_CHECKING:
    from rackforge.schema import Programme, RackDesign


@dataclass(frozen=True)
class CriterionValue:
    """One raw value and where it came from (``data``, or ``computed: <analysis>``)."""

    value: float
    origin: str


Provider = Callable[["Programme", EvaluatedSystem, "EvaluationContext"], "CriterionValue | None"]


@dataclass
class EvaluationContext:
    """Shared inputs of the providers: TCO assumptions and other analyses' results by name."""

    tco_assumptions: TcoAssumptions
    evaluated_designs: list[str]
    analyses: Mapping[str, Any] = field(default_factory=dict)
    tco_cache: dict[str, TcoBreakdown] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)
    sources: MutableMapping[str, Any] = field(default_factory=dict)
    """Holds the sourcing analysis under 'sourcing' (shared with the assess pipeline)."""


def full_load_power_w(design: RackDesign, programme: Programme) -> float:
    """Rack-input power at full load [W]: component power / conversion-chain efficiency."""
    chain = conversion_chain_efficiency(s.efficiency for s in design.power.conversion_chain)
    return rack_it_power_w(design_component_power_w(programme.catalog, design.id), 1.0, chain if chain > 0 else 1.0)


def performance_metric(designs: list[RackDesign]) -> str | None:
    """The precision every design publishes, FP8 preferred, else FP4 ('fp8_pflops'/'fp4_pflops'), or None."""
    for name in ("fp8_pflops", "fp4_pflops"):
        if all(d.performance is not None and getattr(d.performance, name) is not None for d in designs):
            return name
    return None


def performance_per_watt(programme: Programme, system: EvaluatedSystem,
                         ctx: EvaluationContext) -> CriterionValue | None:
    """Peak throughput per watt [TFLOPS/W] = PFLOPS × 1000 / full-load rack power [W]."""
    designs = [programme.catalog.designs[d] for d in ctx.evaluated_designs]
    metric = performance_metric(designs)
    design = programme.catalog.designs[system.design]
    if metric is None or design.performance is None:
        return None
    pflops = getattr(design.performance, metric)
    engineering = engineering_power_w(programme, design.id, ctx.analyses, ctx.sources)
    power = engineering[1] if engineering is not None else full_load_power_w(design, programme)
    if pflops is None or power <= 0:
        return None
    return CriterionValue(pflops * 1000.0 / power, f"computed: {metric.split('_')[0].upper()} peak / full-load power")


def system_tco(programme: Programme, system: EvaluatedSystem, ctx: EvaluationContext) -> TcoBreakdown:
    """TCO of one rack of the system: at the option's price per rack when one is agreed, else its BOM."""
    if system.id not in ctx.tco_cache:
        price = system.option.price_per_rack_usd if system.option is not None else None
        engineering = engineering_power_w(programme, system.design, ctx.analyses, ctx.sources)
        power = engineering[0] if engineering is not None else None
        ctx.tco_cache[system.id] = rack_tco(programme, system.design, ctx.tco_assumptions, capital_price_usd=price,
                                            it_power_w=power)
    return ctx.tco_cache[system.id]


def tco_per_gpu_hour(programme: Programme, system: EvaluatedSystem, ctx: EvaluationContext) -> CriterionValue | None:
    """Levelised TCO per GPU-hour [USD/GPU-h] (see :mod:`rackforge.evaluate.tco`)."""
    tco = system_tco(programme, system, ctx)
    if tco.gpus <= 0 or (tco.unpriced_parts and tco.capital_basis == "bom"):
        return None
    return CriterionValue(tco.usd_per_gpu_hour, f"computed: TCO over {tco.years} years ({tco.capital_basis})")


def _from_analysis(name: str, key: str) -> Provider:
    """A provider reading ``context.analyses[name]`` -> per-design mapping -> ``key``."""

    def provider(programme: Programme, system: EvaluatedSystem, ctx: EvaluationContext) -> CriterionValue | None:
        result = ctx.analyses.get(name)
        if result is None:
            return None
        per_design = result.get(system.design) if isinstance(result, Mapping) else None
        if per_design is None:
            return None
        value = per_design.get(key) if isinstance(per_design, Mapping) else per_design
        if value is None:
            return None
        return CriterionValue(float(value), f"computed: {name}")

    return provider


def domestic_content(programme: Programme, system: EvaluatedSystem, ctx: EvaluationContext) -> CriterionValue | None:
    """Domestic content of the system's design under the programme's rule, qualified sources [fraction].

    From the sourcing analysis (run here when the assess pipeline has not already), in the design's
    own view (see :mod:`rackforge.evaluate.bridges`).
    """
    if "domestic_content" not in ctx.cache:
        analysis = sourcing_analysis(programme, ctx.sources)
        ctx.cache["domestic_content"] = (designs_domestic_content(analysis, ctx.evaluated_designs)
                                         if analysis is not None else {})
    entry = ctx.cache["domestic_content"].get(system.design)
    if entry is None:
        return None
    return CriterionValue(float(entry["share"]), "computed: sourcing (qualified sources, the design's view)")


PROVIDERS: dict[str, Provider] = {
    CriterionId.PERFORMANCE_PER_WATT: performance_per_watt,
    CriterionId.TCO_PER_GPU_HOUR: tco_per_gpu_hour,
    # The analyses below publish per-design figures into the context when they are available
    # (see rackforge.report.sections); until then these criteria come from data.
    CriterionId.DOMESTIC_CONTENT: domestic_content,
    CriterionId.RISK: _from_analysis("risk", "index"),
    CriterionId.READINESS: _from_analysis("readiness", "mrl"),
    CriterionId.TEST_YIELD: _from_analysis("test_yield", "yield"),
}


def criterion_value(programme: Programme, system: EvaluatedSystem, criterion: str,
                    ctx: EvaluationContext) -> CriterionValue | None:
    """The raw value of one criterion for one system: data first, else the analysis, else None."""
    if criterion in system.values:
        return CriterionValue(system.values[criterion], "data")
    provider = PROVIDERS.get(criterion)
    return provider(programme, system, ctx) if provider is not None else None
