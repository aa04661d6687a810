"""The report's formatters (one per quantity kind) and column headers: hand-checked values and invariants."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rackforge.report.columns import COLUMNS, column, header
from rackforge.report.format import KINDS, MINUS, cell, date_text, money, money_compact, percent
from rackforge.report.summary import Facts

MONEY = re.compile(r"^(−)?\$(\d{1,3}(?:,\d{3})*)(\.\d{2})?$")


@pytest.mark.parametrize(("value", "text"), [
    (4460.2, "$4,460"), (33_512.0, "$33,512"), (-15_120.0, "−$15,120"), (2.164, "$2.16"), (0.0, "$0"),
    (-0.001, "$0"), (99.994, "$99.99"), (99.996, "$100"), (9_169_681_644.16, "$9,169,681,644"), (-2.5, "−$2.50"),
])
def test_table_money_by_hand(value: float, text: str) -> None:
    assert money(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (4460.0, "$4.46 k"), (33_500.0, "$33.50 k"), (-15_120.0, "−$15.12 k"), (9.29e9, "$9.29 B"),
    (3_412_345.6, "$3.41 M"), (12.5, "$12.50"), (999.0, "$999.00"), (1000.0, "$1.00 k"),
])
def test_headline_money_by_hand(value: float, text: str) -> None:
    assert money_compact(value) == text


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_table_money_is_one_format_and_reads_back(value: float) -> None:
    """Every amount is written the same way ($, thousands separators, cents only under $100, a true minus),
    and reads back to the amount within the rounding shown."""
    text = money(value)
    match = MONEY.match(text)
    assert match, text
    back = float(match.group(2).replace(",", "") + (match.group(3) or "")) * (-1 if match.group(1) else 1)
    assert abs(back - value) <= (0.005 if match.group(3) else 0.5) + 1e-9 * abs(value)
    assert (match.group(3) is not None) == (0 < round(abs(value), 2) < 100)


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_compact_money_agrees_with_the_summary_facts(value: float) -> None:
    """The executive summary's money (Facts.usd) is the compact format, for every amount it shows."""
    value = abs(value)
    assert money_compact(-value).startswith(MINUS + "$") or money_compact(-value) == "$0.00"
    facts = Facts({"x": value})
    assert facts.usd("x", "/x") == money_compact(value)


def test_every_kind_writes_its_numbers_by_hand() -> None:
    assert cell(0.6532, "percent") == "65.3%" and percent(-0.05) == "−5.0%"
    assert cell(1389.6, "current_a") == "1,390" and KINDS["current_a"].text(1389.6) == "1,390 A"
    assert cell(132.04, "power_kw") == "132.0" and cell(1.764, "power_kw") == "1.76"
    assert cell(197.4, "flow_lpm") == "197" and KINDS["flow_lpm"].text(197.4) == "197 L/min"
    assert cell(26.0, "weeks") == "26.0" and KINDS["weeks"].text(2.25) == "2.2 weeks"
    assert cell(1682, "count") == "1,682" and cell(48.612, "racks") == "48.6"
    assert cell(0.8718, "racks_per_week") == "0.87" and cell(13.6358, "racks_per_week") == "13.64"
    assert cell(2027, "year") == "2027" and cell("2027-01-15T00:00:00", "date") == "2027-01-15"
    assert KINDS["money"].text(4460.0) == "$4.46 k" and KINDS["percent"].text(0.5) == "50.0%"
    assert cell(None, "money") == "" and cell(float("nan"), "money") == "" and cell(True, "text") == "yes"
    import datetime as dt

    assert date_text(dt.datetime(2027, 3, 1, 8, 30)) == "2027-03-01"


SNAKE = re.compile(r"[a-z0-9]_[a-z0-9]")


def test_every_registered_column_has_a_human_header() -> None:
    for name, spec in COLUMNS.items():
        assert not SNAKE.search(spec.header), (name, spec.header)
        assert spec.kind in KINDS, name


@pytest.mark.parametrize(("name", "text", "kind"), [
    ("cost_per_rack_usd", "Cost per rack [USD]", "money"),
    ("freight_usd", "Freight [USD]", "money"),
    ("feed_power_kw", "Feed power [kW]", "power_kw"),
    ("queue_weeks", "Queue [weeks]", "weeks"),
    ("shelf_current_a", "Shelf current [A]", "current_a"),
    ("pump_flow_lpm", "Pump flow [L/min]", "flow_lpm"),
    ("cycle_time_h_ci95", "Cycle time ±95% CI [h]", "number"),
    ("first_pass_rack_share_ci95", "First-pass yield ±95% CI [%]", "percent"),
    ("scrap_share", "Scrap share [%]", "percent"),
    ("tco_per_gpu_hour [USD/GPU-h]", "TCO per GPU-hour [USD/GPU-h]", "money"),
    ("domestic_content normalised", "Domestic content, normalised [0-1]", "score"),
    ("widgets", "Widgets", "number"),
])
def test_unlisted_columns_are_read_by_their_unit_suffix(name: str, text: str, kind: str) -> None:
    assert header(name) == text
    assert column(name).kind == kind
