"""Safe YAML reading: line numbers for fields, refusals with locations."""

from __future__ import annotations

import pytest

from rackforge.errors import InputError
from rackforge.io import yaml as yamlio
from rackforge.io.yaml import dotted, parse_yaml


def test_line_map_points_at_keys_and_items() -> None:
    text = "parts:\n  - id: a\n    power_w: 5\n  - id: b\n    ports:\n      - kind: x\n"
    data, lines = parse_yaml(text, "f.yaml")
    assert data["parts"][1]["ports"][0]["kind"] == "x"
    assert lines.line_of(("parts", 0, "power_w")) == 3
    assert lines.line_of(("parts", 1)) == 4
    assert lines.line_of(("parts", 1, "ports", 0, "kind")) == 6
    # a path below a scalar falls back to its nearest located ancestor
    assert lines.line_of(("parts", 0, "power_w", "deeper")) == 3


def test_dotted_paths() -> None:
    assert dotted(("designs", 0, "power", "shelf")) == "designs[0].power.shelf"


def test_several_documents_are_refused() -> None:
    with pytest.raises(InputError, match="several YAML documents"):
        parse_yaml("a: 1\n---\nb: 2\n", "f.yaml")


def test_billion_laughs_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    # a small budget keeps the test fast; the mechanism is the same at the real limit
    monkeypatch.setattr(yamlio, "MAX_NODES", 10_000)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(InputError, match="more than 10,000 values"):
        parse_yaml("\n".join(lines) + "\n", "bomb.yaml")


def test_merge_keys_are_refused() -> None:
    with pytest.raises(InputError, match="merge keys"):
        parse_yaml("base: &b {x: 1}\nother:\n  <<: *b\n", "m.yaml")


def test_dates_and_numbers_are_plain_values() -> None:
    data, _ = parse_yaml("d: 2027-03-01\nn: 1.5\nb: true\n", "v.yaml")
    assert str(data["d"]) == "2027-03-01" and data["n"] == 1.5 and data["b"] is True
