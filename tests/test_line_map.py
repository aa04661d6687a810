"""Line maps kept by the loader: errors found after loading name the file and line without reading files again.

The loader keeps each section's line map in the programme (:class:`rackforge.linemap.SectionLines`);
``Programme.problem(path, message)`` locates a path by its deepest known ancestor. These tests edit
programmes in ``tmp_path`` so that the lines asked for are known, then (for some) delete the folder
before the analysis runs, proving the line comes from memory.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from factory_synth import FACTORY, line_of, load, write_programme
from rackforge.errors import InputError
from rackforge.io.loader import CATALOG_DIR, REFERENCE_DIR, load_programme
from rackforge.io.yaml import parse_yaml
from rackforge.linemap import UNLOCATED, LineMap, SectionLines, nearest_line, without_repeated_lines
from rackforge.readiness.scoring import assess_programme
from rackforge.resilience.scenarios import check_scenarios
from rackforge.schema import Programme

DATA = Path(__file__).parent / "data"

SCENARIOS = """\
# risk scenarios kept in a sub-folder, after another section, so that lines are not trivial
facility:
  rack_power_limit_w: 150 kW
  floor_rating_kg_m2: 1500
  source: "estimate: test facility"
scenarios:
  events:
    - id: quake
      name: quake
      annual_probability: 0.1
      duration: 2 weeks
      affects:
        sites:
          - mini-acme-austin
          - mini-acme-hsinchuu
      source: "estimate: test event with a typo in its second site"
"""


def scenario_programme(mini: Path, typo: bool = False) -> Path:
    """The mini programme with its facility and a scenario library moved into ``risk/scenarios.yaml``
    (with ``typo``, a misspelt site the loader refuses)."""
    programme_yaml = mini / "programme.yaml"
    text = programme_yaml.read_text()
    start = text.index("facility:")
    programme_yaml.write_text(text[:start] + text[text.index("build_plan:"):])
    (mini / "risk").mkdir()
    path = mini / "risk" / "scenarios.yaml"
    path.write_text(SCENARIOS if typo else SCENARIOS.replace("hsinchuu", "hsinchu"))
    return path


def evaluation_programme(tmp_path: Path) -> Path:
    """The mini programme with the evaluation test designs and section."""
    dest = tmp_path / "evalmini"
    shutil.copytree(DATA / "mini", dest)
    for f in (DATA / "evaluate").glob("*.yaml"):
        shutil.copy(f, dest / f.name)
    return dest


# ---------------------------------------------------------------------------------------------
# the lookup and the compaction


def test_nearest_line_walks_up_to_the_deepest_known_ancestor() -> None:
    lines = {(): 1, ("a",): 1, ("a", 0): 2, ("a", 0, "b"): 3}
    assert nearest_line(lines, ("a", 0, "b")) == 3
    assert nearest_line(lines, ("a", 0, "c", 4)) == 2
    assert nearest_line(lines, ("z",)) == 1
    assert nearest_line({}, ("z",)) is None


@pytest.mark.parametrize("path", sorted([*REFERENCE_DIR.glob("*.yaml"), *CATALOG_DIR.rglob("*.yaml")]),
                         ids=lambda p: p.name)
def test_compacted_map_locates_every_path_on_the_same_line(path: Path) -> None:
    _, full = parse_yaml(path.read_text(encoding="utf-8"), path.name)
    compact = full.compacted()
    assert len(compact.lines) < len(full.lines)
    for field in full.lines:
        assert compact.line_of(field) == full.line_of(field), field
        assert compact.line_of((*field, "below", 0)) == full.line_of(field), field


def test_one_line_records_shrink_to_one_entry() -> None:
    _, lines = parse_yaml("parts:\n  - {id: a, name: b}\n  - id: c\n    name: d\n", "f.yaml")
    kept = without_repeated_lines(lines.lines)
    assert ("parts", 0) in kept and ("parts", 0, "id") not in kept and ("parts", 0, "name") not in kept
    assert kept[("parts", 1, "name")] == 4
    assert LineMap("f.yaml", kept).line_of(("parts", 0, "name")) == 2


# ---------------------------------------------------------------------------------------------
# errors of the whole programme, found on loading (rackforge.io.validate)


def test_bad_scenario_reference_names_file_and_line(mini: Path) -> None:
    path = scenario_programme(mini, typo=True)
    with pytest.raises(InputError) as info:
        load_programme(mini)
    problems = info.value.problems
    assert [(p.file, p.line, p.field) for p in problems] == [
        (str(path), line_of(path, "mini-acme-hsinchuu"), "scenarios.events[0].affects.sites[1]")]
    assert "did you mean 'mini-acme-hsinchu'" in problems[0].message


def test_bad_evaluation_references_name_file_and_line(tmp_path: Path) -> None:
    folder = evaluation_programme(tmp_path)
    path = folder / "evaluations.yaml"
    text = path.read_text()
    text = text.replace("values: {test_yield: 0.95, risk: 0.2}", "values: {test_yield: 0.95, risks: 0.2}")
    text = text.replace("design: eval-b\n      vendor: Other Co", "design: eval-c\n      vendor: Other Co")
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_programme(folder)
    found = {(p.file, p.line, p.field) for p in info.value.problems}
    assert found == {
        (str(path), line_of(path, "risks: 0.2"), "evaluations.systems[1].values.risks"),
        (str(path), line_of(path, "design: eval-c"), "evaluations.systems[2].design"),
    }


def test_bad_factory_route_names_file_and_line(tmp_path: Path) -> None:
    factory = copy.deepcopy(FACTORY)
    factory["routes"][0]["designs"] = ["syn-a", "syn-b", "syn-zz"]
    folder = write_programme(tmp_path / "p", factory=factory)
    with pytest.raises(InputError) as info:
        load(folder)
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.field) == (
        str(folder / "factory.yaml"), line_of(folder / "factory.yaml", "- syn-zz"), "factory.routes[0].designs[2]")


def test_errors_are_located_after_the_folder_is_deleted(mini: Path, tmp_path: Path) -> None:
    """An analysis reads no file again: the lines of a problem it finds come from the loaded programme,
    and the programme's own checks (run again on it) name the same lines."""
    from rackforge.io.validate import factory_problems

    path = scenario_programme(mini)
    scenario_line = line_of(path, "mini-acme-hsinchu")
    programme = load_programme(mini)
    factory_folder = write_programme(tmp_path / "p", extra={"readiness.yaml": {"readiness": {
        "assessments": [{"part": "syn-tray", "site": "syn-us", "answers": []}]}}})
    route_line = line_of(factory_folder / "factory.yaml", "- syn-b")
    site_line = line_of(factory_folder / "readiness.yaml", "site: syn-us")
    synthetic = load(factory_folder)
    shutil.rmtree(mini)
    shutil.rmtree(factory_folder)

    assert check_scenarios(programme) == []
    site = programme.problem(("scenarios", "events", 0, "affects", "sites", 1), "x")
    assert site.render() == f"{path}:{scenario_line}: scenarios.events[0].affects.sites[1]: x"
    route = synthetic.problem(("factory", "routes", 0, "designs", 1), "x")
    assert route.render().startswith(f"{factory_folder / 'factory.yaml'}:{route_line}: ")
    assert synthetic.problem(("readiness", "assessments", 0, "site"), "x").line == site_line
    assert synthetic.factory is not None and factory_problems(synthetic, synthetic.factory) == []
    assert assess_programme(synthetic).rows


# ---------------------------------------------------------------------------------------------
# Programme.problem itself


def test_records_of_list_sections_are_located_by_key(mini: Path) -> None:
    programme = load_programme(mini, builtin_catalog=False)
    problem = programme.problem(("designs", "mini-rack", "power", "shelf"), "test")
    catalog = mini / "catalog.yaml"
    assert (problem.file, problem.line, problem.field) == (
        str(catalog), line_of(catalog, "shelf: mini-shelf"), "designs[0].power.shelf")
    unknown = programme.problem(("designs", "no-such-rack"), "test")
    assert (unknown.file, unknown.line, unknown.field) == (UNLOCATED, None, "designs.no-such-rack")


def test_a_path_below_the_known_lines_falls_back_to_its_deepest_ancestor(mini: Path) -> None:
    path = scenario_programme(mini)
    programme = load_programme(mini)
    deep = programme.problem(("scenarios", "events", 0, "affects", "sites", 7, "more"), "test")
    assert (deep.file, deep.line) == (str(path), line_of(path, "sites:"))
    section = programme.problem(("scenarios", "no_such_key"), "test")
    assert (section.file, section.line) == (str(path), line_of(path, "scenarios:"))


def test_a_programme_built_in_memory_names_the_section_without_a_line(mini: Path) -> None:
    loaded = load_programme(mini)
    in_memory = Programme(**{name: getattr(loaded, name) for name in Programme.model_fields})
    problem = in_memory.problem(("scenarios", "events", 0, "affects", "sites", 1), "unknown site")
    assert (problem.file, problem.line, problem.field) == (UNLOCATED, None, "scenarios.events[0].affects.sites[1]")
    assert problem.render() == "(programme folder): scenarios.events[0].affects.sites[1]: unknown site"


def test_line_maps_are_no_part_of_the_programme_value(mini: Path) -> None:
    path = scenario_programme(mini)
    programme = load_programme(mini)
    bare = programme.with_section_lines(SectionLines())
    assert bare == programme and bare.problem(("scenarios",), "x").file == UNLOCATED
    assert set(programme.model_dump()) == set(Programme.model_fields)
    assert programme.model_dump_json() == bare.model_dump_json()
    copied = copy.deepcopy(programme)
    assert copied.problem(("scenarios", "events"), "x").file == str(path)
    updated = programme.model_copy(update={"root": None})
    assert updated.problem(("scenarios", "events"), "x").file == str(path)
