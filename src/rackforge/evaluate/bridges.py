"""Bridges to other analyses, used when they are installed, so that TCO and the evaluation use the
same figures as the rest of the report.

- Sourcing (:mod:`rackforge.sourcing`): prices and domestic content of a design in the design's own
  view, as the sourcing analysis reports them: qualified sources on the first day of the design's
  first quarter with racks in the build plan; a design outside the plan (e.g. an evaluated
  early-access system) on the plan's first day.
- Engineering (:mod:`rackforge.engineering`): rack-input power at full load and at the design
  utilisation.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rackforge.schema import Programme


def sourcing_analysis(programme: Programme, cache: MutableMapping[str, Any]) -> Any | None:
    """The programme's :class:`~rackforge.sourcing.analysis.SourcingAnalysis` (cached), or None when
    the sourcing analysis is not installed."""
    if "sourcing" not in cache:
        try:
            from rackforge.sourcing.analysis import analyse_sourcing
        except ImportError:
            cache["sourcing"] = None
        else:
            cache["sourcing"] = analyse_sourcing(programme)
    return cache["sourcing"]


def design_view_shares(analysis: Any, design: str) -> Any:
    """Qualified source shares in the design's own view [fraction per source row]."""
    dates = getattr(analysis, "design_dates", {})
    if design in dates:
        return analysis.shares_on(dates[design]["qualified"], "qualified")
    return analysis.view_shares["qualified"]


def designs_domestic_content(analysis: Any, designs: list[str]) -> dict[str, dict[str, float]]:
    """Domestic content of each design in its own view under the programme's rule [fraction]."""
    from rackforge.core.bom import BomStructure
    from rackforge.sourcing.domestic import DomesticContentCalculator

    designs = list(dict.fromkeys(designs))
    if not designs:
        return {}
    structure = BomStructure.from_catalog(analysis.programme.catalog, designs)
    calc = DomesticContentCalculator.build(structure, analysis.network, analysis.rule)
    out = {}
    for i, design in enumerate(structure.design_ids):
        dom, tot = calc.evaluate(design_view_shares(analysis, design))
        out[design] = {"share": float(calc.share(dom, tot)[i])}
    return out


def rack_input_at_utilisation_w(metrics: Mapping[str, Any]) -> float | None:
    """Rack-input power at the design utilisation [W] = rack input at nameplate × (IT at utilisation / IT).

    The engineering model gives the rack input at nameplate (IT load / in-rack conversion efficiency +
    in-rack cooling) and the IT load at utilisation (idle + u · (max − idle)); the ratio scales one
    to the other.
    """
    it_kw, at_util_kw, rack_kw = (metrics.get(k) for k in ("it_power_kw", "it_power_at_utilisation_kw",
                                                          "rack_input_kw"))
    if not it_kw or at_util_kw is None or rack_kw is None:
        return None
    return float(rack_kw) * float(at_util_kw) / float(it_kw) * 1000.0


def engineering_power_w(programme: Programme, design: str, analyses: Mapping[str, Any],
                        cache: MutableMapping[str, Any]) -> tuple[float | None, float] | None:
    """(rack input at design utilisation, rack input at full load) [W] from the engineering model:
    from the assess pipeline's results when it checked the design, else computed here; None when
    the engineering analysis is not installed."""
    full = analyses.get("rack_input_full_load_w", {})
    if design in full:
        return analyses.get("rack_it_power_w", {}).get(design), float(full[design])
    key = f"engineering:{design}"
    if key not in cache:
        try:
            from rackforge.engineering.design_checks import check_rack_design
        except ImportError:
            cache[key] = None
        else:
            metrics = check_rack_design(programme.catalog.designs[design], programme.catalog,
                                        programme.facility).metrics
            cache[key] = (rack_input_at_utilisation_w(metrics), float(metrics["rack_input_kw"]) * 1000.0)
    result: tuple[float | None, float] | None = cache[key]
    return result
