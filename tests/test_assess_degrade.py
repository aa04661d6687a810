"""``rackforge assess`` degrades instead of dying: a section that raises or runs past its time budget is
listed as not assessed (results.json, HTML, workbook, executive summary) and the rest is written; the
exit status says so (3). Bad input still stops everything before any analysis (exit 2). Also: the
factory section's Student-t quantile without scipy.stats."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from rackforge.io.loader import load_programme
from rackforge.report.assess import run_assessment
from rackforge.report.framework import AssessOptions, Section, SectionOutput
from rackforge.report.sections import SECTIONS
from rackforge.report.write import results_schema, write_report

DATA = Path(__file__).parent / "data"
FAKE_PLOTLY = "window.Plotly = {newPlot: function () {}, Plots: {resize: function () {}}};"


def _boom(_ctx: Any) -> SectionOutput:
    raise RuntimeError("solver library crashed\nwith two lines")


def _slow(_ctx: Any) -> SectionOutput:
    time.sleep(30)
    return SectionOutput(data={})


def _quick(_ctx: Any) -> SectionOutput:
    return SectionOutput(data={"ok": True})


def _section(key: str, run: Any) -> Section:
    return Section(key, f"{key.title()} analysis", run, question=f"{key}?")


@pytest.fixture(scope="module")
def degraded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    prog = tmp_path_factory.mktemp("prog") / "mini"
    shutil.copytree(DATA / "mini", prog)
    sections = [_section("broken", _boom), _section("slow", _slow), _section("fine", _quick)]
    options = AssessOptions(scenarios=100, section_budget_s=0.5)
    start = time.perf_counter()
    run = run_assessment(load_programme(prog), options, sections=sections)
    assert time.perf_counter() - start < 10  # the slow section was stopped at its budget
    out = tmp_path_factory.mktemp("out")
    write_report(run, out, plotly_js=FAKE_PLOTLY)
    return run, out


def test_a_failing_and_a_slow_section_are_not_assessed_and_the_rest_is_written(degraded: tuple[Any, Path]) -> None:
    run, out = degraded
    results = json.loads((out / "results.json").read_text())
    jsonschema.validate(results, results_schema())
    assert list(results["sections"]) == ["fine"]
    absent = {a["key"]: a for a in results["absent"]}
    assert absent["broken"]["status"] == "failed"
    assert absent["broken"]["reason"] == ("not assessed: the analysis failed (RuntimeError: solver library "
                                          "crashed with two lines)")
    assert absent["slow"]["status"] == "out of time"
    assert "time budget of 0.5 s" in absent["slow"]["reason"]
    assert [a["key"] for a in run.skipped] == ["broken", "slow"]
    coverage = [s["text"] for s in results["executive_summary"]["sentences"] if s["topic"] == "coverage"]
    assert coverage and "Broken analysis" in coverage[0] and "Slow analysis" in coverage[0]
    html = (out / "report.html").read_text()
    assert "Not assessed" in html and "time budget of 0.5 s" in html and "RuntimeError" in html
    about = [row for row in load_workbook(out / "results.xlsx")["About"].iter_rows(values_only=True)]
    assert any(r[0] == "Slow analysis" and "time budget" in str(r[1]) for r in about)
    assert results["options"]["section_budget_s"] == 0.5


def test_a_later_section_still_runs_after_a_failure(degraded: tuple[Any, Path]) -> None:
    run, _ = degraded
    assert [s.key for s, _ in run.sections] == ["fine"]
    assert "fine" in run.timings_s


def test_cli_writes_the_report_and_exits_3_when_a_section_is_skipped(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import rackforge.report.sections as sections_mod
    from rackforge.cli import cli

    prog = tmp_path / "mini"
    shutil.copytree(DATA / "mini", prog)
    kept = [s for s in SECTIONS if s.key == "programme"]
    monkeypatch.setattr(sections_mod, "SECTIONS", [*kept, _section("broken", _boom)])
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["assess", str(prog), "-o", str(out), "--scenarios", "100", "--json"],
                                standalone_mode=False)
    assert result.exception is None or getattr(result.exception, "exit_code", None) == 4
    assert result.return_value == 4 or result.exit_code == 4
    data = json.loads(result.stdout)
    assert [a["key"] for a in data["not_assessed"]] == ["broken"]
    assert (out / "report.html").exists() and (out / "results.xlsx").exists()
    assert "programme" in json.loads((out / "results.json").read_text())["sections"]


def test_bad_input_still_stops_everything_before_any_analysis(tmp_path: Path) -> None:
    from rackforge.errors import InputError, Problem
    from rackforge.report.assess import run_section

    def bad_input(_ctx: Any) -> SectionOutput:
        raise InputError([Problem("programme.yaml", 3, "build_plan", "no design 'x'")])

    with pytest.raises(InputError):
        run_section(_section("bad", bad_input), None, 5.0)  # type: ignore[arg-type]


def test_report_solve_options_derive_from_the_section_budget() -> None:
    from rackforge.optimize.policy import report_solve_options

    assert report_solve_options(300.0).time_limit_s == 15.0
    assert report_solve_options(10.0).time_limit_s == 1.0
    assert report_solve_options(1e6).time_limit_s == 120.0
    assert report_solve_options(300.0, gap=0.01, time_limit_s=7.0).mip_rel_gap == 0.01
    assert report_solve_options(300.0, time_limit_s=7.0).time_limit_s == 7.0


@pytest.mark.parametrize(("dof", "level", "tabulated"), [
    (1, 0.95, 12.706), (2, 0.95, 4.303), (4, 0.99, 4.604), (9, 0.95, 2.262), (19, 0.90, 1.729),
    (29, 0.95, 2.045), (99, 0.95, 1.984)])
def test_factory_confidence_interval_uses_the_tabulated_student_t(dof: int, level: float, tabulated: float) -> None:
    import math

    import numpy as np

    from rackforge.factory.sim import mean_ci

    values = np.zeros(dof + 1)
    values[0] = 1.0  # s / √n known in closed form
    n = dof + 1
    sd = float(np.std(values, ddof=1))
    mean, half = mean_ci(values, level)
    assert mean == pytest.approx(1 / n)
    assert half / (sd / math.sqrt(n)) == pytest.approx(tabulated, abs=1e-3)


def test_the_least_cost_plan_gets_a_quarter_of_the_budget() -> None:
    from rackforge.optimize.policy import report_foot_solve_options

    assert report_foot_solve_options(300.0).time_limit_s == 75.0
    assert report_foot_solve_options(300.0, time_limit_s=7.0).time_limit_s == 7.0
    assert report_foot_solve_options(1e6).time_limit_s == 120.0


def test_a_programme_with_no_sources_passes_check_and_assess_leaves_the_supply_sections_out(tmp_path: Path) -> None:
    """The reference programme without sources.yaml: ``check`` passes, so ``assess`` must not stop on it; the
    sourcing, resilience and optimiser sections are left out with the reason (not failed: exit 0), the others
    run (the factory, with no sources to cap material, releases the whole plan)."""
    import rackforge
    from rackforge.cli import cli
    from rackforge.report.framework import NO_SOURCES

    prog = tmp_path / "nosources"
    shutil.copytree(Path(rackforge.__file__).parent / "reference", prog)
    (prog / "sources.yaml").unlink()
    assert not load_programme(prog).sources
    assert CliRunner().invoke(cli, ["check", str(prog)]).exit_code == 0
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, ["assess", str(prog), "-o", str(out), "--scenarios", "100", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["not_assessed"] == []
    results = json.loads((out / "results.json").read_text())
    supply = {"sourcing", "resilience", "optimize"}
    assert {a["key"]: a["reason"] for a in results["absent"]} == dict.fromkeys(supply, NO_SOURCES)
    assert not supply & set(results["sections"])
    assert {"engineering", "generations", "factory"} <= set(results["sections"])
    coverage = next(s["text"] for s in results["executive_summary"]["sentences"] if s["topic"] == "coverage")
    assert coverage.count(f"({NO_SOURCES})") == 3
    assert "Not assessed" in (out / "report.html").read_text(encoding="utf-8")
