"""Headlines agree with their details: the summary sentences and the one-screen cards are computed from the
same fields as the sections (hand-made results here; the reference report in test_report_reference.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.report.sections.engineering import design_verdicts, section_data, verdict_sentence
from rackforge.report.sections.factory import factory_wording, material_cover
from rackforge.report.sections.optimize import largest_extra_cost, relaxations_block, significant_knee
from rackforge.report.sections.resilience import shortfall_size, shortfall_wording, stacked_points
from rackforge.report.summary import executive_summary


def _summary(sections: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    out = executive_summary({"sections": sections, "absent": []})
    return " ".join(s["text"] for s in out["sentences"]), out["headlines"]


def _design(ident: str, statuses: list[str]) -> dict[str, Any]:
    return {"id": ident, "name": ident.upper(), "findings": [
        {"check": f"c{i}", "status": s, "message": f"{ident} c{i} {s}"} for i, s in enumerate(statuses)]}


# -- engineering: warnings are counted -------------------------------------------------------------

STATUS = st.sampled_from(["pass", "warn", "fail"])


@given(st.lists(st.lists(STATUS, min_size=1, max_size=5), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_engineering_headline_counts_what_the_findings_say(designs_statuses: list[list[str]]) -> None:
    designs = [_design(f"d{i}", s) for i, s in enumerate(designs_statuses)]
    clean = sum(all(s == "pass" for s in st_) for st_ in designs_statuses)
    warned = sum("warn" in st_ and "fail" not in st_ for st_ in designs_statuses)
    failed = sum("fail" in st_ for st_ in designs_statuses)
    text, cards = _summary({"engineering": section_data(designs)})
    assert f"{clean} of {len(designs)} designs pass every engineering check" in text
    assert (f"; {warned} pass" in text) == (warned > 0)
    assert (f"; {failed} fail" in text) == (failed > 0)
    card = next(c for c in cards if c["section"] == "engineering")
    assert card["figure"] == f"{clean} of {len(designs)} designs pass every check"
    assert card["verdict"] == ("bad" if failed else "warn" if warned else "good")
    assert verdict_sentence(design_verdicts(designs), len(designs)).startswith(
        f"{clean} of {len(designs)} designs pass every engineering check")


def test_the_issue_case_reads_three_pass_and_one_with_a_warning() -> None:
    designs = [_design("a", ["pass"]), _design("b", ["pass", "pass"]), _design("c", ["pass"]),
               _design("gb300", ["pass", "warn"])]
    text, _ = _summary({"engineering": section_data(designs)})
    assert "3 of 4 designs pass every engineering check; 1 passes with a warning (gb300: c1)" in text
    assert "4 of 4" not in text


# -- optimiser: a knee only when it exceeds the solver's gap ----------------------------------------

def _curve(extra: list[float]) -> list[dict[str, Any]]:
    return [{"target": 0.01 * i, "cost_usd": 1e9 + e, "extra_cost_usd": e, "country_cap": None}
            for i, e in enumerate(extra)]


def _optimize_section(points: list[dict[str, Any]], knee_target: float | None, gap: float) -> dict[str, Any]:
    data: dict[str, Any] = {"relaxed_rules": [], "least_cost": {"cost_usd": 1e9}, "gap_usd": gap,
                            "cost_of_resilience": {"max_achievable_target": points[-1]["target"], "points": points},
                            "highest_feasible": points[-1], "largest_extra_cost_usd": largest_extra_cost(points)}
    knee = significant_knee(points, knee_target, gap)
    if knee is not None:
        data["knee"] = knee
    return data


def test_a_knee_within_the_gap_is_no_knee_anywhere() -> None:
    points = _curve([0.0, 0.0, 8.3e6, 2.8e6])
    assert significant_knee(points, 0.02, gap_usd=9.17e6) is None
    assert significant_knee(points, 0.02, gap_usd=1e6) == points[2]
    assert significant_knee(points, None, gap_usd=0.0) is None
    assert largest_extra_cost(points) == 8.3e6
    text, cards = _summary({"optimize": _optimize_section(points, 0.02, 9.17e6)})
    assert "knee of the cost curve" not in text and "so the cost curve has no knee" in text
    assert "no knee" in next(c for c in cards if c["section"] == "optimize")["detail"]
    text, cards = _summary({"optimize": _optimize_section(points, 0.02, 1e6)})
    assert "a domestic-content target of 2.0% (the knee of the cost curve) costs $8.30 M more" in text
    assert "knee at a 2.0% domestic target" in next(c for c in cards if c["section"] == "optimize")["detail"]


def test_the_knee_star_follows_the_same_rule() -> None:
    from rackforge.report.sections.optimize import _curve_chart

    points = _curve([0.0, 0.0, 8.3e6, 2.8e6])
    for gap, star in ((9.17e6, False), (1e6, True)):
        knee = significant_knee(points, 0.02, gap)
        figure = _curve_chart(points, knee["target"] if knee else None, gap)
        assert any(t.name == "knee" for t in figure.data) == star


def _ways_out() -> list[dict[str, Any]]:
    """Two ways out as the optimiser writes them (:class:`Relaxation` ``to_dict``)."""
    from rackforge.optimize.relaxations import Relaxation, RelaxedTarget

    lower = RelaxedTarget("domestic content", 0.65, 0.12, "lower the domestic-content target to 12.0 % (asked 65.0 %)")
    off = RelaxedTarget("two sources for critical parts", 0.9, None,
                        "switch the two-source rule for critical parts off (--critical-share 1) (asked 90.0%)")
    cap = RelaxedTarget("country-share cap", 0.5, 0.8, "raise the country-share cap to 80.0 % (asked 50.0 %)")
    return [Relaxation((lower,), 1.2e8).to_dict(), Relaxation((off, cap), 9.17e9).to_dict()]


def test_relaxations_block_shows_the_optimisers_ways_out() -> None:
    assert relaxations_block({}) == ([], None)
    assert relaxations_block({"explanation": {"relaxations": [], "relaxations_searched": True}}) == ([], None)
    ways = _ways_out()
    paragraphs, table = relaxations_block({"explanation": {"relaxations": ways, "relaxations_searched": True}})
    assert paragraphs == [f"A plan exists with any one of these changes: {ways[0]['message']} (least cost $120.00 M); "
                          f"or {ways[1]['message']} (least cost $9.17 B)."]
    assert table is not None
    rows = table.frame.to_dict("records")
    assert [(r["way_out"], r["target"], r["relaxed_to"]) for r in rows] == [
        (1, "domestic content", "12.0%"), (2, "two sources for critical parts", "off"),
        (2, "country-share cap", "80.0%")]
    assert [r["cost_usd"] for r in rows] == [1.2e8, 9.17e9, 9.17e9]
    assert table.columns["relaxed_to"].header == "Relaxed to"


def test_an_infeasible_plan_points_to_its_way_out_in_the_summary() -> None:
    ways = _ways_out()
    section = {"relaxed_rules": [], "least_cost": {"cost_usd": None},
               "default_rules": {"cost_usd": None, "explanation": {"relaxations": ways}}}
    text, cards = _summary({"optimize": section})
    assert (f"no plan meets the build plan; the ways out: {ways[0]['message']}, at a least cost of $120.00 M; or "
            f"{ways[1]['message']}, at a least cost of $9.17 B (see the optimiser section).") in text
    card = next(c for c in cards if c["section"] == "optimize")
    assert card["figure"] == "no feasible plan" and card["detail"].startswith("The ways out: lower the domestic")
    text, _ = _summary({"optimize": {"relaxed_rules": [], "least_cost": {"cost_usd": None}}})
    assert "see the optimiser section for the least-violating plan" in text


def test_a_relaxed_rule_states_its_way_out_in_sentence_and_card() -> None:
    [way, _] = _ways_out()
    section = {"relaxed_rules": ["two sources for critical parts"], "least_cost": {"cost_usd": 9.17e9},
               "default_rules": {"cost_usd": None, "explanation": {"relaxations": [way]}}}
    text, cards = _summary({"optimize": section})
    assert (f"costs $9.17 B once two sources for critical parts is relaxed (no mix meets it); the way out: "
            f"{way['message']}, at a least cost of $120.00 M") in text
    card = next(c for c in cards if c["section"] == "optimize")
    assert f"the way out: {way['message']}, at a least cost of $120.00 M" in card["detail"]


# -- Monte Carlo: the shortfall is stated with its size ----------------------------------------------

def _mc(p_any: float, p_one: float, short: dict[str, float], plan: dict[str, list[int]]) -> dict[str, Any]:
    return {"scenarios": 1000, "summary": {"probability_of_shortfall": p_any,
                                           "probability_of_shortfall_over_1pct": p_one,
                                           "expected_racks_short": short, "expected_value_short_usd": 2.5e7,
                                           "value_at_risk_95_usd": 9e7},
            "designs": {d: [{"plan": r} for r in rows] for d, rows in plan.items()}}


def test_a_small_certain_shortfall_reads_with_its_size() -> None:
    mc = _mc(1.0, 0.05, {"a": 12.0, "b": 5.0}, {"a": [500, 700], "b": [300, 200]})
    size = shortfall_size(mc)
    assert size == {"expected_racks_short": 17.0, "planned_racks": 1700.0, "expected_share_short": 0.01}
    resilience = {"exposed_count": 0, "nodes_tested": 3, "monte_carlo": mc, "shortfall": size}
    text, cards = _summary({"resilience": resilience})
    assert ("Across 1,000 disruption scenarios the plan misses more than 1% of its racks in 5.0% of them "
            "(any shortfall at all: 100.0%); on average 17.0 of 1,700 planned racks (1.0%) are not delivered") in text
    assert "falls short in 100.0%" not in text
    card = next(c for c in cards if c["topic"] == "Monte Carlo")
    assert card["figure"] == "5.0% chance to miss > 1% of racks" and card["verdict"] == "good"
    assert "17.0 racks (1.0% of the plan)" in card["detail"]
    # the section's paragraph says the same numbers
    paragraph = shortfall_wording(mc["summary"], size)
    for number in ("5.0%", "100.0%", "17.0", "1,700", "1.0%"):
        assert number in paragraph


# -- factory: the material limit is stated -----------------------------------------------------------

def _factory(planned: int, released: int, met: float = 1.0) -> dict[str, Any]:
    limit = {"planned_racks": planned, "released_racks": released, "short_racks": planned - released,
             "limited": released < planned, "releases_cut": []}
    data: dict[str, Any] = {
        "designs": {"a": {"first_pass_rack_share": 0.8}, "b": {"first_pass_rack_share": None}},
        "racks_per_week_total": 3.4, "planned_racks_per_week_total": 3.5, "bottleneck": "l11",
        "bottleneck_utilisation": 0.62, "plan_met_share": met, "replications": 10, "material_limit": limit,
        "confidence_target": 0.9, "headline": "(the FactoryResult's headline)"}
    data["material_cover"] = material_cover(data)
    return data


def test_material_covering_part_of_the_plan_leads_the_factory_headline() -> None:
    data = _factory(600, 180)
    assert data["material_cover"] == {"planned_racks": 600.0, "released_racks": 180.0, "short_racks": 420.0,
                                      "material_limited": True, "released_share": 0.3}
    text, cards = _summary({"factory": data})
    assert ("material allows 180 of the 600 racks in the build plan (420 short); for those, the simulated line "
            "ships") in text
    assert "the released racks ship on time in 100% of 10 replications (target 90%)" in text
    assert "the plan is met" not in text
    card = next(c for c in cards if c["section"] == "factory")
    assert card["figure"] == "material for 180 of 600 racks" and card["verdict"] == "bad"
    assert card["detail"].startswith("420 short")
    assert factory_wording(data).startswith("(the FactoryResult's headline). The line ships 3.4 racks per week "
                                            "against 3.5 released")


def test_no_material_limit_no_material_words_and_the_verdict_follows_the_target() -> None:
    data = _factory(400, 400)
    text, cards = _summary({"factory": data})
    assert "material" not in text and "the plan is met in 100% of 10 replications (target 90%)" in text
    assert "; a has the lowest first-pass test yield, 80%" in text  # b has no yield (no racks tested)
    card = next(c for c in cards if c["section"] == "factory")
    assert card["figure"] == "plan met in 100% of runs" and card["verdict"] == "good"
    assert next(c for c in _summary({"factory": _factory(400, 400, met=0.8)})[1]
                if c["section"] == "factory")["verdict"] == "warn"


# -- stress test: stacked points are merged with their count ------------------------------------------

def test_points_on_the_same_spot_are_one_point_with_a_count() -> None:
    node = {"kind": "site", "impact": {"value_lost_usd": 10.0}}
    nodes = [{**node, "name": n, "ttr_weeks": 13.0, "tts_weeks": tts, "exposed": tts is not None and tts < 13}
             for n, tts in (("a", 2.0), ("b", 2.0), ("c", 2.0), ("d", None), ("e", None), ("f", 20.0))]
    points = stacked_points(nodes, never=40.0)
    assert sorted((p["ttr"], p["tts"], len(p["names"])) for p in points) == [(13.0, 2.0, 3), (13.0, 20.0, 1),
                                                                             (13.0, 40.0, 2)]
    assert sum(len(p["names"]) for p in points) == len(nodes)
    assert next(p for p in points if p["tts"] == 2.0)["value_lost_usd"] == pytest.approx(30.0)


def test_every_headline_number_is_a_fact() -> None:
    data = _factory(600, 180)
    out = executive_summary({"sections": {"factory": data}, "absent": []})
    shown = " ".join(c["figure"] + " " + c["detail"] for c in out["headlines"])
    displays = {f["display"] for f in out["facts"].values()}
    for token in re.findall(r"\d[\d,]*(?:\.\d+)?", shown):
        assert token in displays, token


def test_a_real_material_cap_reaches_the_headline(tmp_path: Any) -> None:
    """End to end on the reference programme with material for only part of one quarter: the factory's own
    note, the section's paragraph, the summary sentence and the card all state the same limit."""
    import shutil
    from pathlib import Path

    import rackforge
    from rackforge.io.loader import load_programme
    from rackforge.report.assess import run_assessment
    from rackforge.report.sections import factory, overview

    source = Path(rackforge.__file__).parent / "reference"
    folder = tmp_path / "capped"
    shutil.copytree(source, folder)
    path = folder / "factory.yaml"
    path.write_text(path.read_text().replace(
        "material: {cap: sources, release: even, lead_weeks: 2}",
        "material: {cap: sources, release: even, lead_weeks: 2, cap_per_quarter: {2027Q1: {gb300-nvl72: 20}}}"))
    programme = load_programme(folder)
    planned = sum(programme.build_plan.racks(d.id)[q] for d in programme.planned_designs
                  for q in programme.build_plan.quarter_list)
    q1 = programme.build_plan.racks("gb300-nvl72")["2027Q1"]
    run = run_assessment(programme, sections=[overview.SECTION, factory.SECTION])
    data = run.results["sections"]["factory"]
    assert f"2027Q1 gb300-nvl72: material for 20 of {q1} racks" in " ".join(data["notes"])
    released = planned - (q1 - 20)
    assert data["material_cover"]["planned_racks"] == planned
    assert data["material_cover"]["released_racks"] == pytest.approx(released)
    sentence = f"material allows {released:,} of the {planned:,} racks in the build plan ({q1 - 20:,} short)"
    summary = " ".join(s["text"] for s in run.results["executive_summary"]["sentences"])
    assert sentence in summary
    # the section leads with the analysis's own headline, the line 'rackforge factory' prints
    output = next(out for s, out in run.sections if s.key == "factory")
    from rackforge import api

    headline = output.analyses["factory"].headline(api.factory_confidence_target(programme))
    assert headline.startswith("M" + sentence[1:]) and data["headline"] == headline
    assert output.paragraphs[0].startswith(headline + ". The line ships")
    card = next(c for c in run.results["executive_summary"]["headlines"] if c["section"] == "factory")
    assert card["figure"] == f"material for {released:,} of {planned:,} racks"
