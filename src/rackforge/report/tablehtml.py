"""The report's tables in HTML: human headers with units, every row present, no sideways scrolling.

- Every row of a table is in the page. Past the first ``Table.max_html_rows`` rows the rest are
  collapsed behind a "Show all N rows" toggle: a ``<details>`` element placed before the table,
  whose open state shows the hidden rows by a CSS sibling rule (no script; works offline and from
  e-mail). A table marked ``html=False`` (a long detail table) is collapsed whole behind its title.
- A wide table with few rows (designs or systems side by side) is turned so that each row is a
  quantity and each column one design (:data:`TRANSPOSE_MAX_ROWS`); another wide table is split into
  parts of at most :data:`MAX_COLUMNS` columns, each repeating the identifying columns.
- Headers come from :mod:`rackforge.report.columns` (label and unit), cells from the column's kind
  (:mod:`rackforge.report.format`); every piece of text is escaped.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import TYPE_CHECKING, Any

from rackforge.report.columns import ColumnSpec, column
from rackforge.report.format import cell

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.report.framework import Table

MAX_COLUMNS = 10
"""Most columns one table part shows at a report width of 1280 px."""

TRANSPOSE_MAX_ROWS = 6
"""A table wider than :data:`MAX_COLUMNS` with at most this many rows, each named by a distinct first column
(designs or systems side by side), is shown turned: one column per row."""

KEY_COLUMNS = ("design", "system", "part", "site", "node", "station", "criterion", "stage", "year", "quarter",
               "sources", "category", "country")
"""Identifying columns repeated in every part of a split table (when they lead the table)."""


def column_of(table: Table, name: str) -> ColumnSpec:
    """How ``name`` is shown in ``table``: the table's own override, else :func:`column`."""
    overrides: dict[str, ColumnSpec] = getattr(table, "columns", None) or {}
    return overrides.get(name) or column(name)


def plain(value: Any) -> Any:
    """A frame value as a plain Python value (None for missing; numpy scalars unwrapped)."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _cell_html(value: Any, spec: ColumnSpec, tag: str = "td") -> str:
    v = plain(value)
    text = cell(v, spec.kind)
    numeric = isinstance(v, int | float) and not isinstance(v, bool) and spec.quantity.numeric
    return f"<{tag} class=\"num\">{escape(text)}</{tag}>" if numeric else f"<{tag}>{escape(text)}</{tag}>"


def header_html(spec: ColumnSpec, tag: str = "th", extra: str = "") -> str:
    """A header cell: the label, and the unit on its own line."""
    unit = f"<span class=\"unit\">{escape(spec.header_unit)}</span>" if spec.header_unit else ""
    return f"<{tag}{extra}>{escape(spec.label)}{unit}</{tag}>"


def _rows_html(frame: pd.DataFrame, specs: list[ColumnSpec], shown: int) -> str:
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        cls = " class=\"extra\"" if i >= shown else ""
        rows.append(f"<tr{cls}>" + "".join(_cell_html(v, s) for v, s in zip(row, specs, strict=True)) + "</tr>")
    return "".join(rows)


def _show_all(total: int, shown: int) -> str:
    """The toggle that reveals rows past the first ``shown`` (CSS: ``details.show-all[open] + .table-wrap``)."""
    return (f"<details class=\"show-all\"><summary><span class=\"closed\">Show all {total:,} rows "
            f"(first {shown:,} shown)</span><span class=\"opened\">Show the first {shown:,} rows only</span>"
            "</summary></details>")


def rows_table(frame: pd.DataFrame, specs: list[ColumnSpec], max_rows: int) -> str:
    """One table of rows; rows past ``max_rows`` hidden behind a 'show all' toggle."""
    head = "".join(header_html(s) for s in specs)
    shown = min(max_rows, len(frame))
    toggle = _show_all(len(frame), shown) if len(frame) > shown else ""
    return (f"<div class=\"table-block\">{toggle}<div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{_rows_html(frame, specs, shown)}</tbody></table></div></div>")


def turned_table(frame: pd.DataFrame, specs: list[ColumnSpec]) -> str:
    """A few rows side by side: one column per row of ``frame`` (named by its first column), one row per
    other column."""
    key = specs[0]
    names = [cell(plain(v), key.kind) for v in frame.iloc[:, 0]]
    head = header_html(key) + "".join(f"<th class=\"num\">{escape(n)}</th>" for n in names)
    body = []
    for j, spec in enumerate(specs[1:], start=1):
        cells = "".join(_cell_html(v, spec) for v in frame.iloc[:, j])
        body.append("<tr>" + header_html(spec, "th", " scope=\"row\"") + cells + "</tr>")
    return (f"<div class=\"table-block\"><div class=\"table-wrap\"><table class=\"turned\"><thead><tr>{head}</tr>"
            f"</thead><tbody>{''.join(body)}</tbody></table></div></div>")


def key_columns(names: list[str]) -> list[str]:
    """The leading identifying columns of a table (repeated in each part when it is split)."""
    keys: list[str] = []
    for name in names:
        if name not in KEY_COLUMNS or len(keys) == 3:
            break
        keys.append(name)
    return keys or names[:1]


def column_parts(names: list[str], limit: int = MAX_COLUMNS) -> list[list[str]]:
    """``names`` in parts of at most ``limit`` columns, each starting with the key columns."""
    if len(names) <= limit:
        return [names]
    keys = key_columns(names)
    rest = [n for n in names if n not in keys]
    width = max(1, limit - len(keys))
    return [keys + rest[i:i + width] for i in range(0, len(rest), width)]


def table_html(table: Table) -> str:
    """The table's HTML: turned, split or plain, with every row present (see the module docstring)."""
    frame = table.frame
    names = [str(c) for c in frame.columns]
    specs = [column_of(table, n) for n in names]
    if len(names) > MAX_COLUMNS and 0 < len(frame) <= TRANSPOSE_MAX_ROWS and frame.iloc[:, 0].is_unique:
        return turned_table(frame, specs)
    parts = column_parts(names)
    blocks = []
    for k, part in enumerate(parts):
        note = (f"<p class=\"part\">Part {k + 1} of {len(parts)}: columns "
                f"{', '.join(column_of(table, n).label for n in part[len(key_columns(names)):])}</p>"
                if len(parts) > 1 else "")
        sub = frame[part]
        blocks.append(note + rows_table(sub, [column_of(table, n) for n in part], table.max_html_rows))
    return "".join(blocks)


def table_section_html(table: Table) -> str:
    """A table with its title; a table marked ``html=False`` is collapsed whole behind its title."""
    count = f" ({len(table.frame):,} row{'s' if len(table.frame) != 1 else ''})"
    if not table.html:
        whole = replace(table, max_html_rows=max(len(table.frame), 1))
        return (f"<details class=\"full-table\"><summary>{escape(table.title)}{count}</summary>"
                f"{table_html(whole)}</details>")
    return f"<h3>{escape(table.title)}</h3>{table_html(table)}"
