"""CLI tables name each quantity with its unit, and money has one format in every command (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from rackforge.cli import cli
from rackforge.cli.buffers_cmd import LEGEND, column_headers
from rackforge.cli.common import money_text
from rackforge.report.format import usd

TREE = ("stage,processing_periods,holding_cost_per_period,demand_sigma_per_period,max_service_periods,supplies\n"
        "raw,2,1.0,,,comp\ncomp,2,1.2,,,final\nfinal,1,10,5,1,\n")


@given(st.floats(-1e12, 1e12, allow_nan=False))
def test_cli_money_is_the_reports_format(value: float) -> None:
    assert money_text(value) == usd(value)
    assert money_text(None) == "-"


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
