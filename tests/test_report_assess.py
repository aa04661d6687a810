"""``rackforge assess``: results.json against its schema, a traceable executive summary, a self-contained
HTML file, the workbook, atomic writing and sections that are absent when their analysis is."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openpyxl import load_workbook

from rackforge.io.loader import load_programme
from rackforge.report.assess import AssessmentRun, run_assessment
from rackforge.report.framework import AssessOptions, Section, SectionOutput
from rackforge.report.sections import SECTIONS
from rackforge.report.summary import resolve
from rackforge.report.write import results_schema, write_report

DATA = Path(__file__).parent / "data"
FAKE_PLOTLY = "window.Plotly = {newPlot: function () {}, Plots: {resize: function () {}}};"


@pytest.fixture(scope="module")
def evalmini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("prog") / "evalmini"
    shutil.copytree(DATA / "mini", dest)
    for f in (DATA / "evaluate").glob("*.yaml"):
        shutil.copy(f, dest / f.name)
    plan = dest / "programme.yaml"
    plan.write_text(plan.read_text().replace("2027Q2: {mini-rack: 3}", "2027Q2: {mini-rack: 3, eval-b: 2}"))
    return dest


@pytest.fixture(scope="module")
def assessment(evalmini: Path) -> AssessmentRun:
    return run_assessment(load_programme(evalmini), AssessOptions(scenarios=200, seed=7))


@pytest.fixture(scope="module")
def written(assessment: AssessmentRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report(assessment, out)
    return out


def test_results_json_validates_against_the_published_schema(written: Path) -> None:
    results = json.loads((written / "results.json").read_text())
    schema = json.loads((written / "results.schema.json").read_text())
    assert schema == results_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(results), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert {"programme", "generations", "evaluation", "sourcing"} <= set(results["sections"])


def test_schema_rejects_what_it_should(assessment: AssessmentRun) -> None:
    validator = jsonschema.Draft202012Validator(results_schema())
    broken = json.loads(json.dumps(assessment.results))
    broken["sections"]["generations"]["designs"][0]["capital_basis"] = "guess"
    del broken["sections"]["evaluation"]["top"]
    broken["surprise"] = 1
    messages = " ".join(e.message for e in validator.iter_errors(broken))
    assert "'guess' is not one of" in messages and "'top' is a required property" in messages
    assert "surprise" in messages


def _numbers_in(value: Any, out: list[float]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _numbers_in(k, out)
            _numbers_in(v, out)
    elif isinstance(value, list):
        for v in value:
            _numbers_in(v, out)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        out.append(float(value))
    elif isinstance(value, str):
        out.extend(float(m.replace(",", "")) for m in re.findall(r"\d[\d,]*(?:\.\d+)?", value))


NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def test_every_number_in_the_summary_is_in_results_json(written: Path) -> None:
    results = json.loads((written / "results.json").read_text())
    sentences = results["executive_summary"]["sentences"]
    assert {s["topic"] for s in sentences} >= {"plan", "cost", "evaluation", "action"}
    elsewhere = {k: v for k, v in results.items() if k != "executive_summary"}
    known: list[float] = []
    _numbers_in(elsewhere, known)
    cards = [{"text": f"{c['figure']} {c['detail']}"} for c in results["executive_summary"]["headlines"]]
    for sentence in sentences + cards:
        for token in NUMBER.findall(sentence["text"]):
            shown = float(token.replace(",", ""))
            decimals = len(token.split(".")[1]) if "." in token else 0
            found = any(round(v / scale, decimals) == shown for v in known for scale in (1, 1e3, 1e6, 1e9, 0.01))
            assert found, f"{token!r} in {sentence['text']!r} is not in results.json"


def test_each_summary_fact_resolves_to_its_displayed_value(written: Path) -> None:
    results = json.loads((written / "results.json").read_text())
    facts = results["executive_summary"]["facts"]
    text = " ".join([s["text"] for s in results["executive_summary"]["sentences"]]
                    + [f"{c['figure']} {c['detail']}" for c in results["executive_summary"]["headlines"]])
    assert facts
    for name, fact in facts.items():
        raw = resolve(results, fact["pointer"])
        assert raw == fact["value"], name
        assert f"{round(raw / fact['scale'], fact['decimals']):,.{fact['decimals']}f}" == fact["display"]
        assert fact["display"] in text, name
    # the capital figure is the plan's: Σ racks × capital per rack, by hand for the mini rack
    gens = results["sections"]["generations"]
    mini = next(d for d in gens["designs"] if d["design"] == "mini-rack")
    assert mini["capital_usd"] == pytest.approx(8 * 60_000 + 16 * 300 + 2 * 9_000)
    assert gens["programme_capital_usd"] == pytest.approx(sum(d["racks_planned"] * d["capital_usd"]
                                                              for d in gens["designs"]))
    assert mini["racks_planned"] == 5


def _points(traces: list[dict[str, Any]]) -> int:
    """Data points a figure holds: x/y/values/z entries and Sankey link values."""
    count = 0
    for t in traces:
        count += sum(len(t.get(k) or []) for k in ("x", "y", "values"))
        count += sum(1 for row in (t.get("z") or []) for v in (row if isinstance(row, list) else [row])
                     if v is not None)
        count += len((t.get("link") or {}).get("value") or [])
    return count


def test_html_is_self_contained_and_every_chart_has_data(written: Path) -> None:
    html = (written / "report.html").read_text()
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert "@import" not in html and "cdn.plot.ly" not in html.replace("https://cdn.plot.ly", "")
    assert html.count("<script>") >= 2 and "Plotly.newPlot" in html
    assert "@media print" in html
    divs = re.findall(r'<div class="chart" id="([^"]+)" data-figure="([^"]+)"', html)
    blocks = dict(re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S))
    assert len(divs) >= 5
    for div_id, figure_id in divs:
        spec = json.loads(blocks[figure_id])
        assert spec["data"], div_id
        assert _points(spec["data"]) > 0, div_id
    assert (written / "report.html").stat().st_size < 10_000_000


def test_html_escapes_data(evalmini: Path, tmp_path: Path) -> None:
    prog = tmp_path / "p"
    shutil.copytree(evalmini, prog)
    f = prog / "programme.yaml"
    f.write_text(f.read_text().replace("name: Mini programme", "name: \"Mini <script>alert(1)</script> & co\""))
    assessment = run_assessment(load_programme(prog), AssessOptions(scenarios=10))
    from rackforge.report.html import render_html

    html = render_html(assessment, plotly_js=FAKE_PLOTLY)
    assert "<script>alert(1)</script>" not in html
    assert "Mini &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_workbook_holds_the_tables_with_the_same_numbers(written: Path) -> None:
    results = json.loads((written / "results.json").read_text())
    book = load_workbook(written / "results.xlsx", read_only=True)
    assert book.sheetnames[0] == "About"
    assert {"build_plan", "generations", "evaluation_scores", "options", "decisions"} <= set(book.sheetnames)
    rows = list(book["generations"].iter_rows(values_only=True))
    header = rows[0]
    assert not [h for h in header if "_" in h], header  # human headers with units, raw numbers below
    capital = {r[header.index("Design")]: r[header.index("Capital per rack [USD]")] for r in rows[1:]}
    for d in results["sections"]["generations"]["designs"]:
        assert capital[d["design"]] == pytest.approx(d["capital_usd"])


def test_absent_analysis_is_listed_not_faked(evalmini: Path) -> None:
    calls: list[str] = []

    def never(ctx: Any) -> SectionOutput:
        calls.append("ran")
        raise AssertionError("an absent section must not run")

    ghost = Section("ghost", "Ghost analysis", never, requires=("rackforge.no_such_analysis",))
    result = run_assessment(load_programme(evalmini), sections=[*SECTIONS, ghost])
    assert not calls
    assert "ghost" not in result.results["sections"]
    assert {"key": "ghost", "title": "Ghost analysis",
            "reason": "analysis not installed (rackforge.no_such_analysis)"} in result.results["absent"]
    coverage = [s["text"] for s in result.results["executive_summary"]["sentences"] if s["topic"] == "coverage"]
    assert coverage and "Ghost analysis" in coverage[0]


def test_programme_without_evaluations_has_no_evaluation_section(tmp_path: Path) -> None:
    prog = tmp_path / "m"
    shutil.copytree(DATA / "mini", prog)
    result = run_assessment(load_programme(prog))
    assert "evaluation" not in result.results["sections"]
    assert any(a["key"] == "evaluation" and "evaluations" in a["reason"] for a in result.results["absent"])
    jsonschema.validate(result.results, results_schema())


def test_failed_write_leaves_the_folder_as_it_was(assessment: AssessmentRun, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("old")
    import rackforge.report.workbook as workbook

    def boom(*_a: Any, **_k: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(workbook, "write_workbook", boom)
    with pytest.raises(OSError):
        write_report(assessment, out, plotly_js=FAKE_PLOTLY)
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]
    assert (out / "results.json").read_text() == "old"


def test_cli_writes_the_three_files_and_json_mode_prints_only_json(evalmini: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-report"
    result = subprocess.run([sys.executable, "-m", "rackforge", "assess", str(evalmini), "-o", str(out),
                             "--scenarios", "100", "--json"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"report.html", "results.json", "results.xlsx", "results.schema.json"} == set(data["files"])
    assert all((out / name).stat().st_size > 0 for name in data["files"])
    assert json.loads((out / "results.json").read_text())["options"]["monte_carlo_scenarios"] == 100


def test_cli_bad_input_exits_2(evalmini: Path, tmp_path: Path) -> None:
    prog = tmp_path / "bad"
    shutil.copytree(evalmini, prog)
    f = prog / "evaluations.yaml"
    f.write_text(f.read_text().replace("design: eval-a", "design: eval-z"))
    result = subprocess.run([sys.executable, "-m", "rackforge", "assess", str(prog), "-o", str(tmp_path / "o")],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 2 and "eval-z" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o" / "report.html").exists()


def test_bad_input_is_reported_before_any_analysis_runs(evalmini: Path, tmp_path: Path) -> None:
    from rackforge.errors import InputError

    prog = tmp_path / "bad-first"
    shutil.copytree(evalmini, prog)
    f = prog / "evaluations.yaml"
    f.write_text(f.read_text().replace("- system: sys-a", "- system: sys-zz"))
    calls: list[str] = []

    def spy(ctx: Any) -> SectionOutput:
        calls.append("ran")
        return SectionOutput(data={})

    with pytest.raises(InputError, match="sys-zz"):
        run_assessment(load_programme(prog), sections=[Section("spy", "Spy", spy), *SECTIONS])
    assert calls == []


def test_a_one_thread_highs_solve_works_after_another_analysis_started_more_threads() -> None:
    """HiGHS's thread scheduler is per process: the pipeline releases it between sections."""
    import highspy

    from rackforge.report.assess import reset_solver_threads

    def solve(threads: int | None) -> Any:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        if threads:
            h.setOptionValue("threads", threads)
        h.addVar(0, 10)
        h.changeColCost(0, -1.0)
        h.changeColIntegrality(0, highspy.HighsVarType.kInteger)
        h.run()
        return h.getModelStatus()

    highspy.Highs.resetGlobalScheduler(True)
    assert solve(2) == highspy.HighsModelStatus.kOptimal  # scheduler started with 2 threads
    reset_solver_threads()
    assert solve(1) == highspy.HighsModelStatus.kOptimal
