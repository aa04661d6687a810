"""Bridges to the sourcing analysis (:mod:`rackforge.sourcing`), used when it is installed.

Prices and domestic content of a design are taken in the design's own view, as the sourcing
analysis reports them: qualified sources on the first day of the design's first quarter with racks
in the build plan; a design outside the plan (e.g. an evaluated early-access system) on the plan's
first day.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from rackforge.evaluate.tco import PartPrice

if TYPE_CHECKING:
    from rackforge.model import Programme


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


def landed_part_prices(analysis: Any, design: str) -> dict[str, PartPrice]:
    """Landed unit cost (price + freight + duty) of every part with a known cost, in the design's view [USD]."""
    import numpy as np

    unit = analysis.network.part_cost_usd(design_view_shares(analysis, design))
    return {pid: PartPrice(pid, float(c), "sources (landed)")
            for pid, c in zip(analysis.network.part_ids, unit.tolist(), strict=True) if np.isfinite(c) and c > 0}


def designs_domestic_content(analysis: Any, designs: list[str]) -> dict[str, dict[str, float]]:
    """Domestic content of each design in its own view under the programme's rule [fraction]."""
    from rackforge.sourcing.bom import BomStructure
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
