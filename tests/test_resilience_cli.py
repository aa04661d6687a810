"""rackforge stress / simulate / buffers: JSON contracts, reproducibility, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from rackforge.cli import cli


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_stress_json_has_the_documented_fields() -> None:
    code, out = invoke("stress", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["nodes"] and data["demand_basis"].startswith("2027Q1")
    for node in data["nodes"]:
        assert {"node", "tts_weeks", "ttr_weeks", "exposed", "impact", "risk_exposure_index"} <= set(node)
        assert node["tts_weeks"] is None or node["tts_weeks"] >= 0
        assert node["exposed"] == (node["tts_weeks"] is not None and node["ttr_weeks"] > node["tts_weeks"])
        assert set(node["impact"]) == {"racks_lost", "value_lost_usd"}
    assert data["exposed"] == sum(n["exposed"] for n in data["nodes"])


def test_stress_bad_level_is_a_usage_error() -> None:
    code, out = invoke("stress", "--by", "planet")
    assert code == 2 and "choose from" in out


def test_simulate_json_is_reproducible_and_ordered() -> None:
    args = ("simulate", "--scenarios", "300", "--seed", "7", "--json")
    code, first = invoke(*args)
    assert code == 0, first
    code, second = invoke(*args, "--chunk", "97")
    assert first == second
    data = json.loads(first)
    assert data["scenarios"] == 300 and data["seed"] == 7
    for rows in data["designs"].values():
        for row in rows:
            assert row["p10"] <= row["p50"] <= row["p90"]
    assert {"expected_value_short_usd", "value_at_risk_95_usd"} <= set(data["summary"])
    assert data["shortfall_by_event"] and data["shortfall_by_part"]
    code, other = invoke("simulate", "--scenarios", "300", "--seed", "8", "--json")
    assert other != first


def test_buffers_json_for_the_reference_and_for_a_tree_file(tmp_path: Path) -> None:
    code, out = invoke("buffers", "--json", "--design", "hgx-b200-air")
    assert code == 0, out
    tree = json.loads(out)["trees"][0]
    assert tree["tree"] == "hgx-b200-air" and tree["total_cost"] > 0
    assert {"stage", "service_time", "safety_stock"} <= set(tree["stages"][0])
    assert abs(sum(s["holding_cost"] for s in tree["stages"]) - tree["total_cost"]) < 1e-3 * tree["total_cost"]
    csv_file = tmp_path / "chain.csv"
    csv_file.write_text("stage,processing_periods,holding_cost_per_period,demand_sigma_per_period,"
                        "max_service_periods,supplies\nup,3,1,,,down\ndown,1,3,10,0,\n", encoding="utf-8")
    code, out = invoke("buffers", str(csv_file), "--json", "--service-level", "0.9772498680518208")
    assert code == 0, out
    assert abs(json.loads(out)["trees"][0]["total_cost"] - 94.641016) < 1e-3  # 20√3 + 60, rounded to 4 places


def test_bad_tree_file_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("stage,processing_periods,holding_cost_per_period\na,2,x\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "rackforge", "buffers", str(bad)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert f"{bad}:2: holding_cost_per_period" in result.stderr and "Traceback" not in result.stderr


def test_json_output_is_pure_json_through_the_real_entry_point() -> None:
    """HiGHS prints a banner from C++ on its first use; it must not reach stdout."""
    result = subprocess.run([sys.executable, "-m", "rackforge", "stress", "--json", "--by", "country"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)
