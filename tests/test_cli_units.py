"""CLI tables name each quantity with its unit, and money has one format in every command (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from rackforge.cli import cli
from rackforge.cli.buffers_cmd import LEGEND, column_headers
from rackforge.cli.common import money_cell, money_text
from rackforge.report.format import money, usd

TREE = ("stage,processing_periods,holding_cost_per_period,demand_sigma_per_period,max_service_periods,supplies\n"
        "raw,2,1.0,,,comp\ncomp,2,1.2,,,final\nfinal,1,10,5,1,\n")


@given(st.floats(-1e12, 1e12, allow_nan=False))
def test_cli_money_is_the_reports_format(value: float) -> None:
    assert money_text(value) == usd(value)
    assert money_cell(value) == money(value)
    assert money_text(None) == money_cell(None) == "-"


def test_cli_tables_write_money_as_the_reports_tables_and_lines_as_its_sentences() -> None:
    """``bom``: each table cell is the report's table money (whole dollars) of the JSON's figure, and the
    build-plan line the report's sentence money (compact), e.g. ``$3,050,640`` and ``$586.16 M``."""
    data = json.loads(CliRunner().invoke(cli, ["bom", "--design", "gb300-nvl72", "--json"]).output)
    text = CliRunner().invoke(cli, ["bom", "--design", "gb300-nvl72"]).output
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[1:-1]]
            for line in text.splitlines() if line.startswith("│")}
    parts = data["designs"][0]["parts"]
    for part in parts[:10]:
        row = rows[part["part"]]
        assert row[3] == money(part["unit_cost_usd"]) and row[4] == money(part["cost_per_rack_usd"])
    assert "$3,050,640" in rows["nvidia-b300-gpu"]  # 72 × $42,370, by hand
    first = data["plan_cost"][0]
    quarter_cost = sum(r["cost_usd"] for r in data["plan_cost"] if r["quarter"] == first["quarter"])
    assert f"{first['quarter']} " in text and usd(quarter_cost) in " ".join(text.split())


def test_buffers_headers_carry_units_and_the_legend_names_the_symbols() -> None:
    headers = column_headers("week", in_usd=True)
    assert headers[1:] == ("T (weeks)", "SI (weeks)", "S (weeks)", "τ (weeks)", "σ (units/week)",
                           "safety stock (units)", "holding cost ($/week)")
    assert column_headers("period", in_usd=False)[-1] == "holding cost (per period)"
    for symbol, name in (("T", "processing time"), ("SI", "inbound service time"), ("S", "outbound service time"),
                         ("τ", "net replenishment time"), ("σ", "standard deviation of demand")):
        assert f"{symbol} " in LEGEND and name in LEGEND


def test_buffers_on_a_tree_file_and_on_the_reference(tmp_path: Path) -> None:
    tree = tmp_path / "tree.csv"
    tree.write_text(TREE)
    text = " ".join(CliRunner().invoke(cli, ["buffers", str(tree), "--service-level", "0.9772498680518208"])
                    .output.split())
    assert "(periods)" in text and "(units/period)" in text and "cost/period" not in text
    # hand check (docs/resilience.md): z = 2, the component holds 2 × 5 × √4 = 20 units at 1.2 a period = 24.00
    assert "total holding cost of safety stock: 24.00 per period" in text
    result = CliRunner().invoke(cli, ["buffers", "--design", "gb300-nvl72"])
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    data = json.loads(CliRunner().invoke(cli, ["buffers", "--design", "gb300-nvl72", "--json"]).output)
    total = data["trees"][0]["total_cost"]
    assert f"total holding cost of safety stock: {usd(total)} per week" in flat and "($/week)" in flat
