"""`rackforge check` and `rackforge compare`: exit codes, JSON shape, tables and sentences."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from rackforge.cli import cli

DATA = Path(__file__).parent / "data" / "eng"
METRIC_KEYS = {"gpus", "cpus", "it_power_kw", "facility_power_kw", "liquid_heat_fraction", "coolant_flow_lpm",
               "busbar_current_a", "mass_kg", "rack_units", "scale_up_cables"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rackforge", *args], capture_output=True, text=True, timeout=120)


def test_check_json_of_a_passing_programme() -> None:
    result = CliRunner().invoke(cli, ["check", str(DATA / "ok"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "pass"
    assert [d["id"] for d in data["designs"]] == ["eng-rack", "eng-rack-800v"]
    for design in data["designs"]:
        assert set(design["metrics"]) >= METRIC_KEYS
        assert all({"check", "status", "value", "unit", "limit", "message"} <= set(f) for f in design["findings"])


def test_check_fails_with_exit_1_names_the_check_and_keeps_stdout_json() -> None:
    result = run("check", str(DATA / "cdu_too_small"), "--json")
    assert result.returncode == 1
    assert "cooling.cdu_capacity" in result.stderr and "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "fail"
    statuses = {f["check"]: f["status"] for f in data["designs"][0]["findings"]}
    assert statuses["cooling.cdu_capacity"] == "fail"


def test_check_table_shows_failing_findings() -> None:
    result = run("check", str(DATA / "overweight_rack"), "--design", "eng-rack")
    assert result.returncode == 1
    assert "mechanics.mass" in result.stdout and "FAIL" in result.stdout
    assert "eng-rack-800v" not in result.stdout  # --design limits the report


def test_check_unknown_design_is_a_usage_error() -> None:
    result = run("check", str(DATA / "ok"), "--design", "eng-rak")
    assert result.returncode == 2 and "did you mean 'eng-rack'" in result.stderr


def test_compare_states_what_changed() -> None:
    result = CliRunner().invoke(cli, ["compare", str(DATA / "ok"), "eng-rack-800v", "eng-rack", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["designs"] == ["eng-rack", "eng-rack-800v"]  # generation order (by year)
    rows = {row["metric"]: row for row in data["metrics"]}
    assert rows["bus_voltage_v"]["eng-rack-800v"] == 800
    sentences = " ".join(data["changes"][0]["sentences"])
    assert "The busbar current falls 94%" in sentences  # 1 − 50/800 = 93.75 %
    assert "because the bus moves from 50 V to 800 V" in sentences
    assert "Unchanged: the GPU count (72)" in sentences


def test_compare_table_and_needs_two_designs() -> None:
    table = CliRunner().invoke(cli, ["compare", str(DATA / "ok")])
    assert table.exit_code == 0, table.output
    assert "kW per GPU" in table.output and "From eng-rack (2026) to eng-rack-800v (2027)" in table.output
    one = run("compare", str(DATA / "ok"), "eng-rack")
    assert one.returncode == 2 and "two or more" in one.stderr


def test_compare_sentences_for_metrics_that_appear_or_vanish() -> None:
    from rackforge.engineering.compare import change_sentences
    from rackforge.engineering.design_checks import DesignReport

    def rep(ident: str, year: int, **metrics: float | None) -> DesignReport:
        return DesignReport(ident, ident, "g", year, (), metrics)

    air = rep("air", 2025, coolant_flow_lpm=0.0, busbar_current_a=None, gpus=32)
    liquid = rep("liquid", 2026, coolant_flow_lpm=862.0, busbar_current_a=763.0, gpus=576)
    text = " ".join(change_sentences(air, liquid))
    assert "The coolant flow rises from zero to 862 L/min." in text
    assert "The busbar current is 763 A (air had none)." in text
    assert "The GPU count rises 18.0-fold, from 32 to 576." in text
    back = " ".join(change_sentences(liquid, air))
    assert "The coolant flow falls from 862 L/min to zero." in back
    assert "does not apply to air" in back
