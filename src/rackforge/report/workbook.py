"""results.xlsx: every section's tables as sheets (openpyxl), plus an About sheet.

Numbers stay raw numbers (full precision; fractions as fractions) under the report's human headers with
units (:mod:`rackforge.report.columns`), shown through an Excel number format of their kind (a fraction
as ``0.0%``, money as ``$#,##0.00``). Text cells are written as text, never as formulas
(see :func:`rackforge.io.spreadsheets.set_text_cell`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rackforge.io.spreadsheets import excel_value, set_text_cell
from rackforge.report.tablehtml import column_of

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


def _write_row(sheet: Any, row: int, values: Sequence[Any]) -> None:
    """Write one row; text stays text (never a live formula: :func:`rackforge.io.spreadsheets.set_text_cell`)."""
    for column, value in enumerate(values, start=1):
        if value is not None:
            set_text_cell(sheet.cell(row=row, column=column), value)


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
    for r, row in enumerate(rows, start=1):
        _write_row(about, r, row)
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
            specs = [column_of(table, str(c)) for c in frame.columns]
            _write_row(sheet, 1, [s.header for s in specs])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for r, record in enumerate(frame.itertuples(index=False), start=2):
                _write_row(sheet, r, [excel_value(v) for v in record])
            sheet.freeze_panes = "A2"
            for i, spec in enumerate(specs, start=1):
                letter = get_column_letter(i)
                sheet.column_dimensions[letter].width = min(60, max(10, len(spec.header) + 2))
                if spec.quantity.numeric:
                    for cell in sheet[letter][1:]:
                        if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                            cell.number_format = spec.quantity.excel
            names.append(name)
    book.save(path)
    return names
