"""The shipped checklist, the readiness section's validation, and the programme-level report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from factory_synth import load, write_programme
from rackforge.cli import cli
from rackforge.errors import InputError
from rackforge.readiness.scoring import assess_programme
from rackforge.schema.readiness import load_criteria

THREADS = ("technology", "design", "cost", "materials", "process", "quality", "workforce", "facilities", "management")


def test_shipped_checklist_covers_every_thread_and_level():
    criteria = load_criteria()
    assert tuple(t.id for t in criteria.threads) == THREADS
    assert [t.deskbook for t in criteria.threads] == list("ABCDEFGHI")
    for thread in criteria.threads:
        assert {c.level for c in thread.criteria} == set(range(1, 11)), thread.id
    assert "Deskbook" in criteria.source
    assert criteria.levels[8].startswith("Pilot line")


def readiness_file(assessments: list[dict]) -> dict:
    return {"readiness.yaml": {"readiness": {"target_mrl": 8, "assessments": assessments}}}


def test_bad_answers_are_located(tmp_path: Path):
    folder = write_programme(tmp_path / "p", extra=readiness_file([
        {"part": "syn-tray", "site": "syn-us", "answers": [
            {"thread": "design", "through_level": 5, "evidence": "DFM review"},
            {"criterion": "desing.6.a", "met": True, "evidence": "drawing release"},
            {"criterion": "design.7.a", "met": True},
            {"thread": "proces", "through_level": 3, "evidence": "lab study"},
        ]}]))
    with pytest.raises(InputError) as info:
        load(folder)
    rendered = [p.render() for p in info.value.problems]
    text = (folder / "readiness.yaml").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if "desing.6.a" in t)
    assert any(r.startswith(f"{folder / 'readiness.yaml'}:{line}:") and "did you mean 'design.6.a'" in r
               for r in rendered), rendered
    assert any("needs evidence" in r for r in rendered)
    assert any("unknown thread 'proces' (did you mean 'process'?)" in r for r in rendered)


def test_unknown_part_or_site_and_unassessed_sources(tmp_path: Path):
    folder = write_programme(tmp_path / "p", extra=readiness_file([
        {"part": "syn-tray", "site": "syn-us", "answers": [
            {"thread": t, "through_level": 6, "evidence": "pilot build report"} for t in THREADS]},
        {"part": "syn-trya", "site": "syn-uk", "answers": []},
    ]))
    with pytest.raises(InputError) as info:  # found on loading, so 'rackforge check' reports it
        load(folder)
    rendered = [p.render() for p in info.value.problems]
    assert any("unknown part, assembly or design 'syn-trya' (did you mean 'syn-tray'" in r for r in rendered)
    assert any("readiness.yaml:" in r and "unknown site 'syn-uk'" in r for r in rendered), rendered
    data = yaml.safe_load((folder / "readiness.yaml").read_text())
    data["readiness"]["assessments"].pop()
    (folder / "readiness.yaml").write_text(yaml.safe_dump(data))
    result = assess_programme(load(folder))
    assert [(r.part, r.site, r.mrl) for r in result.rows] == [("syn-tray", "syn-us", 6)]
    # the other synthetic US sources have no assessment yet
    assert ("syn-qd", "syn-us") in result.unassessed and ("syn-tray", "syn-us") not in result.unassessed
    heat = result.heatmap()
    assert heat["rows"] == ["syn-tray@syn-us"] and heat["levels"] == [[6] * 9] and heat["mrl"] == [6]
    assert len(result.gaps) == 2 * 9  # levels 7 and 8 in each thread


def test_reference_readiness_report_and_cli():
    runner = CliRunner()
    result = runner.invoke(cli, ["readiness", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {(a["part"], a["site"]): a for a in data["assessments"]}
    assert len(rows) >= 6
    for row in rows.values():
        levels = [v for v in row["levels"].values() if v is not None]
        assert row["mrl"] == min(levels)  # a part stands at its weakest thread
    # the reference rack at Houston misses process.7.a (yields not tracked per serial): process stays at 6
    houston = rows[("gb300-nvl72", "foxconn-houston")]
    assert houston["levels"]["process"] == 6
    assert any(g["criterion"] == "process.7.a" and g["part"] == "gb300-nvl72" for g in data["gaps"])
    text = runner.invoke(cli, ["readiness", "--gaps", "3"])
    assert text.exit_code == 0 and "MRL" in text.output and "more gaps" in text.output


def test_programme_without_assessments_says_how_to_add_them(tmp_path: Path):
    folder = write_programme(tmp_path / "p")
    result = CliRunner().invoke(cli, ["readiness", str(folder)])
    assert result.exit_code == 2
    assert "no readiness assessments" in result.output
