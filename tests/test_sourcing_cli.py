"""The bom, sourcing, whatif and sheets commands: JSON figures against hand values, exit codes, files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rackforge.cli import cli
from rackforge.errors import RackforgeError
from test_sourcing_exchange import write_programme

# per rack: 8 GPU boards from Taiwan at 60,000 + 5% freight + 10% duty = 69,000 each; 16 plates at 300 and
# 2 shelves at 9,000 from Austin (no US->US lane: no freight, no duty)
GPU, PLATES, SHELVES = 8 * 69_000.0, 16 * 300.0, 2 * 9_000.0
RACK = GPU + PLATES + SHELVES


def run(*args: str) -> tuple[int, str, str]:
    """Run a command in-process; user errors give their exit code and message as rackforge.cli.main does."""
    result = CliRunner().invoke(cli, list(args))
    if isinstance(result.exception, RackforgeError):
        return result.exception.exit_code, result.stdout, str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_user_errors_exit_2_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rackforge", "sourcing", str(tmp_path / "missing")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "no such folder" in proc.stderr


@pytest.fixture()
def folder(tmp_path):
    return write_programme(tmp_path / "prog")


def test_bom_json(folder):
    code, out, _ = run("bom", str(folder), "--json")
    assert code == 0
    data = json.loads(out)
    rack = data["designs"][0]
    assert rack["cost_per_rack_usd"] == pytest.approx(RACK)
    parts = {p["part"]: p for p in rack["parts"]}
    assert parts["ex-gpu"]["quantity_per_rack"] == 8 and parts["ex-gpu"]["unit_cost_usd"] == pytest.approx(69_000)
    assert rack["by_category"] == pytest.approx({"compute": GPU, "cooling": PLATES, "power": SHELVES})
    assert [q["racks"] for q in data["plan_cost"]] == [2, 3]
    assert data["plan_cost"][1]["cost_usd"] == pytest.approx(3 * RACK)


def test_bom_unknown_design_is_exit_2(folder):
    code, _, err = run("bom", str(folder), "--design", "ex-rak")
    assert code == 2 and "did you mean 'ex-rack'" in err


def test_sourcing_json_has_the_issue_fields(folder, tmp_path):
    code, out, err = run("sourcing", str(folder), "--json", "--xlsx", str(tmp_path / "s.xlsx"))
    assert code == 0, err
    data = json.loads(out)  # only JSON on stdout
    year = data["designs"][0]["years"][0]
    assert year["year"] == 2027 and year["racks"] == 5
    assert year["domestic_content"] == pytest.approx((PLATES + SHELVES) / RACK, abs=1e-6)
    assert year["threshold"] == 0.65 and year["meets_threshold"] is False
    assert year["by_category"] == pytest.approx({"compute": 0.0, "cooling": 1.0, "power": 1.0})
    assert {p["part"] for p in data["single_source_parts"]} == {"ex-gpu", "ex-plate", "ex-shelf"}
    tw = next(e for e in data["country_exposure"] if e["country"] == "TW")
    assert tw["share_of_rack_value"] == pytest.approx(GPU / RACK, abs=1e-6)
    assert (tmp_path / "s.xlsx").is_file()


def test_sourcing_strict_fails_below_threshold_and_rule_option(folder):
    code, _, err = run("sourcing", str(folder), "--strict")
    assert code == 1 and "ex-rack 2027" in err
    code, out, _ = run("sourcing", str(folder), "--json", "--rule", "usmca-rvc-tv")
    assert code == 0 and json.loads(out)["rule"]["id"] == "usmca-rvc-tv"
    code, _, err = run("sourcing", str(folder), "--rule", "far")
    assert code == 2 and "far-25.101" in err


def test_whatif_move_and_rank(folder):
    code, out, err = run("whatif", str(folder), "--move", "ex-gpu=ex-austin", "--rank", "ex-rack", "--json")
    assert code == 0, err
    data = json.loads(out)
    row = next(r for r in data["domestic_content"] if r["sources"] == "qualified")
    # the new Austin source is priced at the Taiwan ex-works price (60,000) without freight and duty
    after_total = 8 * 60_000 + PLATES + SHELVES
    assert row["domestic_content_after"] == pytest.approx(1.0)
    assert row["added_cost_per_rack_usd"] == pytest.approx(after_total - RACK)
    assert data["rank"]["candidates"][0]["part"] == "ex-gpu"
    assert data["rank"]["cheapest_set"][-1]["passes"] is True
    code, _, err = run("whatif", str(folder))
    assert code == 2 and "--move" in err


def test_sheets_template_export_import(folder, tmp_path):
    code, _, _ = run("sheets", "template", str(tmp_path / "t.xlsx"))
    assert code == 0 and (tmp_path / "t.xlsx").is_file()
    code, _, _ = run("sheets", "export", str(tmp_path / "export"), str(folder))
    assert code == 0 and (tmp_path / "export" / "sources.csv").is_file()
    bare = write_programme(tmp_path / "bare", sources=False)
    code, out, err = run("sheets", "import", str(tmp_path / "export" / "sources.csv"), str(bare), "--json")
    assert code == 0, err
    assert json.loads(out)["sources"] == 3
    code, _, err = run("sheets", "import", str(tmp_path / "nope.xlsx"), str(bare))
    assert code == 2 and "no such file" in err


def test_a_rule_written_in_the_programme_is_applied(folder):
    (folder / "rules.yaml").write_text(
        "rules:\n"
        "  domestic_content:\n"
        "    id: tiny-target\n"
        "    name: A 1% target for this test\n"
        "    source: 'estimate: an invented target for the test'\n"
        "    comparison: at-least\n"
        "    thresholds: [{from_year: 2020, threshold: 1 %}]\n"
        "  compare: [far-25.101]\n")
    code, out, err = run("sourcing", str(folder), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["rule"]["id"] == "tiny-target"
    year = data["designs"][0]["years"][0]
    assert year["threshold"] == pytest.approx(0.01) and year["meets_threshold"] is True
    assert {r["rule"] for r in data["compared_rules"]} == {"far-25.101"}
    assert all(r["meets_threshold"] is False for r in data["compared_rules"])
