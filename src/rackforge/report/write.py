"""Write report.html, results.json (+ its schema) and results.xlsx into a folder, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rackforge.report.assess import AssessmentRun

SCHEMA_PATH = Path(__file__).parent / "results.schema.json"
FILES = ("report.html", "results.json", "results.schema.json", "results.xlsx")


def results_schema() -> dict[str, Any]:
    """The published JSON Schema of results.json."""
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def results_json_text(results: dict[str, Any]) -> str:
    """results.json text: strict JSON (no NaN), UTF-8, indented."""
    return json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def check_report_dir(directory: str | Path) -> Path:
    """Check the report folder before any analysis runs (exit 2 at once if it cannot be written).

    Refused: an existing file, a read-only folder, a folder holding files other than
    :data:`FILES` (the report replaces the whole folder).
    """
    from rackforge.io.files import check_output_dir

    return check_output_dir(directory, FILES)


def write_report(assessment: AssessmentRun, directory: str | Path, plotly_js: str | None = None) -> dict[str, Path]:
    """Write the four files into ``directory`` as one set (a failure or a kill leaves the folder as it was).

    The files are written into a staging folder beside ``directory`` that then replaces it
    whole (:func:`rackforge.io.files.output_set`); ``directory`` is checked first
    (:func:`check_report_dir`).
    """
    from rackforge.io.files import output_set
    from rackforge.report.html import render_html
    from rackforge.report.workbook import write_workbook

    directory = Path(directory)
    with output_set(directory, FILES) as tmp:
        (tmp / "results.json").write_text(results_json_text(assessment.results), encoding="utf-8")
        (tmp / "results.schema.json").write_text(SCHEMA_PATH.read_text(encoding="utf-8"), encoding="utf-8")
        write_workbook(assessment, tmp / "results.xlsx")
        (tmp / "report.html").write_text(render_html(assessment, plotly_js), encoding="utf-8")
    return {name: directory / name for name in FILES}
