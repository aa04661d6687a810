"""The bill of materials, exploded once: every walk of a design or assembly down to part types.

One memoised depth-first walk (:class:`BomWalk`) explodes a design or assembly into the part types
(and assemblies) one unit of it contains; quantities multiply down the tree (18 trays × 2
superchips × 1 board = 36 boards) and each assembly is exploded once however often it appears.
Everything that needs "how many of part p are in one rack of design d" calls this module:
:func:`explode` for one item as a dict, :class:`BomStructure` for many designs as dense matrices
(designs × part types, designs × assemblies, assemblies × part types), so a catalog of thousands
of part types explodes in milliseconds. Roll-ups are matrix products with a unit-cost vector:

    cost per rack [USD] = quantity_per_rack @ unit_cost_usd
    plan cost per quarter = racks_by_quarter × cost per rack
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from rackforge.errors import InputError, Problem

if TYPE_CHECKING:
    import scipy.sparse

    from rackforge.schema import BuildPlan, Catalog, Item

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class BomWalk:
    """A memoised depth-first walk of a catalog's assemblies.

    :meth:`unit` gives, for one unit of a design or assembly, its part quantities and assembly
    quantities through every level, keyed by the column indexes of ``part_index`` and
    ``assembly_index``. Raises :class:`InputError` for an unknown item reference or a circular
    assembly (the loader already refuses these; this guards models built in code).
    """

    catalog: Catalog
    part_index: dict[str, int]
    assembly_index: dict[str, int]
    memo: dict[str, tuple[dict[int, int], dict[int, int]]] = field(default_factory=dict)
    on_stack: list[str] = field(default_factory=list)

    def unit(self, node_id: str) -> tuple[dict[int, int], dict[int, int]]:
        """(part column -> quantity, assembly column -> quantity) in one unit of ``node_id`` [units]."""
        if node_id in self.memo:
            return self.memo[node_id]
        if node_id in self.on_stack:
            cycle = [*self.on_stack[self.on_stack.index(node_id):], node_id]
            raise InputError([Problem("(catalog)", None, f"assemblies.{node_id}",
                                      "circular assembly: " + " → ".join(cycle))])
        node = self.catalog.assemblies.get(node_id) or self.catalog.designs.get(node_id)
        if node is None:
            raise InputError([Problem("(catalog)", None, "items", f"unknown design or assembly {node_id!r}")])
        self.on_stack.append(node_id)
        part_qty: dict[int, int] = {}
        asm_qty: dict[int, int] = {}
        for item in node.items:
            if item.ref in self.part_index:
                k = self.part_index[item.ref]
                part_qty[k] = part_qty.get(k, 0) + item.quantity
            elif item.ref in self.assembly_index:
                a = self.assembly_index[item.ref]
                asm_qty[a] = asm_qty.get(a, 0) + item.quantity
                child_parts, child_asms = self.unit(item.ref)
                for k, q in child_parts.items():
                    part_qty[k] = part_qty.get(k, 0) + q * item.quantity
                for k, q in child_asms.items():
                    asm_qty[k] = asm_qty.get(k, 0) + q * item.quantity
            else:
                raise InputError([Problem("(catalog)", None, f"{node_id}.items",
                                          f"unknown part or assembly {item.ref!r}")])
        self.on_stack.pop()
        self.memo[node_id] = (part_qty, asm_qty)
        return self.memo[node_id]


_WALKS: dict[int, tuple[BomWalk, tuple[str, ...]]] = {}


def catalog_walk(catalog: Catalog) -> tuple[BomWalk, tuple[str, ...]]:
    """A walk over ``catalog`` with part columns in catalog order, and those part ids (kept for the
    last few catalogs, since a catalog is immutable)."""
    cached = _WALKS.get(id(catalog))
    if cached is not None and cached[0].catalog is catalog:
        return cached
    parts = tuple(catalog.parts)
    walk = BomWalk(catalog, {p: i for i, p in enumerate(parts)}, {a: i for i, a in enumerate(catalog.assemblies)})
    _WALKS[id(catalog)] = (walk, parts)
    while len(_WALKS) > 8:
        _WALKS.pop(next(iter(_WALKS)))
    return walk, parts


def explode(catalog: Catalog, ref: str, quantity: int = 1) -> dict[str, int]:
    """Part-type quantities in ``quantity`` units of a design, assembly or part [units].

    A part explodes to itself; keys follow the catalog's part order.
    """
    if ref in catalog.parts:
        return {ref: quantity}
    walk, parts = catalog_walk(catalog)
    part_qty, _ = walk.unit(ref)
    return {parts[k]: q * quantity for k, q in sorted(part_qty.items())}


@dataclass(frozen=True, eq=False)
class BomStructure:
    """Exploded quantities of a set of designs (see module docstring).

    Rows of ``quantity_per_rack`` follow ``design_ids``; columns follow ``part_ids`` (every part
    type of the catalog, in catalog order, so the same order as a
    :class:`~rackforge.core.supply.SupplyView` built from the same programme).
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

        explode = BomWalk(catalog, part_index, assembly_index).unit

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
        import scipy.sparse  # imported here: scipy costs ~90 ms and the engineering checks never need it

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


def explode_items(catalog: Catalog, items: Iterable[Item]) -> dict[str, int]:
    """Part-type quantities of a list of items (e.g. a design that is not, or not yet, in the catalog)
    [units], summed over the items' explosions."""
    out: dict[str, int] = {}
    for item in items:
        for part, qty in explode(catalog, item.ref, item.quantity).items():
            out[part] = out.get(part, 0) + qty
    return out


def contained_refs(catalog: Catalog, ref: str) -> set[str]:
    """``ref`` and the id of every assembly and part type anywhere in its tree."""
    if ref in catalog.parts:
        return {ref}
    walk, parts = catalog_walk(catalog)
    part_qty, asm_qty = walk.unit(ref)
    assemblies = tuple(catalog.assemblies)
    return {ref, *(parts[k] for k in part_qty), *(assemblies[k] for k in asm_qty)}
