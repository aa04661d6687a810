"""``rackforge.api`` is the one entry point: the CLI and the report get their figures from it, with the
defaults the owning analyses define, so the same question gives the same numbers everywhere."""

from __future__ import annotations

import ast
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from optimize_cases import make_input
from rackforge import api
from rackforge.cli import cli
from rackforge.io.loader import load_programme
from rackforge.optimize.data import CRITICAL_MAX_SOURCE_SHARE, SourcingTargets
from rackforge.optimize.policy import (
    RULE_THRESHOLDS,
    SWEEP_SHORTFALL_SCENARIOS,
    TWO_SOURCE_RULE,
    SourcingPolicy,
    solve_under_policy,
    sourcing_targets,
    spread_targets,
)
from rackforge.report.assess import run_assessment
from rackforge.report.framework import AssessOptions
from rackforge.report.sections import engineering, optimize, resilience, sourcing, tco
from rackforge.resilience.defaults import MONTE_CARLO_SCENARIOS, MONTE_CARLO_SEED
from rackforge.schema import Programme
from rackforge.schema.rules import programme_rule

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reference() -> Programme:
    return load_programme(None)


def cli_json(*args: str) -> tuple[int, Any]:
    """Exit status and the JSON a command prints (its error line after the JSON, if any, dropped)."""
    result = CliRunner().invoke(cli, [*args, "--json"])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    out = result.output
    return result.exit_code, json.loads(out[: out.rindex("}") + 1])


def option_default(command: str, name: str) -> Any:
    found = cli.get_command(None, command)  # type: ignore[arg-type]
    assert isinstance(found, click.Command)
    return next(p.default for p in found.params if p.name == name)


# ----- the CLI prints what the API returns -----------------------------------------------------------

def test_check_json_has_the_api_figures(reference: Programme) -> None:
    code, data = cli_json("check")
    assert code == 0
    by_api = {r.design_id: r.metrics for r in api.check_designs(reference)}
    assert [d["id"] for d in data["designs"]] == list(by_api)
    for d in data["designs"]:
        for key in ("rack_input_kw", "coolant_flow_lpm", "busbar_current_a", "mass_kg"):
            assert d["metrics"][key] == by_api[d["id"]][key], (d["id"], key)


def test_bom_and_sourcing_json_have_the_api_figures(reference: Programme) -> None:
    _, bom = cli_json("bom")
    bill = api.bill_of_materials(reference).to_json()
    assert {d["design"]: d["cost_per_rack_usd"] for d in bom["designs"]} == \
        {d["design"]: d["cost_per_rack_usd"] for d in bill["designs"]}
    _, cli_sourcing = cli_json("sourcing")
    by_api = api.sourcing(reference).to_json()
    shares = {(d["design"], y["year"]): y["domestic_content"] for d in cli_sourcing["designs"] for y in d["years"]}
    assert shares == {(d["design"], y["year"]): y["domestic_content"] for d in by_api["designs"] for y in d["years"]}
    assert api.sourcing_threshold_misses(by_api)  # the reference plan misses FAR 25.101


def test_stress_json_has_the_api_figures(reference: Programme) -> None:
    _, data = cli_json("stress", "--by", "country")
    result = api.stress_test(reference, levels=("country",))
    assert {n["node"]: (n["tts_weeks"], n["impact"]["value_lost_usd"]) for n in data["nodes"]} == \
        {n["node"]: (n["tts_weeks"], n["impact"]["value_lost_usd"]) for n in result.to_json()["nodes"]}


# ----- one default seed: `rackforge simulate` reproduces the report's Monte Carlo --------------------

def test_one_monte_carlo_seed_and_scenario_count_everywhere() -> None:
    assert AssessOptions().seed == MONTE_CARLO_SEED == option_default("assess", "seed") \
        == option_default("simulate", "seed") == option_default("optimize", "seed") \
        == inspect.signature(api.simulate).parameters["seed"].default \
        == inspect.signature(api.optimize_sweep).parameters["seed"].default
    assert AssessOptions().scenarios == MONTE_CARLO_SCENARIOS == option_default("assess", "scenarios") \
        == option_default("simulate", "scenarios") == inspect.signature(api.simulate).parameters["scenarios"].default


def test_simulate_with_its_default_seed_reproduces_the_report(reference: Programme) -> None:
    scenarios = 400
    run = run_assessment(reference, AssessOptions(scenarios=scenarios), sections=[resilience.SECTION])
    report = run.results["sections"]["resilience"]["monte_carlo"]
    _, simulated = cli_json("simulate", "--scenarios", str(scenarios))  # no --seed
    assert simulated["seed"] == report["seed"] == MONTE_CARLO_SEED
    assert simulated["summary"] == report["summary"]
    assert simulated["designs"] == report["designs"]
    assert api.simulate(reference, scenarios).summary() == report["summary"]


# ----- one optimiser policy for the CLI and the report ------------------------------------------------

def test_optimize_options_default_to_the_policy() -> None:
    policy = SourcingPolicy()
    assert policy.domestic_target == RULE_THRESHOLDS and policy.critical_share == CRITICAL_MAX_SOURCE_SHARE
    assert option_default("optimize", "critical_share") == policy.critical_share
    assert option_default("optimize", "cap_scope") == policy.cap_scope
    assert option_default("optimize", "relax") is policy.relax_two_source_rule is True
    assert option_default("optimize", "scenarios") == SWEEP_SHORTFALL_SCENARIOS


def test_default_targets_are_the_rule_thresholds_each_year(reference: Programme) -> None:
    rule = programme_rule(reference.rules)
    assert sourcing_targets(reference, SourcingPolicy()) == \
        SourcingTargets.from_rule(rule, [2027, 2028], critical_max_source_share=CRITICAL_MAX_SOURCE_SHARE)
    none = sourcing_targets(reference, SourcingPolicy(domestic_target=None, critical_share=1.0, from_year=2028))
    assert none.domestic_content is None and none.critical_max_source_share is None
    flat = sourcing_targets(reference, SourcingPolicy(domestic_target=0.3, from_year=2028))
    assert flat.domestic_target(2028) == pytest.approx(0.3 + 1e-6) and flat.domestic_target(2027) is None


def test_the_policy_relaxes_the_two_source_rule_only_when_it_must() -> None:
    # one critical part with a single source: no plan can take two sources of it
    data = make_input(parts=["pump"], quarters=["2027Q1"], parts_per_rack=[[1]], racks=[[10]],
                      sources=[{"part": 0, "site": "a", "country": "TW", "price": 100}], critical=[True])
    strict = SourcingPolicy(relax_two_source_rule=False)
    targets = SourcingTargets(critical_max_source_share=0.9)
    held = solve_under_policy(data, targets, strict)
    assert held.strict.plan is None and held.result is held.strict and held.relaxed_rules == ()
    relaxed = solve_under_policy(data, targets, SourcingPolicy())
    assert not relaxed.targets_met and relaxed.relaxed_rules == (TWO_SOURCE_RULE,)
    assert relaxed.result.plan is not None and relaxed.result.objective_usd == pytest.approx(1000.0)
    assert relaxed.to_dict()["relaxed_result"]["cost_usd"] == pytest.approx(1000.0)
    feasible = solve_under_policy(data, SourcingTargets(critical_max_source_share=None), SourcingPolicy())
    assert feasible.targets_met and feasible.relaxed_rules == ()


@pytest.fixture
def single_source_critical(tmp_path: Path) -> Path:
    """tests/data/mini with its GPU board (one source) marked critical: the two-source rule cannot hold."""
    folder = tmp_path / "mini"
    shutil.copytree(ROOT / "tests" / "data" / "mini", folder)
    catalog = folder / "catalog.yaml"
    text = catalog.read_text()
    assert "    compute: {gpus: 2, cpus: 1}\n" in text
    catalog.write_text(text.replace("    compute: {gpus: 2, cpus: 1}\n",
                                    "    compute: {gpus: 2, cpus: 1}\n    critical: true\n", 1))
    return folder


def test_report_and_cli_solve_the_same_least_cost_plan(single_source_critical: Path) -> None:
    code, data = cli_json("optimize", "--domestic-target", "none", str(single_source_critical))
    assert code == 1 and data["status"] == "infeasible"  # the targets asked for are not met...
    assert data["relaxed_rules"] == [TWO_SOURCE_RULE]  # ...so, as in the report, the rule is relaxed
    programme = load_programme(single_source_critical)
    events: list[tuple[str, str, int, int]] = []
    run = run_assessment(programme, AssessOptions(scenarios=50), sections=[optimize.SECTION],
                         progress=lambda *event: events.append(event))
    section = run.results["sections"]["optimize"]
    assert section["relaxed_rules"] == data["relaxed_rules"]
    # the same way out in both: the two-source rule switched off, found by re-solving
    ways = [r["message"] for r in data["explanation"]["relaxations"]]
    assert ways == [r["message"] for r in section["default_rules"]["explanation"]["relaxations"]]
    assert ways and "switch the two-source rule for critical parts off" in ways[0]
    # the optimiser's stage reports each solve: stage and a count that goes up by one
    steps = [text for event, text, _, _ in events if event == "step"]
    assert steps and all(t.startswith("Which sourcing mix? — ") for t in steps)
    assert [int(t.rsplit("solve ", 1)[1]) for t in steps] == list(range(1, len(steps) + 1))
    assert any("least-cost plan" in t for t in steps)
    stages = {t.removeprefix("Which sourcing mix? — ").rsplit(": solve ", 1)[0].split(" of ")[0] for t in steps}
    # the curve's points may all be answered by plans at hand (no solve of their own, optimize/sweep.solve_point)
    assert stages <= {"least-cost plan", "highest reachable domestic-content target", "cost-of-resilience curve"}
    assert section["default_rules"]["status"] == data["status"]
    assert section["least_cost"]["cost_usd"] == pytest.approx(data["relaxed_result"]["cost_usd"], rel=1e-9)
    code, _ = cli_json("optimize", "--domestic-target", "none", "--no-relax", str(single_source_critical))
    assert code == 1


def test_spread_targets_stay_inside_the_reachable_range() -> None:
    grid = tuple(round(0.40 + 0.05 * i, 2) for i in range(11))
    assert spread_targets(None, grid, 4) == []
    assert spread_targets(0.9, grid, 4) == [0.4, 0.55, 0.7, 0.85]
    assert spread_targets(0.02, grid, 4) == [0.0, 0.005, 0.01, 0.015]


# ----- the report's TCO is the API's -----------------------------------------------------------------

def test_programme_tco_from_the_api_is_the_reports(reference: Programme) -> None:
    run = run_assessment(reference, sections=[engineering.SECTION, sourcing.SECTION, tco.SECTION])
    report = run.results["sections"]["generations"]
    alone = api.programme_tco(reference)  # runs sourcing and engineering itself
    assert report["programme_capital_usd"] == pytest.approx(alone.programme_capital_usd, rel=1e-12)
    assert report["programme_tco_usd"] == pytest.approx(alone.programme_tco_usd, rel=1e-12)
    assert report["programme_capital_usd"] == pytest.approx(
        sum(d.racks_planned * d.tco.capital_usd for d in alone.designs), rel=1e-12)
    assert [d["usd_per_gpu_hour"] for d in report["designs"]] == \
        pytest.approx([d.tco.usd_per_gpu_hour for d in alone.designs], rel=1e-12)


# ----- the API's shape, and the CLI's distance from the analyses -------------------------------------

def api_functions() -> list[tuple[str, Any]]:
    return [(name, f) for name, f in inspect.getmembers(api, inspect.isfunction)
            if f.__module__ == "rackforge.api" and not name.startswith("_")]


@pytest.mark.parametrize("name, function", api_functions())
def test_each_api_function_names_its_question_and_result(name: str, function: Any) -> None:
    doc = inspect.getdoc(function) or ""
    assert "?" in doc.split("\n\n")[0], f"api.{name}: the docstring should start with the question it answers"
    assert inspect.signature(function).return_annotation not in (inspect.Signature.empty, "None"), name
    assert next(iter(inspect.signature(function).parameters), None) in ("programme", "path", "sourcing_json"), name


def test_the_cli_imports_no_private_names_from_other_packages() -> None:
    offenders = []
    for path in sorted((ROOT / "src" / "rackforge" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rackforge.") \
                    and not node.module.startswith("rackforge.cli"):
                offenders += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not offenders, offenders


def test_importing_the_api_is_cheap() -> None:
    code = "import sys, rackforge.api; print(sorted(m for m in ('pandas', 'highspy', 'simpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
