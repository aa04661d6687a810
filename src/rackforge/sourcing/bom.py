"""Bill-of-materials tables: flat, by category, by assembly, indented, and plan cost by quarter.

The explosion itself (:class:`~rackforge.core.bom.BomStructure`, :func:`~rackforge.core.bom.explode`)
lives in :mod:`rackforge.core.bom`; unit costs come from the supply view
(:meth:`~rackforge.core.supply.SupplyView.part_unit_cost_usd`). Every table is a pandas DataFrame
with units in column names (``cost_per_rack_usd``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from rackforge.core.bom import BomStructure, rack_cost_by_category_usd, rack_cost_usd, racks_by_quarter

if TYPE_CHECKING:
    from rackforge.schema import BuildPlan, Catalog

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# -- tables ---------------------------------------------------------------------------------------

def _design_rows(structure: BomStructure, design: str | None) -> list[int]:
    if design is None:
        return list(range(len(structure.design_ids)))
    if design not in structure.design_index:
        from rackforge.errors import UsageError, did_you_mean

        raise UsageError(f"no design {design!r} in this programme{did_you_mean(design, structure.design_ids)}")
    return [structure.design_index[design]]


def flat_bom(structure: BomStructure, unit_cost_usd: FloatArray, design: str | None = None) -> pd.DataFrame:
    """One row per design and part type it holds: quantity, unit cost and cost per rack.

    Columns: design, part, name, category, quantity_per_rack, unit_cost_usd, cost_per_rack_usd,
    share_of_rack (fraction of the design's component cost).
    """
    frames = []
    for d in _design_rows(structure, design):
        row = structure.quantity_per_rack[d]
        idx = np.flatnonzero(row)
        cost = row[idx] * unit_cost_usd[idx]
        total = float(cost.sum())
        frames.append(pd.DataFrame({
            "design": structure.design_ids[d],
            "part": [structure.part_ids[i] for i in idx],
            "name": [structure.part_name[i] for i in idx],
            "category": structure.part_category[idx],
            "quantity_per_rack": row[idx].astype(np.int64),
            "unit_cost_usd": unit_cost_usd[idx],
            "cost_per_rack_usd": cost,
            "share_of_rack": cost / total if total > 0 else np.zeros(len(idx)),
        }))
    return _concat(frames, ["design", "part", "name", "category", "quantity_per_rack", "unit_cost_usd",
                            "cost_per_rack_usd", "share_of_rack"])


def cost_by_category(structure: BomStructure, unit_cost_usd: FloatArray, design: str | None = None) -> pd.DataFrame:
    """Component cost per rack by category. Columns: design, category, cost_per_rack_usd, share_of_rack."""
    by_cat = rack_cost_by_category_usd(structure.quantity_per_rack, unit_cost_usd, structure.category_matrix())
    rows = []
    for d in _design_rows(structure, design):
        total = by_cat[d].sum()
        for c, category in enumerate(structure.categories):
            if structure.quantity_per_rack[d][structure.part_category == category].any():
                rows.append({"design": structure.design_ids[d], "category": category,
                             "cost_per_rack_usd": float(by_cat[d, c]),
                             "share_of_rack": float(by_cat[d, c] / total) if total > 0 else 0.0})
    return _concat([pd.DataFrame(rows)], ["design", "category", "cost_per_rack_usd", "share_of_rack"])


def cost_by_assembly(structure: BomStructure, unit_cost_usd: FloatArray, design: str | None = None) -> pd.DataFrame:
    """Every assembly a rack holds (at any level): quantity per rack, unit cost and cost per rack.

    Columns: design, assembly, name, kind, quantity_per_rack, unit_cost_usd (the exploded cost of
    one assembly), cost_per_rack_usd, share_of_rack. Nested assemblies are counted inside their
    parents too, so the column does not sum to the rack cost.
    """
    unit = np.asarray(structure.assembly_parts @ unit_cost_usd, dtype=float)
    totals = rack_cost_usd(structure.quantity_per_rack, unit_cost_usd)
    frames = []
    for d in _design_rows(structure, design):
        row = structure.assemblies_per_rack[d]
        idx = np.flatnonzero(row)
        cost = row[idx] * unit[idx]
        frames.append(pd.DataFrame({
            "design": structure.design_ids[d],
            "assembly": [structure.assembly_ids[i] for i in idx],
            "name": [structure.assembly_name[i] for i in idx],
            "kind": [structure.assembly_kind[i] for i in idx],
            "quantity_per_rack": row[idx].astype(np.int64),
            "unit_cost_usd": unit[idx],
            "cost_per_rack_usd": cost,
            "share_of_rack": cost / totals[d] if totals[d] > 0 else np.zeros(len(idx)),
        }))
    return _concat(frames, ["design", "assembly", "name", "kind", "quantity_per_rack", "unit_cost_usd",
                            "cost_per_rack_usd", "share_of_rack"])


def indented_bom(catalog: Catalog, design: str, unit_cost_usd: Mapping[str, float]) -> pd.DataFrame:
    """The design's tree as an indented BOM, one row per item occurrence, depth first.

    Columns: level (1 = directly in the rack), path (``tray/board/gpu``), ref, kind (part or an
    assembly kind), name, category (parts only), quantity_per_parent, quantity_per_rack,
    unit_cost_usd (exploded for assemblies), cost_per_rack_usd.
    """
    if design not in catalog.designs:
        from rackforge.errors import UsageError, did_you_mean

        raise UsageError(f"no design {design!r}{did_you_mean(design, catalog.designs)}")
    unit_memo: dict[str, float] = {}

    def unit_cost(ref: str) -> float:
        if ref in catalog.parts:
            return float(unit_cost_usd.get(ref, 0.0))
        if ref not in unit_memo:
            unit_memo[ref] = sum(i.quantity * unit_cost(i.ref) for i in catalog.assemblies[ref].items)
        return unit_memo[ref]

    rows: list[dict[str, object]] = []

    def walk(items: Sequence[object], level: int, prefix: str, multiplier: int) -> None:
        for item in items:
            ref, qty = item.ref, item.quantity  # type: ignore[attr-defined]
            per_rack = qty * multiplier
            part = catalog.parts.get(ref)
            asm = catalog.assemblies.get(ref)
            cost = unit_cost(ref)
            rows.append({"level": level, "path": f"{prefix}{ref}", "ref": ref,
                         "kind": "part" if part else asm.kind.value,  # type: ignore[union-attr]
                         "name": part.name if part else asm.name,  # type: ignore[union-attr]
                         "category": part.category.value if part else "",
                         "quantity_per_parent": qty, "quantity_per_rack": per_rack,
                         "unit_cost_usd": cost, "cost_per_rack_usd": cost * per_rack})
            if asm is not None:
                walk(asm.items, level + 1, f"{prefix}{ref}/", per_rack)

    walk(catalog.designs[design].items, 1, "", 1)
    return pd.DataFrame(rows, columns=["level", "path", "ref", "kind", "name", "category", "quantity_per_parent",
                                       "quantity_per_rack", "unit_cost_usd", "cost_per_rack_usd"])


def plan_cost_by_quarter(structure: BomStructure, build_plan: BuildPlan,
                         unit_cost_usd: FloatArray) -> pd.DataFrame:
    """Component cost of the build plan per quarter and design.

    ``unit_cost_usd`` is (n_parts,) or (n_quarters, n_parts) (unit costs that change as
    alternates qualify). Columns: quarter, design, racks, cost_per_rack_usd, cost_usd, and one
    ``<category>_usd`` column per category.
    """
    quarters = build_plan.quarter_list
    racks = racks_by_quarter(structure, build_plan)
    unit = np.broadcast_to(unit_cost_usd, (len(quarters), len(structure.part_ids)))
    cat = structure.category_matrix()
    rows = []
    for qi, quarter in enumerate(quarters):
        per_rack = rack_cost_usd(structure.quantity_per_rack, unit[qi])
        by_cat = rack_cost_by_category_usd(structure.quantity_per_rack, unit[qi], cat)
        for d, design in enumerate(structure.design_ids):
            if design not in build_plan.designs:
                continue
            n = int(racks[qi, d])
            row: dict[str, object] = {"quarter": quarter, "design": design, "racks": n,
                                      "cost_per_rack_usd": float(per_rack[d]), "cost_usd": float(per_rack[d] * n)}
            for c, category in enumerate(structure.categories):
                row[f"{category}_usd"] = float(by_cat[d, c] * n)
            rows.append(row)
    return pd.DataFrame(rows, columns=["quarter", "design", "racks", "cost_per_rack_usd", "cost_usd",
                                       *(f"{c}_usd" for c in structure.categories)])


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
