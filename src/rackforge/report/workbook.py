"""results.xlsx: every section's tables as sheets (openpyxl), plus an About sheet."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rackforge.report.assess import AssessmentRun

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters, none of []:*?/\\)."""
    base = _BAD_SHEET_CHARS.sub("_", name)[:31] or "sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f"_{n}"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(candidate.lower())
    return candidate


def _excel_value(value: Any) -> Any:
    import pandas as pd

    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list | tuple | dict | set):
        return str(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def write_workbook(assessment: AssessmentRun, path: Path) -> list[str]:
    """Write the workbook to ``path``; returns the sheet names in order."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    about = book.active
    assert about is not None
    about.title = "About"
    results = assessment.results
    rows: list[tuple[Any, ...]] = [
        ("rackforge assessment", results["programme"]["name"]),
        ("generated", results["generated"]),
        ("rackforge version", results["rackforge_version"]),
        ("programme folder", results["programme"]["folder"] or "built-in reference programme"),
        ("Monte Carlo scenarios", results["options"]["monte_carlo_scenarios"]),
        ("seed", results["options"]["seed"]),
        (),
        ("Executive summary",),
        *[(s["topic"], s["text"]) for s in results["executive_summary"]["sentences"]],
        (),
        ("Not assessed",),
        *[(a["title"], a["reason"]) for a in assessment.absent],
    ]
    for row in rows:
        about.append(list(row))
    about["A1"].font = Font(bold=True, size=13)
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 120
    taken = {"about"}
    names = ["About"]
    for _section, output in assessment.sections:
        for table in output.tables:
            name = sheet_name(table.sheet, taken)
            sheet = book.create_sheet(name)
            frame = table.frame
            sheet.append([str(c) for c in frame.columns])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for record in frame.itertuples(index=False):
                sheet.append([_excel_value(v) for v in record])
            sheet.freeze_panes = "A2"
            for i, column in enumerate(frame.columns, start=1):
                sheet.column_dimensions[get_column_letter(i)].width = min(60, max(10, len(str(column)) + 2))
            names.append(name)
    book.save(path)
    return names
