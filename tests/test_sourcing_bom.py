"""BOM explosion and cost roll-ups against hand counts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.core.bom import BomStructure, explode, part_demand_by_quarter
from rackforge.errors import InputError
from rackforge.schema import Assembly, Item
from rackforge.sourcing.bom import cost_by_assembly, cost_by_category, flat_bom, indented_bom, plan_cost_by_quarter
from rackforge.sourcing.synthetic import SYNTHETIC, make_programme


def nested_programme():
    """rack -> 2 trays -> 3 modules -> 4 boards -> 5 chips: 120 chips per rack (three levels of nesting
    below the tray), plus the module reused directly in the rack once (4 × 5 = 20 more chips)."""
    return make_programme(
        parts={"chip": ("compute", 10.0), "cap": ("board", 1.0), "fan": ("cooling", 7.0), "cable": ("cabling", 3.0)},
        assemblies={
            "board": [("chip", 5), ("cap", 2)],
            "module": [("board", 4)],
            "tray": [("module", 3), ("fan", 2)],
        },
        designs={"rack": [("tray", 2), ("module", 1), ("cable", 6)]},
        sites={"tw": "TW"},
        sources=[],
        build_plan={"2027Q1": {"rack": 3}, "2027Q2": {"rack": 0}, "2026Q4": {"rack": 1}},
    )


def test_quantities_multiply_through_three_levels():
    prog = nested_programme()
    s = BomStructure.from_catalog(prog.catalog)
    # chips: 2 trays × 3 modules × 4 boards × 5 = 120, plus 1 module × 4 × 5 = 20
    assert s.quantities("rack") == {"chip": 140, "cap": 2 * 3 * 4 * 2 + 4 * 2, "fan": 4, "cable": 6}
    # the catalog's own recursive explosion agrees
    assert s.quantities("rack") == explode(prog.catalog, "rack")
    asm = dict(zip(s.assembly_ids, s.assemblies_per_rack[0].tolist(), strict=True))
    assert asm == {"tray": 2, "module": 2 * 3 + 1, "board": 7 * 4}


def test_cost_rollups_by_category_assembly_and_plan():
    prog = nested_programme()
    s = BomStructure.from_catalog(prog.catalog)
    unit = np.array([{"chip": 10.0, "cap": 1.0, "fan": 7.0, "cable": 3.0}[p] for p in s.part_ids])
    flat = flat_bom(s, unit)
    rack_cost = 140 * 10 + 56 * 1 + 4 * 7 + 6 * 3
    assert flat["cost_per_rack_usd"].sum() == pytest.approx(rack_cost)
    assert flat["share_of_rack"].sum() == pytest.approx(1.0)
    cats = cost_by_category(s, unit).set_index("category")["cost_per_rack_usd"]
    assert cats.to_dict() == pytest.approx({"compute": 1400.0, "board": 56.0, "cooling": 28.0, "cabling": 18.0})
    asm = cost_by_assembly(s, unit).set_index("assembly")
    assert asm.loc["board", "unit_cost_usd"] == pytest.approx(5 * 10 + 2 * 1)
    assert asm.loc["tray", "cost_per_rack_usd"] == pytest.approx(2 * (3 * 4 * 52 + 2 * 7))
    plan = plan_cost_by_quarter(s, prog.build_plan, unit)
    assert plan["quarter"].tolist() == ["2026Q4", "2027Q1", "2027Q2"]  # time order
    assert plan["cost_usd"].tolist() == pytest.approx([rack_cost, 3 * rack_cost, 0.0])
    assert plan["compute_usd"].tolist() == pytest.approx([1400.0, 4200.0, 0.0])
    _quarters, demand = part_demand_by_quarter(s, prog.build_plan)
    assert demand[1, s.part_index["chip"]] == 3 * 140


def test_indented_bom_paths_and_totals():
    prog = nested_programme()
    unit = {"chip": 10.0, "cap": 1.0, "fan": 7.0, "cable": 3.0}
    tree = indented_bom(prog.catalog, "rack", unit)
    row = tree.set_index("path").loc["tray/module/board/chip"]
    assert (row["level"], row["quantity_per_parent"], row["quantity_per_rack"]) == (4, 5, 120)
    top = tree[tree["level"] == 1]
    assert top["cost_per_rack_usd"].sum() == pytest.approx(140 * 10 + 56 + 28 + 18)


def test_cycle_and_unknown_reference_are_input_errors():
    prog = nested_programme()
    cat = prog.catalog
    loop = cat.model_copy(update={"assemblies": {
        **cat.assemblies, "board": Assembly(id="board", name="b", kind="tray", source=SYNTHETIC,
                                            items=(Item(ref="tray", quantity=1),))}})
    with pytest.raises(InputError, match="circular assembly"):
        BomStructure.from_catalog(loop)
    with pytest.raises(InputError, match="unknown design"):
        BomStructure.from_catalog(cat, ["nope"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=3, max_size=3), st.integers(1, 5))
def test_explosion_scales_with_quantities(per_level, racks):
    """Quantities are products of the per-level counts, and the plan demand is linear in racks."""
    a, b, c = per_level
    prog = make_programme(parts={"x": ("power", 1.0)},
                          assemblies={"l3": [("x", c)], "l2": [("l3", b)], "l1": [("l2", a)]},
                          designs={"d": [("l1", 1)]}, sites={}, sources=[], build_plan={"2027Q1": {"d": racks}})
    s = BomStructure.from_catalog(prog.catalog)
    assert s.quantities("d") == {"x": a * b * c}
    _, demand = part_demand_by_quarter(s, prog.build_plan)
    assert demand[0, 0] == racks * a * b * c
