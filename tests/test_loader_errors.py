"""Every bad-input class gives exit status 2 and a message naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from rackforge.core.bom import explode
from rackforge.errors import InputError
from rackforge.io.loader import load_programme
from rackforge.io.yaml import MAX_FILE_BYTES


def load_mini(folder: Path):
    return load_programme(folder, builtin_catalog=False)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not found"
    path.write_text(text.replace(old, new, 1))


def problems_of(folder: Path) -> list:
    with pytest.raises(InputError) as info:
        load_mini(folder)
    return list(info.value.problems)


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_mini_programme_loads(mini: Path) -> None:
    programme = load_mini(mini)
    assert explode(programme.catalog, "mini-rack") == {"mini-gpu-board": 8, "mini-cold-plate": 16, "mini-shelf": 2}
    assert programme.catalog.parts["mini-gpu-board"].power_w == 2700.0
    assert programme.catalog.parts["mini-gpu-board"].liquid_heat_fraction == pytest.approx(0.9)
    assert programme.catalog.parts["mini-cold-plate"].mass_kg == pytest.approx(0.5)


def test_malformed_yaml(mini: Path) -> None:
    edit(mini / "sources.yaml", "    price_usd: 300\n", "    price_usd: [300\n")
    [problem] = problems_of(mini)
    assert problem.file.endswith("sources.yaml")
    assert "malformed YAML" in problem.message
    assert problem.line is not None


def test_unknown_id_with_did_you_mean(mini: Path) -> None:
    edit(mini / "catalog.yaml", "{ref: mini-cold-plate, quantity: 4}", "{ref: cold-plates, quantity: 4}")
    [problem] = problems_of(mini)
    assert problem.file.endswith("catalog.yaml")
    assert problem.line == line_of(mini / "catalog.yaml", "cold-plates")
    assert "unknown part or assembly 'cold-plates'" in problem.message
    assert "did you mean 'mini-cold-plate'" in problem.message


def test_duplicate_id_names_both_places(mini: Path) -> None:
    (mini / "more.yaml").write_text(
        "parts:\n  - id: mini-shelf\n    name: Another shelf\n    category: power\n"
        "    source: 'estimate: duplicate part for the test'\n")
    [problem] = problems_of(mini)
    assert problem.file.endswith("more.yaml") and problem.line == 2
    assert "duplicate" in problem.message and "catalog.yaml:" in problem.message


def test_wrong_unit(mini: Path) -> None:
    edit(mini / "catalog.yaml", "power_w: 2.7 kW", "power_w: 2.7 kg")
    [problem] = problems_of(mini)
    assert problem.field == "parts[0].power_w"
    assert problem.line == line_of(mini / "catalog.yaml", "2.7 kg")
    assert "'kg' is not a unit of this quantity" in problem.message and "kW" in problem.message


def test_missing_unit_in_string(mini: Path) -> None:
    edit(mini / "catalog.yaml", "mass_kg: 500 g", "mass_kg: '500'")
    [problem] = problems_of(mini)
    assert problem.field == "parts[1].mass_kg"
    assert "has no unit" in problem.message


@pytest.mark.parametrize("quantity", ["0", "-3"])
def test_zero_or_negative_quantity(mini: Path, quantity: str) -> None:
    edit(mini / "catalog.yaml", "{ref: mini-tray, quantity: 4}", f"{{ref: mini-tray, quantity: {quantity}}}")
    [problem] = problems_of(mini)
    assert problem.field == "designs[0].items[0].quantity"
    assert problem.line == line_of(mini / "catalog.yaml", f"quantity: {quantity}")
    assert "greater than 0" in problem.message


def test_missing_required_field(mini: Path) -> None:
    edit(mini / "sources.yaml", "    lead_time_weeks: 8\n", "")
    [problem] = problems_of(mini)
    assert problem.field == "sources[1].lead_time_weeks"
    assert problem.message == "required field is missing"
    assert problem.line == line_of(mini / "sources.yaml", "part: mini-cold-plate")


def test_unknown_field_suggests_the_right_one(mini: Path) -> None:
    edit(mini / "sources.yaml", "    lead_time_weeks: 8\n", "    lead_time_wekes: 8\n")
    problems = problems_of(mini)
    messages = " ".join(p.message for p in problems)
    assert "unknown field 'lead_time_wekes'" in messages and "did you mean 'lead_time_weeks'" in messages


def test_circular_assembly(mini: Path) -> None:
    (mini / "loop.yaml").write_text(
        "assemblies:\n"
        "  - id: a\n    name: A\n    kind: module\n    items: [{ref: b}]\n    source: 'estimate: loop test a'\n"
        "  - id: b\n    name: B\n    kind: module\n    items: [{ref: a}]\n    source: 'estimate: loop test b'\n")
    [problem] = problems_of(mini)
    assert problem.file.endswith("loop.yaml")
    assert "circular assembly" in problem.message and "a → b → a" in problem.message.replace("b → a → b", "a → b → a")


def test_source_with_unknown_site(mini: Path) -> None:
    edit(mini / "sources.yaml", "site: mini-acme-hsinchu", "site: mini-acme-taipei")
    [problem] = problems_of(mini)
    assert problem.field == "sources[0].site"
    assert problem.line == line_of(mini / "sources.yaml", "mini-acme-taipei")
    assert "unknown site 'mini-acme-taipei'" in problem.message


def test_empty_file(mini: Path) -> None:
    (mini / "empty.yaml").write_text("# nothing here\n\n")
    [problem] = problems_of(mini)
    assert problem.file.endswith("empty.yaml") and "empty" in problem.message


def test_oversized_file(mini: Path) -> None:
    big = mini / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    [problem] = problems_of(mini)
    assert problem.file.endswith("big.yaml") and "limit" in problem.message


def test_non_utf8_file(mini: Path) -> None:
    (mini / "latin1.yaml").write_bytes("parts:\n  - id: x\n    name: Kühler\n".encode("latin-1"))
    [problem] = problems_of(mini)
    assert problem.file.endswith("latin1.yaml") and problem.line == 3 and "UTF-8" in problem.message


def test_object_constructing_tags_are_refused_not_executed(mini: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (mini / "evil.yaml").write_text(
        f"parts: !!python/object/apply:os.system ['touch {marker}']\n"
        "sites: !!python/name:os.system\n")
    problems = problems_of(mini)
    assert not marker.exists()
    assert len(problems) == 2
    assert all("not allowed" in p.message and p.file.endswith("evil.yaml") for p in problems)


def test_several_mistakes_reported_together(mini: Path) -> None:
    edit(mini / "catalog.yaml", "power_w: 2.7 kW", "power_w: 2.7 kg")
    edit(mini / "sources.yaml", "    lead_time_weeks: 8\n", "")
    edit(mini / "programme.yaml", "rack_power_limit_w: 150 kW", "rack_power_limit_w: -5")
    problems = problems_of(mini)
    assert {p.file.rsplit("/", 1)[-1] for p in problems} == {"catalog.yaml", "sources.yaml", "programme.yaml"}


def test_unknown_section(mini: Path) -> None:
    (mini / "x.yaml").write_text("part:\n  - id: foo\n")
    [problem] = problems_of(mini)
    assert "unknown section 'part'" in problem.message and "did you mean 'parts'" in problem.message


def test_duplicate_yaml_key(mini: Path) -> None:
    edit(mini / "programme.yaml", "  name: Mini programme\n", "  name: Mini programme\n  name: Again\n")
    [problem] = problems_of(mini)
    assert "duplicate key 'name'" in problem.message and problem.line == 3


def test_unknown_design_in_build_plan(mini: Path) -> None:
    edit(mini / "programme.yaml", "2027Q2: {mini-rack: 3}", "2027Q2: {mini-rak: 3}")
    [problem] = problems_of(mini)
    assert "unknown design 'mini-rak'" in problem.message and "mini-rack" in problem.message


def test_missing_section(mini: Path) -> None:
    edit(mini / "programme.yaml", "build_plan:", "build_plan_old:")
    problems = problems_of(mini)
    assert any("unknown section" in p.message for p in problems)


def test_bad_quarter(mini: Path) -> None:
    edit(mini / "programme.yaml", "2027Q2:", "2027Q5:")
    [problem] = problems_of(mini)
    assert "2027Q5" in problem.message and "2027Q1" in problem.message


def test_estimate_without_reasoning_is_refused(mini: Path) -> None:
    edit(mini / "catalog.yaml", 'source: "estimate: test fixture part"', 'source: "estimate"')
    [problem] = problems_of(mini)
    assert problem.field == "parts[0].source" and "reasoning" in problem.message


def test_no_such_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        load_programme(tmp_path / "missing")
