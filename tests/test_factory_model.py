"""The factory section: validation with file and line, cross-references, material caps, expected work."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from factory_synth import EST, FACTORY, line_of, load, write_programme
from rackforge.errors import InputError
from rackforge.factory.capacity import work_per_rack_h
from rackforge.factory.releases import build_line_plan, material_caps
from rackforge.schema.factory import Distribution, Factory, FailureMode, Step, step_visit_expectations


def factory_with(**changes) -> dict:
    data = copy.deepcopy(FACTORY)
    data.update(changes)
    return data


def problems(folder: Path) -> list:
    with pytest.raises(InputError) as info:
        load(folder)
    return list(info.value.problems)


def test_synthetic_programme_loads_with_typed_factory(tmp_path: Path):
    programme = load(write_programme(tmp_path / "p"))
    factory = programme.factory
    assert isinstance(factory, Factory)
    leak = factory.routes[0].steps[1]
    assert leak.time.dist == "fixed" and leak.time.mean == 2.0  # "2 h" shorthand
    assert factory.station("burn").kind.value == "burn-in"
    assert factory.calendar.always_open


@pytest.mark.parametrize(("mutate", "field", "needle", "message"), [
    (lambda f: f["routes"][0]["steps"][1].update(station="leek"), "factory.routes[0].steps[1].station",
     "station: leek", "unknown station 'leek' (did you mean 'leak'?)"),
    (lambda f: f["routes"][0]["steps"][2].update(rework_station="bnech"), "factory.routes[0].steps[2].rework_station",
     "rework_station: bnech", "unknown station 'bnech'"),
    (lambda f: f["stations"][2].update(id="leak"), "factory.stations[2].id", "-1 name: burn-in bay",
     "station id 'leak' repeats"),
    (lambda f: f["routes"][0]["steps"][2]["failure_modes"][0].update(share=0.5), "factory.routes[0].steps[2]",
     "station: burn", "add up to 0.9"),
    (lambda f: f["routes"][0]["steps"][0].update(time={"dist": "lognormal", "mean_h": 6}),
     "factory.routes[0].steps[0].time", "-1 dist: lognormal", "needs mean_h, cv"),
    (lambda f: f["stations"][0].update(count=0), "factory.stations[0].count", "count: 0", "greater than 0"),
    (lambda f: f["routes"][0]["steps"][3].update(time="3 kg"), "factory.routes[0].steps[3].time", "time: 3 kg",
     "not a unit of this quantity"),
    (lambda f: f["stations"][1].update(kind="leak"), "factory.stations[1].kind", "kind: leak", "leak-test"),
])
def test_bad_factory_input_names_file_line_and_field(tmp_path: Path, mutate, field, needle, message):
    data = copy.deepcopy(FACTORY)
    mutate(data)
    folder = write_programme(tmp_path / "p", factory=data)
    found = problems(folder)
    matching = [p for p in found if message in p.message]
    assert matching, [p.render() for p in found]
    problem = matching[0]
    assert problem.file.endswith("factory.yaml")
    assert problem.field.startswith(field)
    offset = 0
    if needle.startswith("-1 "):  # the field's key is on the line before the needle
        offset, needle = -1, needle[3:]
    assert problem.line == line_of(folder / "factory.yaml", needle) + offset


def test_unknown_design_in_route_and_unrouted_plan_design(tmp_path: Path):
    data = factory_with()
    data["routes"][0]["designs"] = ["syn-a", "syn-c"]
    folder = write_programme(tmp_path / "p", factory=data)
    with pytest.raises(InputError) as info:  # loading (so 'rackforge check') finds them, before any analysis
        load(folder)
    rendered = [p.render() for p in info.value.problems]
    assert any("unknown design 'syn-c'" in r and "factory.yaml:" in r for r in rendered), rendered
    assert any("'syn-b' is in the build plan but in no route" in r for r in rendered), rendered
    line = info.value.problems[0].line
    assert line == line_of(folder / "factory.yaml", "- syn-c")


def test_material_caps_share_a_short_part_in_proportion_to_plan(tmp_path: Path):
    # syn-tray: 18 per rack; supply 900 trays/quarter; plan 30 syn-a + 10 syn-b = 40 racks = 720 trays -> ok
    # Q2: 40 syn-a = 720 trays -> ok; now cut supply to 540 trays: Q1 ratio 0.75 -> 22 and 7 racks
    folder = write_programme(tmp_path / "p")
    programme_yaml = folder / "programme.yaml"
    data = yaml.safe_load(programme_yaml.read_text())
    for source in data["sources"]:
        if source["part"] == "syn-tray":
            source["capacity_per_quarter"] = 540
    programme_yaml.write_text(yaml.safe_dump(data))
    programme = load(folder)
    caps = material_caps(programme)
    assert caps["2027Q1"]["syn-a"] == (22, "syn-tray")  # floor(30 × 0.75)
    assert caps["2027Q1"]["syn-b"] == (7, "syn-tray")  # floor(10 × 0.75)
    assert caps["2027Q2"]["syn-a"] == (30, "syn-tray")  # floor(40 × 540/720)
    plan = build_line_plan(programme)
    assert {(r.quarter, r.design): r.released for r in plan.releases} == {
        ("2027Q1", "syn-a"): 22, ("2027Q1", "syn-b"): 7, ("2027Q2", "syn-a"): 30}
    assert any("limited by syn-tray" in n for n in plan.notes)
    assert plan.targets["syn-a"][-1] == 52


def test_release_windows_follow_the_quarters(tmp_path: Path):
    programme = load(write_programme(tmp_path / "p"))
    plan = build_line_plan(programme)
    # 2027-01-01 is a Friday: time 0 is Monday 2026-12-28, so Q1 starts at 96 h and lasts 90 days
    assert str(plan.t0) == "2026-12-28"
    q1 = next(p for p in plan.spec.releases if p.design == "syn-a")
    assert (q1.start_h, q1.end_h, q1.racks) == (96.0, 96.0 + 90 * 24, 30)
    # checkpoints: end of each quarter plus the default 2-week grace
    assert plan.spec.checkpoints_h == (96.0 + 90 * 24 + 336, 96.0 + 181 * 24 + 336)


def test_expected_work_per_rack_by_hand(tmp_path: Path):
    programme = load(write_programme(tmp_path / "p"))
    factory = programme.factory
    work = work_per_rack_h(factory.routes[0].steps, factory)
    # leak: y = 0.95, s = 0.3 × 0.1 = 0.03, 3 attempts max, f = 0.05:
    #   reach2 = 0.05 × 0.97 = 0.0485, reach3 = 0.0485 × 0.05 × 0.97 = 0.00235225
    leak_attempts = 1 + 0.0485 + 0.00235225
    leak_scrap = 0.05 * 0.03 + 0.0485 * 0.05 * 0.03 + 0.00235225 * 0.05
    # burn: unlimited attempts, no scrap, y = 0.9: attempts = 1 / 0.9
    assert work["l11"] == pytest.approx(6.0)
    assert work["leak"] == pytest.approx(2.0 * leak_attempts)
    assert work["burn"] == pytest.approx((1 - leak_scrap) * 24.0 / 0.9)
    assert work["pack"] == pytest.approx((1 - leak_scrap) * 1.5)
    bench = 3.0 * (leak_attempts - 1) + (1 - leak_scrap) * 4.0 * (1 / 0.9 - 1)
    assert work["bench"] == pytest.approx(bench)


def test_visit_expectations_without_limit_match_the_geometric_series():
    step = Step(station="t", time=Distribution(dist="fixed", mean_h=1.0), first_pass_yield=0.8, retest_yield=0.9,
                rework_time=Distribution(dist="fixed", mean_h=1.0),
                failure_modes=(FailureMode(id="a", share=1.0, scrap_fraction=0.5),))
    attempts, reworks, scrap = step_visit_expectations(step)
    # 1 + 0.2·0.5·Σ (0.1·0.5)^k = 1 + 0.1 / 0.95
    assert attempts == pytest.approx(1 + 0.1 / 0.95)
    assert reworks == pytest.approx(0.1 / 0.95)
    assert scrap == pytest.approx(0.2 * 0.5 + (0.1 / 0.95) * 0.1 * 0.5)
    # passing + scrap = 1: every rack that reaches the step leaves it one way or the other
    passing = 0.8 + (0.1 / 0.95) * 0.9
    assert passing + scrap == pytest.approx(1.0)


def test_a_step_that_can_never_pass_is_rejected():
    with pytest.raises(ValueError, match="never leaves"):
        Step(station="t", time=Distribution(dist="fixed", mean_h=1.0), first_pass_yield=0.5, retest_yield=0.0,
             rework_time=Distribution(dist="fixed", mean_h=1.0))


def test_reference_programme_has_a_factory_that_routes_every_planned_design():
    from rackforge.io.loader import load_programme

    programme = load_programme(None)
    factory = programme.factory
    assert factory is not None and factory.site == programme.info.integration_site
    for design in programme.build_plan.designs:
        assert factory.route_of(design) is not None, design
    # every step carries a source or an estimate with reasoning
    for route in factory.routes:
        for step in route.steps:
            assert step.source and (step.source.startswith("estimate: ") or "http" in step.source), step
    burn_in = {d: r.steps for r in factory.routes for d in r.designs}
    hours = {d: next(s.time.mean for s in steps if s.station == "burn-in-bay") for d, steps in burn_in.items()}
    # the bay time holds 2.5 h of thermal and link test plus a 24-72 h burn-in (rack-facts.md)
    assert all(24.0 <= h - 2.5 <= 72.0 for h in hours.values()), hours
    assert EST  # the synthetic fixture marks its own figures as estimates


def test_json_schema_accepts_the_factory_and_readiness_sections(tmp_path: Path):
    import json

    import jsonschema

    from rackforge.cli.schema_cmd import programme_file_schema

    validator = jsonschema.Draft202012Validator(programme_file_schema())
    folder = write_programme(tmp_path / "p")  # uses the '2 h' shorthand for fixed times
    data = yaml.safe_load((folder / "factory.yaml").read_text())
    assert not list(validator.iter_errors(data))
    data["factory"]["stations"][0]["count"] = "two"
    assert list(validator.iter_errors(data))
    readiness = {"readiness": {"assessments": [{"part": "p", "site": "s", "answers": [
        {"thread": "design", "through_level": 4, "evidence": "review"}, {"criterion": "design.5.a", "met": "na",
                                                                         "evidence": "n/a here"}]}]}}
    assert not list(validator.iter_errors(json.loads(json.dumps(readiness))))
