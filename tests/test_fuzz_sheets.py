"""Fuzz the spreadsheet boundary: mutated workbooks and CSV files never produce a traceback.

Hypothesis mutates valid files and feeds them to the two commands that read spreadsheets a user
typed: ``sheets import`` (an export of the small test programme, as .xlsx or CSV) and ``tests import``
(per-rack-serial test results, CSV or JSON). Mutations: a cell set to any value (formula text, huge or
non-finite numbers, dates, markup, control characters, very long text), the sheet's shape (rows and
columns added or removed, headers duplicated or moved, sheets renamed, added or merged cells), the
workbook's XML (declared dimension of a million rows, entity declarations, formulas without cached
values), and the raw bytes (encodings, delimiters, quotes, NUL bytes, truncation).

Every run must exit 0 or 2 (3 is a bug found) with no traceback, within bounded time; on exit 2 the
message names the file the user gave (with its sheet, row and column when a cell is at fault), never the
generated ``imported.yaml``, and nothing is written; on exit 0 the programme folder still loads.

The normal suite runs a small fixed budget; ``RACKFORGE_FUZZ_EXAMPLES`` sets a longer search (see
docs/errors.md, "The fuzz suite", and ``scripts/fuzz.sh`` for the documented 10-minute run).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from rackforge.cli import cli
from rackforge.io.loader import load_programme
from test_factory_testresults import GOOD as GOOD_RESULTS
from test_fuzz_inputs import FUZZ, MINI, NASTY_STRINGS, SECONDS_PER_RUN, mini_copy, snapshot

CELL_VALUES = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from(["=1+1", "=SUM(A1:A3)", "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "#REF!", "#DIV/0!", "TRUE",
                     "1e308", "-0", "0x10", "1_000", "٣", "２０", "2027-02-29", "12:00", "mini-gpu-board",
                     "mini-acme-austin", "qualified", "planned", "design", "tray"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.integers(32_000, 70_000).map(lambda n: "x" * n),  # past Excel's 32,767 characters a cell
    st.booleans(),
    st.none(),
    st.datetimes(),
)
"""What a careless or hostile user may type into a cell."""


def exported(folder: Path, kind: str) -> Path:
    """The mini programme exported in the import layout: a workbook, or the CSV folder."""
    target = folder.parent / ("export.xlsx" if kind == "xlsx" else "export-csv")
    result = CliRunner().invoke(cli, ["sheets", "export", str(target), str(MINI)])
    assert result.exit_code == 0, result.output
    return target


def run_import(args: list[str], given_file: Path, folder: Path, watched: Path) -> int:
    """Run one import command and check the boundary's promises; its exit status."""
    before = snapshot(watched)
    started = time.monotonic()
    result = CliRunner().invoke(cli, args)
    elapsed = time.monotonic() - started
    text = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"rackforge {' '.join(args[:2])} raised {result.exception!r}\n{text}") \
            from result.exception
    assert result.exit_code in (0, 2), f"exit {result.exit_code} (3 is a bug):\n{text}"
    assert "Traceback" not in text, text
    assert elapsed < SECONDS_PER_RUN, f"took {elapsed:.0f} s"
    if result.exit_code == 2:
        assert str(given_file) in text, f"the message does not name {given_file}:\n{text}"
        assert "imported.yaml" not in text, f"the message cites the generated file:\n{text}"
        assert snapshot(watched) == before, "files written on exit 2"
    return result.exit_code


# -- sheets import: workbooks ------------------------------------------------------------------------

def mutate_workbook(path: Path, data: st.DataObject) -> None:
    """Apply 1-3 cell or shape mutations to the workbook at ``path`` (openpyxl, then saved)."""
    book = load_workbook(path)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        ws = book[data.draw(st.sampled_from(book.sheetnames), label="sheet")]
        action = data.draw(st.sampled_from(["cell", "cell", "cell", "insert_row", "delete_row", "insert_col",
                                            "delete_col", "rename", "add_sheet", "merge", "header_down",
                                            "duplicate_header"]), label="action")
        row = data.draw(st.integers(1, ws.max_row + 1), label="row")
        col = data.draw(st.integers(1, ws.max_column + 1), label="column")
        if action == "cell":
            with suppress(IllegalCharacterError, ValueError, TypeError):  # openpyxl cannot even write it
                ws.cell(row, col).value = data.draw(CELL_VALUES, label="value")
        elif action == "insert_row":
            ws.insert_rows(row)
        elif action == "delete_row":
            ws.delete_rows(row)
        elif action == "insert_col":
            ws.insert_cols(col)
        elif action == "delete_col":
            ws.delete_cols(col)
        elif action == "rename":
            ws.title = data.draw(st.sampled_from([ws.title.upper(), ws.title + " ", "Sheet1", "x" * 31, "bom",
                                                  "sources"]), label="title")
        elif action == "add_sheet":
            extra = book.create_sheet(data.draw(st.sampled_from(["SOURCES", "Bom", "notes", "sources2"]),
                                                label="new sheet"))
            extra.append(["part", "site"])
        elif action == "merge":
            ws.merge_cells(start_row=row, start_column=col, end_row=row + 1, end_column=col + 1)
        elif action == "header_down":
            ws.insert_rows(1, amount=data.draw(st.integers(1, 3), label="blank rows"))
        elif action == "duplicate_header":
            ws.cell(1, col).value = ws.cell(1, 1).value
    book.save(path)


def mutate_workbook_xml(path: Path, data: st.DataObject) -> None:
    """Edit the workbook's XML or bytes directly (what openpyxl would never write)."""
    raw = path.read_bytes()
    action = data.draw(st.sampled_from(["dimension", "entity", "formula", "truncate", "flip", "shared_string"]),
                       label="xml action")
    if action in ("truncate", "flip"):  # an offset as a share of the file: its length varies with the save time
        at = data.draw(st.integers(0, 9_999), label="offset per 10,000") * len(raw) // 10_000
        path.write_bytes(raw[:at] if action == "truncate" else raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1:])
        return
    with zipfile.ZipFile(io.BytesIO(raw)) as src:
        parts = {i.filename: src.read(i.filename).decode("utf-8") for i in src.infolist()}
    sheet = data.draw(st.sampled_from(sorted(p for p in parts if p.startswith("xl/worksheets/sheet"))),
                      label="sheet part")
    text = parts[sheet]
    if action == "dimension":
        text = text.replace('<dimension ref="', '<dimension ref="A1:XFD1048576" x="', 1)
    elif action == "entity":
        text = text.replace("<worksheet", '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                            "<worksheet", 1)
    elif action == "formula":  # a formula cell with no cached value, as another program may save it
        text = text.replace("</sheetData>", '<row r="2"><c r="C2"><f>1+1</f></c></row></sheetData>', 1)
    elif action == "shared_string" and "xl/sharedStrings.xml" in parts:
        parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace("<t>", "<t>" + "\u0000" * 3, 1)
    parts[sheet] = text
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, body in parts.items():
            dst.writestr(name, body)
    path.write_bytes(out.getvalue())


@FUZZ
@given(data=st.data())
def test_sheets_import_of_a_mutated_workbook(data: st.DataObject) -> None:
    with mini_copy() as folder:
        book = exported(folder, "xlsx")
        mutate_workbook(book, data)
        if data.draw(st.booleans(), label="edit the XML too"):
            mutate_workbook_xml(book, data)
        if run_import(["sheets", "import", str(book), str(folder)], book, folder, folder) == 0:
            load_programme(folder)  # an import never leaves a programme that does not load


# -- sheets import: CSV ------------------------------------------------------------------------------

def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [list(r) for r in csv.reader(f)]


def mutate_csv(path: Path, data: st.DataObject) -> None:
    """A cell, the shape or the raw bytes of the CSV file at ``path``."""
    rows = csv_rows(path)
    action = data.draw(st.sampled_from(["cell", "cell", "drop_column", "extra_column", "short_row", "header",
                                        "encoding", "delimiter", "quote", "nul", "long_field", "bytes", "truncate"]),
                       label="csv action")
    row = data.draw(st.integers(0, len(rows)), label="row")
    col = data.draw(st.integers(0, max(len(r) for r in rows)), label="column")
    if row == len(rows):
        rows.append([""] * len(rows[0]))
    text: str | None = None
    if action == "cell":
        while len(rows[row]) <= col:
            rows[row].append("")
        rows[row][col] = str(data.draw(CELL_VALUES, label="value"))
    elif action == "drop_column":
        rows = [r[:col] + r[col + 1:] for r in rows]
    elif action == "extra_column":
        rows[row].append(data.draw(st.sampled_from(["x", "", "=1+1"]), label="extra"))
    elif action == "short_row":
        rows[row] = rows[row][:col]
    elif action == "header":
        rows[0][min(col, len(rows[0]) - 1)] = data.draw(st.sampled_from(["PART", "Part ", "site", "", "x"]),
                                                       label="header")
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    text = buffer.getvalue()
    if action == "encoding":
        path.write_bytes(text.replace("mini", "mïni").encode(
            data.draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "utf-8-sig", "cp1252"]), label="encoding"),
            errors="replace"))
        return
    if action == "delimiter":
        text = text.replace(",", data.draw(st.sampled_from([";", "\t", "|"]), label="delimiter"))
    elif action == "quote":
        text = text.replace(",", ',"', 1)
    elif action == "nul":
        text = text[:len(text) // 2] + "\x00" + text[len(text) // 2:]
    elif action == "long_field":
        text = text.replace("estimate", "estimate " + "x" * 200_000, 1)
    elif action == "truncate":
        text = text[:data.draw(st.integers(0, 9_999), label="length per 10,000") * len(text) // 10_000]
    raw = text.encode("utf-8")
    if action == "bytes":
        at = data.draw(st.integers(0, 9_999), label="offset per 10,000") * len(raw) // 10_000
        raw = raw[:at] + data.draw(st.binary(min_size=1, max_size=6), label="bytes") + raw[at:]
    path.write_bytes(raw)


@FUZZ
@given(data=st.data())
def test_sheets_import_of_a_mutated_csv(data: st.DataObject) -> None:
    with mini_copy() as folder:
        export = exported(folder, "csv")
        path = export / data.draw(st.sampled_from(["sources.csv", "bom.csv"]), label="file")
        mutate_csv(path, data)
        if run_import(["sheets", "import", str(path), str(folder)], path, folder, folder) == 0:
            load_programme(folder)


# -- tests import ------------------------------------------------------------------------------------

@contextmanager
def results_copy(kind: str) -> Iterator[tuple[Path, Path]]:
    """A fresh folder holding the documented test-results example as CSV or JSON, and an --into folder."""
    with mini_copy() as folder:
        path = folder.parent / f"results.{kind}"
        if kind == "csv":
            path.write_text(GOOD_RESULTS, encoding="utf-8")
        else:
            lines = GOOD_RESULTS.strip().splitlines()
            header = lines[0].split(",")
            rows: list[dict[str, Any]] = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
            path.write_text(json.dumps({"results": rows}, indent=1), encoding="utf-8")
        into = folder.parent / "into"
        into.mkdir()
        try:
            yield path, into
        finally:
            shutil.rmtree(into, ignore_errors=True)


def mutate_json(path: Path, data: st.DataObject) -> None:
    """A value, a key or the raw text of the JSON results at ``path``."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    rows = doc["results"]
    action = data.draw(st.sampled_from(["value", "value", "drop_key", "not_a_list", "raw", "nesting"]),
                       label="json action")
    if action == "value":
        row = rows[data.draw(st.integers(0, len(rows) - 1), label="row")]
        key = data.draw(st.sampled_from([*row, "extra"]), label="key")
        value = data.draw(st.one_of(CELL_VALUES.filter(lambda v: not hasattr(v, "isoformat")),
                                    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                         st.integers(), max_size=2)),
                          label="value")
        row[key] = value
    elif action == "drop_key":
        row = rows[data.draw(st.integers(0, len(rows) - 1), label="row")]
        row.pop(data.draw(st.sampled_from(sorted(row)), label="key"))
    elif action == "not_a_list":
        doc["results"] = data.draw(st.sampled_from([{}, "rows", 3, None, [[1, 2]], [None]]), label="results")
    text = json.dumps(doc, indent=1, allow_nan=True)
    if action == "raw":
        at = data.draw(st.integers(0, 9_999), label="offset per 10,000") * len(text) // 10_000
        text = text[:at] + data.draw(st.sampled_from(["NaN", "Infinity", "}", "[", "\x00", '"', "1e999", ","]),
                                     label="insert") + text[at:]
    elif action == "nesting":
        text = '{"results": ' + "[" * 5000 + "]" * 5000 + "}"
    path.write_text(text, encoding="utf-8")


@FUZZ
@given(data=st.data())
def test_tests_import_of_mutated_results(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["csv", "json"]), label="kind")
    with results_copy(kind) as (path, into):
        if kind == "csv":
            mutate_csv(path, data)
        else:
            mutate_json(path, data)
        code = run_import(["tests", "import", str(path), "--into", str(into), "--json"], path, into, into)
        if code == 0:  # the saved file is the documented CSV and reads back
            saved = into / "test_results" / f"{path.stem}.csv"
            assert run_import(["tests", "import", str(saved), "--json"], saved, into, into) == 0


def test_the_fuzz_strategies_start_from_files_that_import() -> None:
    """The unmutated starting points are accepted, so a rejection is the mutation's doing."""
    with mini_copy() as folder:
        book = exported(folder, "xlsx")
        assert run_import(["sheets", "import", str(book), str(folder)], book, folder, folder) == 0
        sources = exported(folder, "csv") / "sources.csv"
        assert run_import(["sheets", "import", str(sources), str(folder)], sources, folder, folder) == 0
    for kind in ("csv", "json"):
        with results_copy(kind) as (path, into):
            assert run_import(["tests", "import", str(path), "--into", str(into)], path, into, into) == 0


# -- what this suite found, kept as plain tests -------------------------------------------------------

def test_an_import_stopped_by_a_bad_row_leaves_no_lock_file(tmp_path: Path) -> None:
    """Found by the CSV fuzz: a short BOM row made the import exit 2 but leave .rackforge-import.lock."""
    with mini_copy() as folder:
        path = exported(folder, "csv") / "bom.csv"
        rows = csv_rows(path)
        rows[2] = rows[2][:0]
        rows[1] = rows[1][:2]
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        assert run_import(["sheets", "import", str(path), str(folder)], path, folder, folder) == 2
        assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in MINI.iterdir())


def test_results_json_nested_thousands_deep_is_bad_input(tmp_path: Path) -> None:
    """Found by the JSON fuzz: Python's JSON parser hit its recursion limit (exit 3)."""
    path = tmp_path / "deep.json"
    path.write_text('{"results": ' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")
    result = CliRunner().invoke(cli, ["tests", "import", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:1:" in result.output and "nested thousands of levels deep" in result.output


def test_a_duplicate_of_a_hand_written_source_cites_the_csv_row_not_the_generated_file(tmp_path: Path) -> None:
    """Found by the CSV fuzz: a changed row duplicating a source of sources.yaml was reported at
    sources.yaml with "first defined at .../imported.yaml:5" (imported.yaml loads first)."""
    with mini_copy() as folder:
        path = exported(folder, "csv") / "sources.csv"
        rows = csv_rows(path)
        rows[1][rows[0].index("source")] = "estimate: a changed figure"
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        result = CliRunner().invoke(cli, ["sheets", "import", str(path), str(folder)])
        assert result.exit_code == 2, result.output
        assert "duplicate sources entry" in result.output and f"{path}" in result.output
        assert "imported.yaml" not in result.output


def test_results_json_holding_lists_instead_of_objects_is_bad_input(tmp_path: Path) -> None:
    """Found by the JSON fuzz: an item that is not an object misaligned rows and lines (exit 3)."""
    path = tmp_path / "lists.json"
    path.write_text('{"results": [[1, 2]]}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["tests", "import", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:1: [0]: each result must be an object" in result.output


def test_two_rows_for_the_same_source_cite_each_other_by_sheet_row(tmp_path: Path) -> None:
    """Found by the 10-minute run: a duplicate inside the import was located at its sheet row, but its
    message still said "first defined at .../imported.yaml:11"."""
    with mini_copy() as folder:
        book = exported(folder, "xlsx")
        workbook = load_workbook(book)
        sheet = workbook["sources"]
        header = [c.value for c in sheet[1]]
        for row in (2, 3):  # the same part at the same new site, with different prices
            sheet.cell(row, header.index("site") + 1).value = "mini-acme-austin"
            sheet.cell(row, header.index("part") + 1).value = "mini-shelf"
        sheet.cell(2, header.index("price_usd") + 1).value = 9100
        workbook.save(book)
        result = CliRunner().invoke(cli, ["sheets", "import", str(book), str(folder)])
        assert result.exit_code == 2, result.output
        assert "duplicate sources entry" in result.output and "imported.yaml" not in result.output
        assert f"{book} [sheet sources] row " in result.output
