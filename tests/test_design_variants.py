"""Design variants (``extends:``), a programme's record replacing a built-in one, and ``catalog show``
output that loads back as the same record (docs/catalog.md, "Design variants")."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rackforge.cli import cli
from rackforge.core.bom import explode
from rackforge.errors import InputError
from rackforge.io.loader import REFERENCE_DIR, load_catalog, load_programme
from rackforge.io.variants import apply_changes, design_changes, design_data
from rackforge.schema.designs import DESIGN_CHANGE_KEYS, DesignChanges, RackDesign

WORKED_EXAMPLE = """\
designs:
  - id: gb300-nvl64-inrow
    extends: gb300-nvl72
    name: GB300 NVL64 with an in-row CDU
    source: "estimate: gb300-nvl72 with two compute trays left out and the gb200-nvl72 in-row cooling"
    set_quantities: {gb300-compute-tray: 16}
    remove_items: [nvl72-rack-cooling-inrack]
    add_items: [{ref: nvl72-rack-cooling-inrow}]
    cooling: {cdu: coolit-chx1500, cdu_location: in-row}
    network: {scale_up: {gpus_per_domain: 64}}
    published: null
"""


def programme_with(tmp_path: Path, text: str, name: str = "variant.yaml") -> Path:
    """A copy of the reference programme with one more file."""
    folder = tmp_path / "prog"
    if not folder.exists():
        shutil.copytree(REFERENCE_DIR, folder)
    (folder / name).write_text(text)
    return folder


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog()


def test_the_worked_example_resolves_to_its_base_with_the_changes(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    programme = load_programme(programme_with(tmp_path, WORKED_EXAMPLE))
    base, variant = catalog.designs["gb300-nvl72"], programme.catalog.designs["gb300-nvl64-inrow"]
    assert variant.extends == "gb300-nvl72"
    # 16 compute trays of 4 GPUs each (the base has 18 trays, 72 GPUs)
    assert explode(catalog, "gb300-nvl72")["nvidia-b300-gpu"] == 72
    assert explode(programme.catalog, "gb300-nvl64-inrow")["nvidia-b300-gpu"] == 64
    refs = {i.ref: i.quantity for i in variant.items}
    assert refs["gb300-compute-tray"] == 16 and "nvl72-rack-cooling-inrack" not in refs
    assert refs["nvl72-rack-cooling-inrow"] == 1
    assert list(refs)[-1] == "nvl72-rack-cooling-inrow"  # added items come last
    # mappings merged field by field: the CDU changed, the coolant and temperatures kept
    assert (variant.cooling.cdu, variant.cooling.cdu_location) == ("coolit-chx1500", "in-row")
    assert variant.cooling.coolant == base.cooling.coolant and variant.cooling.delta_t_k == base.cooling.delta_t_k
    assert variant.network.scale_up is not None and base.network.scale_up is not None
    assert variant.network.scale_up.gpus_per_domain == 64
    assert variant.network.scale_up.links_per_gpu == base.network.scale_up.links_per_gpu
    assert variant.power == base.power and variant.rack == base.rack and variant.published is None
    # the variant is where it was written
    assert programme.location("designs", "gb300-nvl64-inrow") == (str(tmp_path / "prog" / "variant.yaml"), 2)


@pytest.mark.parametrize(("body", "needle", "field", "message"), [
    ("  - {id: v1, extends: gb300-nvl27, name: x}\n", "gb300-nvl27", "designs[0].extends",
     "unknown design 'gb300-nvl27' (did you mean 'gb300-nvl72'"),
    ("  - {id: v1, extends: gb300-nvl72, remove_items: [no-such-tray]}\n", "no-such-tray",
     "designs[0].remove_items[0]", "'no-such-tray' is not an item of 'gb300-nvl72'"),
    ("  - {id: v1, extends: gb300-nvl72, set_quantities: {gb200-compute-tray: 2}}\n", "gb200-compute-tray",
     "designs[0].set_quantities.gb200-compute-tray", "(did you mean 'gb300-compute-tray'"),
    ("  - {id: v1, extends: gb300-nvl72, add_items: [{ref: nvl72-spine}]}\n", "nvl72-spine",
     "designs[0].add_items[0].ref", "already an item of 'gb300-nvl72' (quantity 1); change its count"),
    ("  - {id: v1, extends: gb300-nvl72, cooling: {cdu: vertiv-xdu1350, cdu_count: -1}}\n", "cdu_count",
     "designs[0].cooling.cdu_count", "greater than or equal to 0"),
    ("  - {id: v1, extends: gb300-nvl72, colour: red}\n", "colour", "designs[0].colour", "unknown field 'colour'"),
])
def test_a_bad_variant_is_reported_at_its_file_line_and_field(tmp_path: Path, body: str, needle: str, field: str,
                                                             message: str) -> None:
    folder = programme_with(tmp_path, "designs:\n" + body)
    with pytest.raises(InputError) as info:
        load_programme(folder)
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.field) == (str(folder / "variant.yaml"), 2, field), problem.render()
    assert message in problem.message
    assert line_of(folder / "variant.yaml", needle) == 2


def test_variants_extending_each_other_in_a_circle_are_refused(tmp_path: Path) -> None:
    folder = programme_with(tmp_path, textwrap.dedent("""\
        designs:
          - {id: va, extends: vb}
          - {id: vb, extends: vc}
          - {id: vc, extends: va}
        """))
    with pytest.raises(InputError) as info:
        load_programme(folder)
    messages = [p.message for p in info.value.problems]
    assert any("extend each other in a circle" in m and "va → vb → vc → va" in m for m in messages), messages


def test_a_variant_may_extend_a_variant(tmp_path: Path) -> None:
    folder = programme_with(tmp_path, WORKED_EXAMPLE + (
        "  - id: gb300-nvl48-inrow\n"
        "    extends: gb300-nvl64-inrow\n"
        "    name: GB300 NVL48\n"
        "    set_quantities: {gb300-compute-tray: 12}\n"
        "    network: {scale_up: {gpus_per_domain: 48}}\n"))
    programme = load_programme(folder)
    assert explode(programme.catalog, "gb300-nvl48-inrow")["nvidia-b300-gpu"] == 48
    assert programme.catalog.designs["gb300-nvl48-inrow"].cooling.cdu == "coolit-chx1500"


def test_a_programme_design_replaces_the_built_in_one_and_check_says_so(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    folder = programme_with(tmp_path, textwrap.dedent("""\
        designs:
          - id: gb300-nvl72
            extends: gb300-nvl72
            cooling: {supply_temp_c: 25}
        """))
    programme = load_programme(folder)
    assert programme.catalog.designs["gb300-nvl72"].cooling.supply_temp_c == 25
    assert catalog.designs["gb300-nvl72"].cooling.supply_temp_c != 25
    result = CliRunner().invoke(cli, ["check", str(folder), "--design", "gb300-nvl72"])
    assert result.exit_code in (0, 1), result.output
    assert "design 'gb300-nvl72'" in result.output and "replaces the built-in design" in result.output
    # two programme records of one id are still a mistake
    (folder / "again.yaml").write_text((folder / "variant.yaml").read_text())
    with pytest.raises(InputError, match="duplicate designs entry 'gb300-nvl72'"):
        load_programme(folder)


def test_a_full_programme_design_of_a_built_in_id_replaces_it(tmp_path: Path, catalog) -> None:  # type: ignore[no-untyped-def]
    data = design_data(catalog.designs["hgx-b200-air"])
    data["name"] = "HGX B200 (our build)"
    folder = programme_with(tmp_path, yaml.safe_dump({"designs": [data]}, sort_keys=False))
    assert load_programme(folder).catalog.designs["hgx-b200-air"].name == "HGX B200 (our build)"


# ----- catalog show output is programme input ------------------------------------------------------

def show(*args: str) -> str:
    result = CliRunner().invoke(cli, ["catalog", "show", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("ident", ["gb300-nvl72", "kyber-800vdc", "hgx-b200-air"])
def test_catalog_show_of_a_design_loads_back_as_the_same_design(tmp_path: Path, catalog, ident: str) -> None:  # type: ignore[no-untyped-def]
    text = show(ident).replace(f"id: {ident}\n", f"id: my-{ident}\n", 1)
    assert "exploded parts" in text and text.startswith("designs:\n")
    programme = load_programme(programme_with(tmp_path, text))
    copy = programme.catalog.designs[f"my-{ident}"]
    assert copy.model_copy(update={"id": ident}) == catalog.designs[ident]


def test_catalog_show_of_a_variant_round_trips_as_changes_and_resolved(tmp_path: Path) -> None:
    folder = programme_with(tmp_path, WORKED_EXAMPLE)
    original = load_programme(folder).catalog.designs["gb300-nvl64-inrow"]
    changes = show(str(folder), "gb300-nvl64-inrow")
    assert "extends: gb300-nvl72" in changes and "set_quantities" in changes and "rack:" not in changes
    resolved = show(str(folder), "gb300-nvl64-inrow", "--resolved")
    assert "extends:" not in resolved.split("\n", 1)[1] and "rack:" in resolved
    for text in (changes, resolved):
        (folder / "variant.yaml").write_text(text)
        again = load_programme(folder).catalog.designs["gb300-nvl64-inrow"]
        assert again.model_copy(update={"extends": original.extends}) == original


# ----- the changes are the inverse of applying them -----------------------------------------------------

CDUS = ["vertiv-xdu1350", "coolit-chx1500", "supermicro-in-rack-cdu-250kw"]


@st.composite
def variants(draw: st.DrawFn, base: RackDesign, extra_refs: list[str]) -> dict[str, object]:
    refs = [i.ref for i in base.items]
    removed = draw(st.lists(st.sampled_from(refs), unique=True, max_size=len(refs) - 1))
    kept = [r for r in refs if r not in removed]
    recount = draw(st.dictionaries(st.sampled_from(kept), st.integers(1, 40), max_size=3))
    added = draw(st.lists(st.sampled_from([r for r in extra_refs if r not in refs]), unique=True, max_size=3))
    record: dict[str, object] = {"id": "v", "extends": base.id}
    if removed:
        record["remove_items"] = removed
    if recount:
        record["set_quantities"] = recount
    if added:
        record["add_items"] = [{"ref": r, "quantity": draw(st.integers(1, 9))} for r in added]
    if draw(st.booleans()):
        record["cooling"] = {"cdu": draw(st.sampled_from(CDUS)), "supply_temp_c": draw(st.integers(20, 45))}
    if draw(st.booleans()):
        record["year"] = draw(st.integers(2020, 2035))
    return record


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_design_changes_give_back_the_variant(data: st.DataObject, catalog) -> None:  # type: ignore[no-untyped-def]
    base = catalog.designs[data.draw(st.sampled_from(sorted(catalog.designs)))]
    record = data.draw(variants(base, sorted(catalog.parts)[:40]))
    changes = DesignChanges.model_validate({k: record[k] for k in DESIGN_CHANGE_KEYS if k in record})
    merged, problems = apply_changes(design_data(base), record, changes)
    assert problems == []
    variant = RackDesign.model_validate(merged)
    written = design_changes(base, variant)
    again, problems = apply_changes(design_data(base), written, DesignChanges.model_validate(
        {k: written[k] for k in DESIGN_CHANGE_KEYS if k in written}))
    assert problems == [] and RackDesign.model_validate(again) == variant
    # items the variant changes, and only those, are named
    named = {*written.get("remove_items", []), *written.get("set_quantities", {}),  # type: ignore[misc]
             *(i["ref"] for i in written.get("add_items", []))}  # type: ignore[attr-defined]
    quantities = {i.ref: i.quantity for i in base.items}
    assert named == {i.ref for i in variant.items if quantities.get(i.ref) != i.quantity} | (
        set(quantities) - {i.ref for i in variant.items})


def test_the_editor_schema_accepts_a_variant_and_refuses_a_misspelt_field() -> None:
    import jsonschema

    from rackforge.cli.schema_cmd import programme_file_schema

    validator = jsonschema.Draft202012Validator(programme_file_schema())
    assert list(validator.iter_errors(yaml.safe_load(WORKED_EXAMPLE))) == []
    misspelt = yaml.safe_load(WORKED_EXAMPLE.replace("set_quantities:", "set_quantity:"))
    assert list(validator.iter_errors(misspelt))
