"""A folder that passes ``rackforge check`` does not stop ``rackforge assess`` on its input.

Loading runs every whole-programme check an analysis relies on (:mod:`rackforge.io.validate`); these
tests adapt the reference programme as a planner would (a new design in the build plan, a new site
and source, a new station and route) and run every analysis of the report on each variant that
loads. A variant the analyses could not run (a planned design no factory route builds) must be
refused when loaded, with file, line and what to do.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rackforge import api
from rackforge.errors import InputError
from rackforge.io.loader import REFERENCE_DIR, load_programme
from rackforge.optimize.highs import SolveOptions
from rackforge.report.assess import check_inputs, run_assessment, run_section
from rackforge.report.framework import SECTION_BUDGET_S, AssessContext, AssessOptions
from rackforge.report.sections import SECTIONS
from rackforge.schema import Programme

BASES = {"gb200-nvl72": "nvl72", "gb300-nvl72": "nvl72", "kyber-800vdc": "kyber", "hgx-b200-air": None}
"""Built-in designs a new design may extend, and the reference factory route that builds them (None: found
in factory.yaml)."""


@dataclass(frozen=True)
class Variant:
    """How a planner changed the reference programme."""

    base: str | None = None
    """A new design extending this one is planned (None: no new design)."""
    racks: int = 10
    quarter: str = "2027Q3"
    route: str = "existing"
    """How the new design is routed: 'existing' (added to its base's route), 'new' (a new route using a new
    station), 'none' (not routed: the loader must refuse it)."""
    site_country: str | None = None
    """A new supplier and site in this country with a source of a part of the plan (None: none)."""
    own_part: bool = False
    """The new design holds a part of the programme's own that has no source yet."""


def read(folder: Path, name: str) -> Any:
    return yaml.safe_load((folder / name).read_text())


def write(folder: Path, name: str, data: Any) -> None:
    (folder / name).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


OWN = "estimate: a test record standing in for a planner's own"


def build(folder: Path, v: Variant) -> Path:
    """The reference programme in ``folder`` with the changes of ``v`` (and 2 factory replications)."""
    shutil.copytree(REFERENCE_DIR, folder)
    factory = read(folder, "factory.yaml")
    factory["factory"]["simulation"]["replications"] = 2
    if v.base is not None:
        new = f"my-{v.base}"
        design: dict[str, Any] = {"id": new, "extends": v.base, "name": f"Our {v.base}",
                                  "source": f"estimate: the built-in {v.base} as built by us"}
        parts = []
        if v.own_part:
            parts = [{"id": "our-cold-plate", "name": "Our cold plate", "category": "cooling", "mass_kg": 1.6,
                      "reference_price_usd": 420, "cooling": {"kind": "cold-plate", "capacity_w": 1500,
                                                              "max_flow_lpm": 2.3}, "source": OWN}]
            design["add_items"] = [{"ref": "our-cold-plate", "quantity": 4}]
        write(folder, "my-designs.yaml", {"designs": [design], "parts": parts})
        plan = read(folder, "build_plan.yaml")
        plan["build_plan"]["quarters"][v.quarter][new] = v.racks
        write(folder, "build_plan.yaml", plan)
        routes = factory["factory"]["routes"]
        base_route = next(r for r in routes if v.base in r["designs"])
        if v.route == "existing":
            base_route["designs"].append(new)
        elif v.route == "new":
            station = {**next(s for s in factory["factory"]["stations"] if s["id"] == "leak-rig"),
                       "id": "leak-rig-ours", "name": "Our own leak rig", "count": 1}
            factory["factory"]["stations"].append(station)
            steps = [{**step, "station": "leak-rig-ours"} if step["station"] == "leak-rig" else step
                     for step in base_route["steps"]]
            routes.append({"id": "ours", "designs": [new], "steps": steps,
                           "source": "estimate: our route, with our own leak rig"})
    write(folder, "factory.yaml", factory)
    if v.site_country is not None:
        write(folder, "my-supply.yaml", {
            "suppliers": [{"id": "acme", "name": "ACME", "hq_country": v.site_country, "source": OWN}],
            "sites": [{"id": "acme-one", "name": "ACME plant", "supplier": "acme", "country": v.site_country,
                       "region": "North America" if v.site_country in ("US", "MX") else "East Asia",
                       "city": "Somewhere", "source": OWN}],
            "sources": [{"part": "cat6a-patch-3m", "site": "acme-one",
                         "price_usd": 9, "lead_time_weeks": 4, "capacity_per_quarter": 50_000,
                         "qualification": "qualified", "source": OWN}]})
    return folder


def run_every_analysis(programme: Programme) -> None:
    """Every analysis of the report, section by section as ``run_assessment`` runs them (the optimiser's one
    solve for its sweep of many), with fewer scenarios: no section may fail, and none may raise an input
    error (which would stop the report)."""
    sections = [s for s in SECTIONS if s.key != "optimize"]
    ctx = AssessContext(programme, AssessOptions(scenarios=256))
    check_inputs(programme, sections)
    for section in sections:
        assert section.absent_reason(programme) is None, section.key
        output, _status, reason = run_section(section, ctx, SECTION_BUDGET_S)
        assert output is not None, f"{section.key}: {reason}"
        ctx.outputs[section.key] = output
        ctx.analyses.update(output.analyses)
    api.optimize(programme, solve=SolveOptions(mip_rel_gap=0.05, time_limit_s=30))


@pytest.mark.parametrize("variant", [
    Variant(base="gb300-nvl72"),
    Variant(base="kyber-800vdc", quarter="2028Q2", route="new", own_part=True),
    Variant(site_country="US"),
], ids=["new design, existing route", "new design, new station and route", "new site and source"])
def test_a_programme_that_loads_runs_every_analysis(tmp_path: Path, variant: Variant) -> None:
    run_every_analysis(load_programme(build(tmp_path / "p", variant)))


def test_a_planned_design_no_route_builds_is_refused_when_loaded(tmp_path: Path) -> None:
    folder = build(tmp_path / "p", Variant(base="gb300-nvl72", route="none"))
    with pytest.raises(InputError) as info:
        load_programme(folder)
    [problem] = info.value.problems
    assert problem.file == str(folder / "factory.yaml") and problem.field == "factory.routes"
    assert problem.line == next(i for i, line in enumerate((folder / "factory.yaml").read_text().splitlines(), 1)
                                if line.startswith("  routes:"))
    assert "'my-gb300-nvl72' is in the build plan but in no route" in problem.message
    assert "nvl72 (gb200-nvl72, gb300-nvl72)" in problem.message  # the routes it could join


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(variant=st.builds(
    Variant, base=st.sampled_from([*BASES, None]), racks=st.integers(1, 60),
    quarter=st.sampled_from(["2027Q1", "2027Q4", "2028Q1", "2028Q4"]), route=st.sampled_from(["existing", "new"]),
    site_country=st.sampled_from([None, "US", "MX", "TW"]), own_part=st.booleans()))
def test_check_passes_means_every_analysis_runs(tmp_path_factory: pytest.TempPathFactory, variant: Variant) -> None:
    folder = build(tmp_path_factory.mktemp("variant") / "p", variant)
    try:
        programme = load_programme(folder)
    except InputError as exc:  # refused on loading: fine, as long as it is for a reason 'check' states
        pytest.fail(f"a planner's variant was refused: {exc.render()}")
    run_every_analysis(programme)


def test_an_evaluation_nothing_can_score_is_refused_when_loaded(tmp_path: Path) -> None:
    folder = build(tmp_path / "p", Variant())
    data = read(folder, "evaluations.yaml")
    ev = data["evaluations"]
    ev["criteria"] = [{"id": "noise_db", "weight": 1, "better": "lower"}]
    for system in ev["systems"]:
        system["values"] = {}
    ev["systems"][0]["values"] = {"noise_db": 70}
    write(folder, "evaluations.yaml", data)
    with pytest.raises(InputError) as info:
        load_programme(folder)
    [problem] = info.value.problems
    assert problem.file == str(folder / "evaluations.yaml") and problem.field == "evaluations.criteria"
    assert "no weighted criterion can be scored: noise_db" in problem.message
    # stated for every system, it scores
    for system in ev["systems"]:
        system["values"] = {"noise_db": 70 + len(system["id"])}
    write(folder, "evaluations.yaml", data)
    assert api.evaluate(load_programme(folder)).used_criteria[0].id == "noise_db"


def test_ratio_normalisation_of_a_value_that_is_not_positive_is_refused_when_loaded(tmp_path: Path) -> None:
    folder = build(tmp_path / "p", Variant())
    data = read(folder, "evaluations.yaml")
    data["evaluations"]["normalisation"] = "ratio"
    data["evaluations"]["systems"][1]["values"]["risk"] = 0
    write(folder, "evaluations.yaml", data)
    with pytest.raises(InputError) as info:
        load_programme(folder)
    assert [p.field for p in info.value.problems] == ["evaluations.systems[1].values.risk"]
    assert "use 'normalisation: minmax'" in info.value.problems[0].message


def test_the_whole_report_of_a_design_with_no_material_in_its_quarter(tmp_path: Path) -> None:
    # Kyber parts ship from late 2027: a Kyber-based design planned in 2027Q1 is released no racks
    programme = load_programme(build(tmp_path / "p", Variant(base="kyber-800vdc", quarter="2027Q1", racks=1)))
    assert api.factory(programme).to_dict()["designs"]["my-kyber-800vdc"]["first_pass_rack_share"] is None
    run = run_assessment(programme, AssessOptions(scenarios=256),
                         sections=[s for s in SECTIONS if s.key != "optimize"])
    assert run.skipped == []
    factory = run.results["sections"]["factory"]
    tested = {d: r["first_pass_rack_share"] for d, r in factory["designs"].items()
              if r["first_pass_rack_share"] is not None}
    assert "my-kyber-800vdc" not in tested and tested
    lowest = min(tested, key=lambda d: tested[d])
    sentence = next(s["text"] for s in run.results["executive_summary"]["sentences"] if s["section"] == "factory")
    assert f"; {lowest} has the lowest first-pass test yield, {tested[lowest]:.0%}" in sentence
    # no material for the Kyber design's quarter: the headline says so first, in the CLI's words
    limit = factory["material_limit"]
    assert limit["limited"] and factory["headline"].startswith(f"Material allows {limit['released_racks']:,} of the")
    assert (f"material allows {limit['released_racks']:,} of the {limit['planned_racks']:,} racks in the build plan "
            f"({limit['short_racks']:,} short)") in sentence
