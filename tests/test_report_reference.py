"""``rackforge assess`` on the built-in reference programme: every installed analysis appears as a
section, results.json validates, the summary is traceable, every chart holds data."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from rackforge.io.loader import load_programme
from rackforge.report.assess import AssessmentRun, run_assessment
from rackforge.report.framework import AssessOptions
from rackforge.report.sections import SECTIONS
from rackforge.report.summary import resolve
from rackforge.report.write import results_schema, write_report


@pytest.fixture(scope="module")
def assessment() -> AssessmentRun:
    return run_assessment(load_programme(None), AssessOptions(scenarios=500, seed=11))


@pytest.fixture(scope="module")
def written(assessment: AssessmentRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference-report")
    write_report(assessment, out)
    return out


def test_every_installed_analysis_with_data_is_a_section(assessment: AssessmentRun) -> None:
    programme = assessment.programme
    ran = {s.key for s, _ in assessment.sections}
    for section in SECTIONS:
        expected = section.absent_reason(programme) is None
        assert (section.key in ran) == expected, section.key
    assert {"programme", "sourcing", "generations", "evaluation"} <= ran
    assert {a["key"] for a in assessment.absent} == {s.key for s in SECTIONS} - ran


def test_reference_results_validate_and_summary_is_traceable(written: Path) -> None:
    results = json.loads((written / "results.json").read_text())
    jsonschema.Draft202012Validator(results_schema(), format_checker=jsonschema.FormatChecker()).validate(results)
    summary = results["executive_summary"]
    text = " ".join([s["text"] for s in summary["sentences"]]
                    + [f"{c['figure']} {c['detail']}" for c in summary["headlines"]])
    for name, fact in summary["facts"].items():
        raw = resolve(results, fact["pointer"])
        assert raw == fact["value"], name
        assert f"{round(raw / fact['scale'], fact['decimals']):,.{fact['decimals']}f}" == fact["display"] in text
    topics = {s["topic"] for s in summary["sentences"]}
    assert {"plan", "cost", "domestic", "risk", "evaluation"} <= topics
    for key, topic in (("engineering", "engineering"), ("factory", "factory"), ("readiness", "readiness")):
        assert (key in results["sections"]) == (topic in topics)


def _points(traces: list[dict[str, Any]]) -> int:
    count = 0
    for t in traces:
        count += sum(len(t.get(k) or []) for k in ("x", "y", "values"))
        count += sum(1 for row in (t.get("z") or []) for v in (row if isinstance(row, list) else [row])
                     if v is not None)
        count += len((t.get("link") or {}).get("value") or [])
    return count


def test_every_chart_of_the_reference_report_holds_data(written: Path, assessment: AssessmentRun) -> None:
    html = (written / "report.html").read_text()
    divs = re.findall(r'<div class="chart" id="([^"]+)" data-figure="([^"]+)"', html)
    blocks = dict(re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S))
    assert len(divs) == sum(len(out.charts) for _, out in assessment.sections) >= 8
    for div_id, figure_id in divs:
        assert _points(json.loads(blocks[figure_id])["data"]) > 0, div_id
    assert (written / "report.html").stat().st_size < 10_000_000


def test_tco_uses_the_landed_prices_of_the_sourcing_analysis(assessment: AssessmentRun) -> None:
    results = assessment.results["sections"]
    landed = {d["design"]: d["cost_per_rack_usd"] for d in results["sourcing"]["designs"]}
    for row in results["generations"]["designs"]:
        # hardware = the sourcing analysis's landed component cost per rack (same prices, same quantities)
        assert row["hardware_usd"] == pytest.approx(landed[row["design"]], rel=1e-6)
        assert row["capital_usd"] == pytest.approx(row["hardware_usd"] + row["integration_usd"])


def test_supply_flows_conserve_the_plan_spend(assessment: AssessmentRun) -> None:
    """Σ flows into a design = racks planned × its landed component cost per rack (no spend lost or invented)."""
    sourcing = assessment.results["sections"]["sourcing"]
    plan = assessment.programme.build_plan
    for design in sourcing["designs"]:
        flows = sum(f["plan_spend_usd"] for f in sourcing["supply_flows"] if f["design"] == design["design"])
        racks = sum(plan.racks(design["design"]).values())
        assert flows == pytest.approx(racks * design["cost_per_rack_usd"], rel=1e-6)
    by_country = sum(c["plan_spend_usd"] for c in sourcing["plan_spend_by_country"])
    assert by_country == pytest.approx(sourcing["plan_component_spend_usd"], rel=1e-9)
    assert sum(c["share"] for c in sourcing["plan_spend_by_country"]) == pytest.approx(1.0, abs=1e-5)


def test_evaluation_and_generations_agree_on_tco(assessment: AssessmentRun) -> None:
    """A system costed from its bill of materials has the TCO of its design in 'generations', and
    `rackforge evaluate` on its own gives the report's numbers."""
    from rackforge.evaluate.analysis import evaluate

    sections = assessment.results["sections"]
    generations = {d["design"]: d for d in sections["generations"]["designs"]}
    standalone = {s.id: s for s in evaluate(assessment.programme).systems}
    bom_systems = [s for s in sections["evaluation"]["systems"] if s["tco"]["capital_basis"] == "bom"]
    assert bom_systems
    for system in bom_systems:
        assert system["tco"]["total_usd"] == pytest.approx(generations[system["design"]]["total_usd"], rel=1e-9)
    for system in sections["evaluation"]["systems"]:
        assert standalone[system["id"]].score == pytest.approx(system["score"], rel=1e-9)
        assert standalone[system["id"]].tco.total_usd == pytest.approx(system["tco"]["total_usd"], rel=1e-9)


def _figures(written: Path) -> dict[str, dict[str, Any]]:
    html = (written / "report.html").read_text()
    blocks = dict(re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S))
    return {k.removesuffix("-figure"): json.loads(v) for k, v in blocks.items()}


def _numbers(values: Any) -> list[float]:
    return [float(v) for v in (values or []) if isinstance(v, int | float) and not isinstance(v, bool)]


def test_explicit_axis_ranges_hold_every_point_with_a_margin(written: Path) -> None:
    """Where a chart fixes an axis range, every marker lies inside it with a margin (no point on or over an
    axis), and every bar (with its error bar) ends inside it. Autoranged axes are checked in the browser."""
    checked = 0
    for name, spec in _figures(written).items():
        layout = spec["layout"]
        for trace in spec["data"]:
            for letter in ("x", "y"):
                axis = layout.get(f"{letter}axis" + (trace.get(f"{letter}axis", letter)[1:]), {})
                if "range" not in axis or axis.get("type") in ("category", "date"):
                    continue
                lo, hi = axis["range"]
                values = _numbers(trace.get(letter))
                if not values:
                    continue
                checked += 1
                span = hi - lo
                mode = trace.get("mode", "")
                if trace.get("type") == "bar":
                    errors = _numbers((trace.get(f"error_{letter}") or {}).get("array")) or [0.0] * len(values)
                    tops = [v + e for v, e in zip(values, errors, strict=False)]
                    assert lo <= min(0.0, *values) and max(tops) <= hi, (name, letter, axis["range"], max(tops))
                elif "markers" in mode:
                    margin = 0.01 * span
                    assert lo + margin <= min(values) and max(values) <= hi - margin, (name, letter, axis["range"])
    assert checked >= 5


def test_the_reference_headlines_agree_with_the_details(assessment: AssessmentRun, written: Path) -> None:
    results = assessment.results
    sections = results["sections"]
    summary = results["executive_summary"]
    text = " ".join(s["text"] for s in summary["sentences"])
    cards = {c["topic"]: c for c in summary["headlines"]}
    # engineering: a design with a warning does not 'pass every check'
    designs = sections["engineering"]["designs"]
    clean = sum(all(f["status"] == "pass" for f in d["findings"]) for d in designs)
    assert f"{clean} of {len(designs)} designs pass every engineering check" in text
    assert cards["Does it work"]["figure"] == f"{clean} of {len(designs)} designs pass every check"
    # optimiser: the star, the data, the notes and the summary agree on the knee
    optimize = sections["optimize"]
    figure = _figures(written)["chart-optimize-cost-of-resilience"]
    star = any(t.get("name") == "knee" for t in figure["data"])
    assert star == ("knee" in optimize) == ("knee of the cost curve" in text)
    if "knee" in optimize:
        assert optimize["knee"]["extra_cost_usd"] > optimize["gap_usd"]
    elif "knee_within_gap" in optimize:
        assert any("no knee is marked" in n for n in optimize["notes"])
    # Monte Carlo: the probability of missing more than 1% comes first, with the expected racks short
    mc = sections["resilience"]["monte_carlo"]["summary"]
    expected = sum(mc["expected_racks_short"].values())
    assert f"{mc['probability_of_shortfall_over_1pct']:.1%}" in text and f"on average {expected:,.1f} of" in text
    # factory: the material limit is stated exactly when material covers less than the build plan
    factory = sections["factory"]
    planned = sum(d["planned_racks"] for d in factory["designs"].values())
    released = sum(d["released"] for d in factory["designs"].values())
    assert factory["material_limit"]["planned_racks"] == planned
    assert factory["material_limit"]["released_racks"] == pytest.approx(released)
    assert ("material allows" in text) == factory["material_limit"]["limited"] == (released < planned)
    simulated = next(out for s, out in assessment.sections if s.key == "factory").analyses["factory"]
    assert factory["headline"] == simulated.headline(factory["confidence_target"])


def test_the_reference_ways_out_reach_the_section_the_summary_and_the_card(assessment: AssessmentRun,
                                                                          written: Path) -> None:
    """The reference's default rules (two sources for critical parts) cannot be met: the optimiser's own
    ways out (``default_rules.explanation.relaxations``) are the section's paragraph and table, the summary
    sentence and the card's detail, in the optimiser's words with the re-solved cost."""
    optimize = assessment.results["sections"]["optimize"]
    explanation = optimize["default_rules"]["explanation"]
    ways = explanation["relaxations"]
    assert explanation["relaxations_searched"] and ways, "the reference's default rules are infeasible"
    output = next(out for s, out in assessment.sections if s.key == "optimize")
    table = next(t for t in output.tables if t.sheet == "ways_out")
    assert list(table.frame["target"]) == [c["target"] for w in ways for c in w["changes"]]
    assert list(table.frame["cost_usd"]) == [w["cost_usd"] for w in ways for _ in w["changes"]]
    assert all(w["message"] in " ".join(output.paragraphs) for w in ways)
    summary = assessment.results["executive_summary"]
    sentence = next(s["text"] for s in summary["sentences"] if s["section"] == "optimize")
    card = next(c for c in summary["headlines"] if c["section"] == "optimize")
    for i, way in enumerate(ways):
        fact = summary["facts"][f"way_out_cost.default_rules.{i}"]
        assert fact["value"] == way["cost_usd"]
        shown = f"{way['message']}, at a least cost of ${fact['display']}{fact['unit'][3:]}"
        assert shown in sentence and shown in card["detail"]
    html = (written / "report.html").read_text(encoding="utf-8")
    assert "<h3>Ways out: the smallest relaxations" in html and "<th>Least cost with this change<span" in html


def test_workbook_keeps_raw_numbers_under_human_headers(assessment: AssessmentRun, written: Path) -> None:
    from openpyxl import load_workbook

    from rackforge.report.tablehtml import column_of

    book = load_workbook(written / "results.xlsx")
    tables = {t.sheet: t for _, out in assessment.sections for t in out.tables}
    sheet = book["bom"]
    header = [c.value for c in sheet[1]]
    assert header == [column_of(tables["bom"], str(c)).header for c in tables["bom"].frame.columns]
    assert "Share of rack cost [%]" in header and "Unit cost (landed) [USD]" in header
    share = header.index("Share of rack cost [%]") + 1
    frame = tables["bom"].frame
    for r in (2, 3, len(frame) + 1):
        cell = sheet.cell(row=r, column=share)
        assert cell.value == pytest.approx(float(frame["share_of_rack"].iloc[r - 2]))  # a fraction, not a percent
        assert cell.number_format == "0.0%"
    for name in book.sheetnames[1:]:
        assert not [h for h in next(book[name].iter_rows(max_row=1, values_only=True)) if h and "_" in str(h)], name
