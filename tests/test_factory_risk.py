"""Capacity plans that state their risk (a utilisation ceiling, utilisation and confidence per station count)
and factory headlines that state the material limit (issue 14)."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from factory_synth import FACTORY, load, write_programme
from rackforge.cli import cli
from rackforge.factory.capacity import DEFAULT_MAX_UTILISATION, HOT_UTILISATION, CapacityPlan, plan_capacity
from rackforge.factory.results import simulate_factory
from rackforge.factory.verdict import plan_missed
from test_factory_capacity import one_station_factory


def test_the_ceiling_adds_bays_until_utilisation_is_below_it(tmp_path: Path) -> None:
    """216 racks released evenly over 2027Q1 (one every 10 h), 35 h each on a 24/7 line: 3.5 bays busy on
    average. Three bays meet the plan (8 weeks' grace) but run flat out inside the quarter; four run at
    about 3.5 / 4 = 87.5 % (a little less: the line starts empty), above the 85 % default ceiling, so the
    plan takes five (3.5 / 5 = 70 %); with a 90 % ceiling four are enough."""
    programme = load(write_programme(tmp_path / "p", plan={"2027Q1": {"syn-a": 216}}, factory=one_station_factory(8)))
    default = plan_capacity(programme, workers=1)
    assert default.max_utilisation == DEFAULT_MAX_UTILISATION == 0.85
    assert default.counts["bay"] == 5
    assert default.utilisation["bay"] <= 0.85 and abs(default.utilisation["bay"] - 3.5 / 5) < 0.02
    loose = plan_capacity(programme, workers=1, max_utilisation=0.9)
    assert loose.counts["bay"] == 4 and 0.85 < loose.utilisation["bay"] <= 0.875
    # the risk rows: the recommended count and one fewer, each with utilisation and the plan's confidence
    rows = {(r["count"], r["recommended"]): r for r in loose.risk}
    assert rows[(4, True)]["confidence"] == loose.met_share == 1.0
    fewer = rows[(3, False)]
    assert fewer["utilisation"] > 0.9 and fewer["confidence"] == 1.0  # meets the plan, but above the ceiling
    # four bays at 87 % run hot: said in the notes and named on the plan
    assert loose.hot_stations == ["bay"] and any("bay runs at 8" in n and "queues grow" in n for n in loose.notes)
    assert default.hot_stations == []


def test_every_recommended_station_is_within_the_ceiling_and_none_can_go(tmp_path: Path) -> None:
    factory = copy.deepcopy(FACTORY)
    factory["simulation"] = {"replications": 3, "warmup_weeks": 0, "seed": 3}
    factory["targets"] = {"confidence": 0.6, "ship_grace_weeks": 1, "plan_tolerance": 0.02}
    folder = write_programme(tmp_path / "p", plan={"2027Q1": {"syn-a": 300, "syn-b": 100}, "2027Q2": {"syn-a": 450}},
                             factory=factory)
    programme = load(folder)
    plan = plan_capacity(programme, workers=1, max_utilisation=0.7)
    # re-checked by an independent simulation of the recommended line
    check = simulate_factory(programme, counts=plan.counts, workers=1)
    assert check.plan_met_share >= 0.6
    assert all(check.stations[s]["utilisation"] <= 0.7 + 1e-9 for s in plan.counts)
    # minimal: one fewer of any station (when simulated) misses the confidence or breaks the ceiling
    for row in plan.risk:
        if not row["recommended"] and row["confidence"] is not None:
            assert row["confidence"] < 0.6 or row["utilisation"] > 0.7, row
    # a looser ceiling never needs more stations
    loose = plan_capacity(programme, workers=1, max_utilisation=1.0)
    assert all(loose.counts[s] <= plan.counts[s] for s in plan.counts)


@given(utilisations=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6))
def test_hot_stations_are_exactly_those_above_the_hot_line(utilisations: list[float]) -> None:
    risk = tuple({"station": f"s{i}", "count": 2, "utilisation": u, "confidence": 1.0, "recommended": True}
                 for i, u in enumerate(utilisations))
    plan = CapacityPlan(1.0, 1, {}, {}, {}, {}, 1.0, {}, {}, risk=risk)
    assert plan.hot_stations == [f"s{i}" for i, u in enumerate(utilisations) if u > HOT_UTILISATION]


def test_plan_capacity_cli_takes_a_ceiling_and_shows_the_risk(tmp_path: Path) -> None:
    folder = write_programme(tmp_path / "p", plan={"2027Q1": {"syn-a": 216}}, factory=one_station_factory(8))
    result = CliRunner().invoke(cli, ["factory", str(folder), "--plan-capacity", "--max-utilisation", "0.9",
                                      "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["max_utilisation"] == 0.9 and data["stations"]["bay"]["recommended"] == 4
    assert data["hot_stations"] == ["bay"] and {r["count"] for r in data["risk"]} == {3, 4}
    text = CliRunner().invoke(cli, ["factory", str(folder), "--plan-capacity", "--workers", "1"]).output
    text = " ".join(text.split())
    assert "none above 85% utilisation" in text and "Risk: utilisation and the plan's confidence" in text
    bad = CliRunner().invoke(cli, ["factory", str(folder), "--max-utilisation", "0.9"])
    assert bad.exit_code == 2 and "go with --plan-capacity" in bad.output


def test_the_headline_states_the_material_limit(tmp_path: Path) -> None:
    # syn-tray: 18 per rack, 540 a quarter = 30 racks' worth: 2027Q1 releases 22 + 7 of 30 + 10 planned,
    # 2027Q2 30 of 40 (see test_factory_model): material for 59 of the 80 racks
    folder = write_programme(tmp_path / "p")
    data = yaml.safe_load((folder / "programme.yaml").read_text())
    for source in data["sources"]:
        if source["part"] == "syn-tray":
            source["capacity_per_quarter"] = 540
    (folder / "programme.yaml").write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["factory", str(folder), "--json", "--workers", "1"])
    out = json.loads(result.output[: result.output.rindex("}") + 1])
    limit = out["material_limit"]
    assert (limit["planned_racks"], limit["released_racks"], limit["short_racks"]) == (80, 59, 21)
    assert limit["limited"] and {r["limiting_part"] for r in limit["releases_cut"]} == {"syn-tray"}
    text = CliRunner().invoke(cli, ["factory", str(folder), "--workers", "1"]).output
    flat = " ".join(text.split())
    assert "Material allows 59 of the 80 racks in the build plan (21 short)" in flat
    assert "Build plan met in" not in flat  # the headline never claims the whole plan is met
    # a missed plan says the same: the racks material allows, not "the build plan"
    programme = load(folder)
    result = simulate_factory(programme, workers=1)
    assert result.material_limited and result.material == limit
    missed = plan_missed(programme, dataclasses.replace(result, plan_met_share=0.5))
    assert missed is not None and missed.startswith("the 59 racks material allows (of 80 planned) ship on time in 50%")
    # without a material limit the headline is the plain one
    plain = CliRunner().invoke(cli, ["factory", str(write_programme(tmp_path / "q")), "--workers", "1"]).output
    assert "Build plan met in" in plain and "Material allows" not in plain
