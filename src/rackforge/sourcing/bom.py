"""Bill of materials: designs exploded through nested assemblies, and cost roll-ups.

:class:`BomStructure` explodes every design once into dense matrices: ``quantity_per_rack``
(designs × part types) and ``assemblies_per_rack`` (designs × assemblies), with
``assembly_parts`` (assemblies × part types, sparse) giving each assembly's own explosion.
Quantities multiply down the tree (18 trays × 2 superchips × 1 board = 36 boards); each
assembly is exploded once and reused wherever it appears (memoised depth-first walk), so a
catalog of thousands of part types explodes in milliseconds.

Cost roll-ups are matrix products with a unit-cost vector over part types (e.g. the
share-weighted landed cost from :class:`~rackforge.sourcing.network.SupplyNetwork`):

    cost per rack [USD] = quantity_per_rack @ unit_cost_usd
    cost per rack by category = (quantity_per_rack * unit_cost_usd) @ category_one_hot
    plan cost per quarter = racks_by_quarter × cost per rack (per quarter's unit costs)

Every table is a pandas DataFrame with units in column names (``cost_per_rack_usd``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse

from rackforge.errors import InputError, Problem

if TYPE_CHECKING:
    from rackforge.schema import BuildPlan, Catalog

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class BomStructure:
    """Exploded quantities of a set of designs (see module docstring).

    Rows of ``quantity_per_rack`` follow ``design_ids``; columns follow ``part_ids`` (every part
    type of the catalog, in catalog order, so the same order as a
    :class:`~rackforge.sourcing.network.SupplyNetwork` built from the same programme).
    """

    part_ids: tuple[str, ...]
    part_name: tuple[str, ...]
    part_category: npt.NDArray[np.str_]
    design_ids: tuple[str, ...]
    assembly_ids: tuple[str, ...]
    assembly_name: tuple[str, ...]
    assembly_kind: tuple[str, ...]
    quantity_per_rack: IntArray
    assemblies_per_rack: IntArray
    assembly_parts: scipy.sparse.csr_array
    categories: tuple[str, ...]

    @property
    def part_index(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.part_ids)}

    @property
    def design_index(self) -> dict[str, int]:
        return {d: i for i, d in enumerate(self.design_ids)}

    def category_matrix(self) -> FloatArray:
        """One-hot (n_parts × n_categories) matrix of each part's category, in ``categories`` order."""
        codes = np.searchsorted(np.array(self.categories), self.part_category)
        out = np.zeros((len(self.part_ids), len(self.categories)))
        out[np.arange(len(self.part_ids)), codes] = 1.0
        return out

    def quantities(self, design: str) -> dict[str, int]:
        """Part-type quantities per rack of one design (non-zero only) [units]."""
        row = self.quantity_per_rack[self.design_index[design]]
        return {self.part_ids[i]: int(row[i]) for i in np.flatnonzero(row)}

    @classmethod
    def from_catalog(cls, catalog: Catalog, design_ids: Sequence[str] | None = None) -> BomStructure:
        """Explode ``design_ids`` (default: every design of the catalog) through their assemblies.

        Raises :class:`InputError` for an unknown design or item reference, or a circular assembly
        (the loader already refuses these; this guards models built in code).
        """
        designs = tuple(design_ids) if design_ids is not None else tuple(catalog.designs)
        parts = tuple(catalog.parts)
        assemblies = tuple(catalog.assemblies)
        part_index = {p: i for i, p in enumerate(parts)}
        assembly_index = {a: i for i, a in enumerate(assemblies)}
        unknown = [d for d in designs if d not in catalog.designs]
        if unknown:
            raise InputError([Problem("(catalog)", None, "designs", f"unknown design {d!r}") for d in unknown])

        # memo: node id -> (part index -> qty, assembly index -> qty) for ONE unit of the node
        memo: dict[str, tuple[dict[int, int], dict[int, int]]] = {}
        on_stack: list[str] = []

        def explode(node_id: str) -> tuple[dict[int, int], dict[int, int]]:
            if node_id in memo:
                return memo[node_id]
            if node_id in on_stack:
                cycle = [*on_stack[on_stack.index(node_id):], node_id]
                raise InputError([Problem("(catalog)", None, f"assemblies.{node_id}",
                                          "circular assembly: " + " → ".join(cycle))])
            node = catalog.assemblies.get(node_id) or catalog.designs.get(node_id)
            on_stack.append(node_id)
            part_qty: dict[int, int] = {}
            asm_qty: dict[int, int] = {}
            assert node is not None
            for item in node.items:
                if item.ref in part_index:
                    k = part_index[item.ref]
                    part_qty[k] = part_qty.get(k, 0) + item.quantity
                elif item.ref in assembly_index:
                    a = assembly_index[item.ref]
                    asm_qty[a] = asm_qty.get(a, 0) + item.quantity
                    child_parts, child_asms = explode(item.ref)
                    for k, q in child_parts.items():
                        part_qty[k] = part_qty.get(k, 0) + q * item.quantity
                    for k, q in child_asms.items():
                        asm_qty[k] = asm_qty.get(k, 0) + q * item.quantity
                else:
                    raise InputError([Problem("(catalog)", None, f"{node_id}.items",
                                              f"unknown part or assembly {item.ref!r}")])
            on_stack.pop()
            memo[node_id] = (part_qty, asm_qty)
            return memo[node_id]

        quantity = np.zeros((len(designs), len(parts)), dtype=np.int64)
        asm_per_rack = np.zeros((len(designs), len(assemblies)), dtype=np.int64)
        for row, design in enumerate(designs):
            part_qty, asm_qty = explode(design)
            if part_qty:
                quantity[row, list(part_qty)] = list(part_qty.values())
            if asm_qty:
                asm_per_rack[row, list(asm_qty)] = list(asm_qty.values())
        rows: list[int] = []
        cols: list[int] = []
        vals: list[int] = []
        for a, asm in enumerate(assemblies):
            part_qty, _ = explode(asm)
            rows.extend([a] * len(part_qty))
            cols.extend(part_qty)
            vals.extend(part_qty.values())
        assembly_parts = scipy.sparse.csr_array(
            (np.array(vals, dtype=np.int64), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
            shape=(len(assemblies), len(parts)))
        part_objs = [catalog.parts[p] for p in parts]
        category = np.array([p.category.value for p in part_objs], dtype=str) if parts else np.zeros(0, str)
        return cls(
            part_ids=parts,
            part_name=tuple(p.name for p in part_objs),
            part_category=category,
            design_ids=designs,
            assembly_ids=assemblies,
            assembly_name=tuple(catalog.assemblies[a].name for a in assemblies),
            assembly_kind=tuple(catalog.assemblies[a].kind.value for a in assemblies),
            quantity_per_rack=quantity,
            assemblies_per_rack=asm_per_rack,
            assembly_parts=assembly_parts,
            categories=tuple(sorted(set(category.tolist()))),
        )


# -- pure roll-up functions ---------------------------------------------------------------------

def rack_cost_usd(quantity_per_rack: IntArray | FloatArray, unit_cost_usd: FloatArray) -> FloatArray:
    """Component cost of one rack per design [USD]: Σ_p quantity[d, p] × unit_cost[p].

    ``unit_cost_usd`` may be (n_parts,) or (k, n_parts) (e.g. per quarter); the result is
    (n_designs,) or (k, n_designs).
    """
    return np.asarray(unit_cost_usd @ quantity_per_rack.T, dtype=float)


def rack_cost_by_category_usd(quantity_per_rack: IntArray | FloatArray, unit_cost_usd: FloatArray,
                              category_matrix: FloatArray) -> FloatArray:
    """Component cost of one rack per design and category [USD], shape (n_designs, n_categories)."""
    return np.asarray((quantity_per_rack * unit_cost_usd) @ category_matrix, dtype=float)


def part_demand_by_quarter(structure: BomStructure, build_plan: BuildPlan) -> tuple[list[str], IntArray]:
    """Units of every part type needed per quarter of the build plan.

    Returns (quarters in time order, matrix (n_quarters × n_parts) [units]) = racks (n_q × n_d)
    @ quantity_per_rack. Designs in the plan but not in ``structure`` are an error.
    """
    quarters = build_plan.quarter_list
    racks = racks_by_quarter(structure, build_plan)
    return quarters, racks @ structure.quantity_per_rack


def racks_by_quarter(structure: BomStructure, build_plan: BuildPlan) -> IntArray:
    """Racks per quarter (time order) per design of ``structure`` [racks], (n_quarters × n_designs)."""
    index = structure.design_index
    missing = [d for d in build_plan.designs if d not in index]
    if missing:
        raise InputError([Problem("(build plan)", None, "build_plan", f"design {d!r} is not in the BOM structure")
                          for d in missing])
    quarters = build_plan.quarter_list
    out = np.zeros((len(quarters), len(structure.design_ids)), dtype=np.int64)
    for qi, q in enumerate(quarters):
        for design, racks in build_plan.quarters[q].items():
            out[qi, index[design]] = racks
    return out


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
