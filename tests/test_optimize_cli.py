"""``rackforge optimize``: JSON contract, exit codes, bad options, the sweep file; and the knee rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rackforge.cli import cli
from rackforge.optimize.sweep import knee_index

FOCUS = "cooling,power,cabling,networking,mechanical"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["optimize", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_json_has_status_cost_allocations_content_and_binding() -> None:
    # subprocess: stdout must hold only JSON (HiGHS's banner must not leak into it)
    proc = subprocess.run([sys.executable, "-m", "rackforge", "optimize", "--json", "--categories", FOCUS,
                           "--from-year", "2028", "--domestic-target", "0.2", "--critical-share", "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["status"] == "optimal"
    assert data["cost_usd"] == pytest.approx(sum(v for k, v in data["cost_breakdown_usd"].items() if k != "total"))
    assert {"part", "site", "quarter", "quantity"} <= set(data["allocations"][0])
    assert all(a["quantity"] > 0 for a in data["allocations"])
    years = {(r["design"], r["year"]): r for r in data["domestic_content"]}
    assert all(r["domestic_share"] >= 0.2 - 1e-9 for (_, y), r in years.items() if y == 2028)
    assert data["binding"] and {"kind", "message", "worth_usd"} <= set(data["binding"][0])


def test_infeasible_targets_exit_1_with_an_explanation_in_json() -> None:
    code, out = invoke("--json", "--domestic-target", "0.9")
    assert code == 1
    data = json.loads(out[: out.rindex("}") + 1])
    assert data["status"] == "infeasible" and data["cost_usd"] is None
    explanation = data["explanation"]
    assert "domestic content" in explanation["impossible_alone"]
    misses = [v for v in explanation["violations"] if v["target"] == "domestic content"]
    assert misses and all(v["unit"] == "points" and v["amount"] > 0 for v in misses)
    # the way out: the domestic target lowered (to below what the least-violating plan reaches for the worst
    # design and year) together with the two-source rule, which the reference cannot meet alone either
    [way_out] = explanation["relaxations"]
    changes = {c["target"]: c for c in way_out["changes"]}
    assert set(changes) == {"domestic content", "two sources for critical parts"}
    lowered = changes["domestic content"]["relaxed_to"]
    worst = min(0.9 - v["amount"] / 100 for v in misses)
    assert 0 <= lowered <= worst + 1e-3 and changes["two sources for critical parts"]["relaxed_to"] is None
    assert way_out["cost_usd"] > 0 and "lower the domestic-content target to" in way_out["message"]
    # re-solved independently through the CLI: the relaxed targets have a plan
    code, _ = invoke("--json", "--domestic-target", str(lowered), "--critical-share", "1")
    assert code == 0


@pytest.mark.parametrize("args, needle", [
    (["--domestic-target", "75"], "between 0 and 1"),
    (["--categories", "coolng"], "did you mean 'cooling'"),
    (["--from-year", "2031"], "not a year of the build plan"),
    (["-o", "x.csv"], "go with --sweep"),
    (["--rule", "far"], "no built-in rule"),
])
def test_bad_options_exit_2_with_a_hint(args: list[str], needle: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "rackforge", "optimize", *args], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr


def test_sweep_writes_the_curve_atomically(tmp_path: Path) -> None:
    out = tmp_path / "curve.csv"
    code, text = invoke("--sweep", "--categories", FOCUS, "--from-year", "2028", "--critical-share", "1",
                        "--targets", "0,0.1,0.2,0.5", "--scenarios", "200", "-o", str(out))
    assert code == 1  # one point of four has no plan: said, and the curve is still written
    assert "1 of 4 points of the curve have no plan" in text
    assert "(domestic shares within cooling, power, cabling, networking, mechanical)" in " ".join(text.split())
    lines = out.read_text().splitlines()
    header = lines[0].split(",")
    assert {"target", "status", "cost_usd", "expected_value_short_usd"} <= set(header)
    # a category-scoped run's share columns are the shares within those categories, and say so
    assert {"domestic_share_min_within_categories", "domestic_share_overall_within_categories"} <= set(header)
    assert "domestic_share_min" not in header
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
    assert [r["status"] for r in rows] == ["optimal", "optimal", "optimal", "infeasible"]
    costs = [float(r["cost_usd"]) for r in rows[:3]]
    assert costs == sorted(costs)  # dearer as the target rises
    assert all(float(r["expected_value_short_usd"]) >= 0 for r in rows[:3])
    assert not list(tmp_path.glob(".*.tmp"))


def test_sweep_json_counts_the_points_without_a_plan() -> None:
    code, out = invoke("--sweep", "--json", "--critical-share", "1", "--targets", "0,0.95", "--scenarios", "0")
    assert code == 1
    data = json.loads(out[: out.rindex("}") + 1])
    assert data["infeasible_points"] == sum(p["cost_usd"] is None for p in data["points"]) == 1
    assert data["domestic_share_scope"] == "whole rack" and "domestic_share_min" in data["points"][0]


def test_knee_of_a_hockey_stick() -> None:
    # flat to x = 0.7, then steep. Normalised: x' = 0, .2, .4, .6, .8, 1 and y' = 0, .005, .01, .015, .5, 1;
    # x' − y' = 0, .195, .39, .585, .3, 0 is largest at the last flat point
    x = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    y = [100, 101, 102, 103, 200, 300]
    assert knee_index(x, y) == 3
    assert knee_index([0, 1], [0, 1]) is None
    assert knee_index([0, 1, 2], [5, 5, 5]) is None
