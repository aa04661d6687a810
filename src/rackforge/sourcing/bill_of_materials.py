"""Bills of materials of planned designs with landed costs: the tables of ``rackforge bom`` and of
:func:`rackforge.api.bill_of_materials`.

Quantities multiply through nested assemblies; each part is costed at the share-weighted landed cost
of its sources (price + freight + duty to the integration site) on the first day of the design's
first build quarter (``alternates``: its last build quarter, alternates counted as qualified).
Costs are per rack [USD]; ``plan_cost`` gives the build plan's cost per quarter with each quarter's
own sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.sourcing.analysis import SourcingAnalysis

SourceView = Literal["qualified", "alternates"]

TABLES = ("bom", "cost_by_category", "cost_by_assembly", "plan_cost", "bom_tree")
"""The tables of a :class:`BillOfMaterials`, by name."""


@dataclass(frozen=True)
class BillOfMaterials:
    """BOM tables of ``designs`` costed with ``sources`` (``qualified`` or ``alternates``)."""

    designs: list[str]
    sources: SourceView
    tables: dict[str, pd.DataFrame]

    def design_rows(self, table: str, design: str) -> pd.DataFrame:
        """Rows of ``table`` for one design."""
        frame = self.tables[table]
        return frame[frame["design"] == design]

    def plan_cost(self) -> pd.DataFrame:
        """The build plan's cost per design and quarter, for the chosen designs."""
        plan = self.tables["plan_cost"]
        return plan[plan["design"].isin(self.designs)]

    def to_json(self) -> dict[str, Any]:
        """Per design: cost per rack, parts, cost by category and by assembly; then the plan's cost.
        Money rounded to cents, shares to 6 decimals."""
        from rackforge.sourcing.analysis import _records as records

        out = []
        for d in self.designs:
            flat = self.design_rows("bom", d)
            out.append({
                "design": d,
                "cost_per_rack_usd": round(float(flat["cost_per_rack_usd"].sum()), 2),
                "parts": records(flat.drop(columns=["design"]).round({"unit_cost_usd": 4, "cost_per_rack_usd": 2,
                                                                       "share_of_rack": 6})),
                "by_category": {r["category"]: round(r["cost_per_rack_usd"], 2)
                                for r in records(self.design_rows("cost_by_category", d))},
                "assemblies": records(self.design_rows("cost_by_assembly", d).drop(columns=["design"]).round(
                    {"unit_cost_usd": 2, "cost_per_rack_usd": 2, "share_of_rack": 6})),
            })
        return {"sources": self.sources, "designs": out, "plan_cost": records(self.plan_cost().round(2))}


def planned_designs(analysis: SourcingAnalysis, design: str | None) -> list[str]:
    """``[design]`` when given (it must be in the build plan: a usage error with a hint otherwise),
    else every design in the build plan."""
    from rackforge.errors import UsageError, did_you_mean

    planned = analysis.planned
    if design is not None and design not in planned:
        raise UsageError(f"design {design!r} is not in the build plan{did_you_mean(design, planned)}; "
                         f"planned: {', '.join(planned)}")
    return [design] if design else list(planned)


def indented_trees(analysis: SourcingAnalysis, designs: list[str], sources: SourceView) -> pd.DataFrame:
    """The indented BOM (assemblies and their parts) of each design, one frame with a ``design`` column."""
    import pandas as pd

    from rackforge.sourcing.bom import indented_bom

    frames = []
    for d in designs:
        unit = dict(zip(analysis.structure.part_ids, analysis.design_unit_cost_usd(d, sources).tolist(), strict=True))
        frame = indented_bom(analysis.programme.catalog, d, unit)
        frame.insert(0, "design", d)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def bill_of_materials(analysis: SourcingAnalysis, design: str | None = None,
                      sources: SourceView = "qualified") -> BillOfMaterials:
    """The BOM tables of ``design`` (default: every planned design) from a sourcing analysis."""
    designs = planned_designs(analysis, design)
    tables = {
        "bom": analysis.bom(design, sources),
        "cost_by_category": analysis.cost_by_category(design, sources),
        "cost_by_assembly": analysis.cost_by_assembly(design, sources),
        "plan_cost": analysis.plan_cost(sources),
        "bom_tree": indented_trees(analysis, designs, sources),
    }
    return BillOfMaterials(designs, sources, tables)
