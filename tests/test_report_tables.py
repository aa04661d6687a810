"""report.html tables: every row present behind 'show all', wide tables turned or split, human headers."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.report.columns import ColumnSpec
from rackforge.report.framework import Table
from rackforge.report.tablehtml import MAX_COLUMNS, column_parts, table_html, table_section_html


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr(?: class=\"extra\")?>.*?</tr>", html, re.S)


@given(st.integers(min_value=0, max_value=80), st.integers(min_value=1, max_value=30))
@settings(max_examples=40, deadline=None)
def test_every_row_is_in_the_page_and_only_the_first_are_shown(rows: int, shown: int) -> None:
    frame = pd.DataFrame({"part": [f"p{i}" for i in range(rows)], "unit_cost_usd": [1000.0 + i for i in range(rows)]})
    html = table_html(Table("t", "T", frame, max_html_rows=shown))
    body = _rows(html)[1:]  # the first is the header row
    assert len(body) == rows
    hidden = [r for r in body if r.startswith("<tr class=\"extra\">")]
    assert len(hidden) == max(0, rows - shown)
    assert body[:min(rows, shown)] == [r for r in body if r not in hidden]  # the hidden rows are the last ones
    assert ("Show all" in html) == (rows > shown)
    if rows > shown:
        assert f"Show all {rows:,} rows (first {shown:,} shown)" in html
        # the toggle comes before the table so that a CSS sibling rule can reveal the rows without a script
        assert html.index("<details class=\"show-all\">") < html.index("<table>")
    assert "first 60 of" not in html.lower() and "all rows are in results.xlsx" not in html


def test_headers_are_words_with_units_and_cells_follow_their_kind() -> None:
    frame = pd.DataFrame({"design": ["a", "b"], "cost_per_rack_usd": [4460.2, -15120.0],
                          "share_of_rack": [0.653, 0.02], "lead_time_weeks": [26.0, 2.25]})
    html = table_html(Table("t", "T", frame))
    assert "Cost per rack<span class=\"unit\">USD</span>" in html
    assert "Lead time<span class=\"unit\">weeks</span>" in html
    assert "_" not in re.sub(r"<[^>]+>", "", html.split("</thead>")[0])
    for text in ("$4,460", "−$15,120", "65.3%", "2.0%", "26.0", "2.2"):
        assert f">{text}</td>" in html


def test_a_wide_table_of_few_distinct_rows_is_turned() -> None:
    frame = pd.DataFrame({"design": ["a", "b", "c"], **{f"m{i}_kw": [float(i), i + 1.0, i + 2.0] for i in range(12)}})
    html = table_html(Table("t", "T", frame))
    assert "class=\"turned\"" in html
    assert len(_rows(html)) == 1 + 12  # one header row with the designs, one row per quantity
    assert re.search(r"<th[^>]*>M0<span class=\"unit\">kW</span></th>", html)


def test_a_wide_long_table_is_split_with_its_key_columns_repeated() -> None:
    names = ["design", "year", *[f"c{i}_usd" for i in range(15)]]
    parts = column_parts(names)
    assert all(len(p) <= MAX_COLUMNS and p[:2] == ["design", "year"] for p in parts)
    assert [n for p in parts for n in p[2:]] == names[2:]
    frame = pd.DataFrame({n: ([f"d{i}" for i in range(8)] if n == "design" else list(range(8))) for n in names})
    html = table_html(Table("t", "T", frame))
    assert html.count("<table>") == len(parts) == 2 and "Part 1 of 2" in html


def test_a_detail_table_is_collapsed_whole_with_every_row() -> None:
    frame = pd.DataFrame({"part": [f"p{i}" for i in range(100)]})
    html = table_section_html(Table("t", "All parts <b>", frame, html=False))
    assert html.startswith("<details class=\"full-table\"><summary>All parts &lt;b&gt; (100 rows)</summary>")
    assert len(_rows(html)) == 101 and "class=\"extra\"" not in html


def test_a_table_can_name_its_own_columns_and_text_is_escaped() -> None:
    frame = pd.DataFrame({"gb300-nvl72": [3], "note": ["<script>x</script>"]})
    html = table_html(Table("t", "T", frame, columns={"gb300-nvl72": ColumnSpec("GB300 NVL72", "count", "racks")}))
    assert "GB300 NVL72<span class=\"unit\">racks</span>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
