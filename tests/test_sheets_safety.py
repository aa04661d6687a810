"""Spreadsheets safe both ways: no live formula written, no untrusted workbook or CSV read blindly,
and ``sheets import`` writes only the files it owns, one import at a time."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

import rackforge.io.spreadsheets as spreadsheets
from rackforge.errors import InputError
from rackforge.io.exchange import (
    IMPORT_MARKER,
    SOURCE_COLUMNS,
    bom_frame,
    import_into_programme,
    read_sources,
    sources_frame,
)
from rackforge.io.loader import REFERENCE_DIR, load_programme
from rackforge.io.spreadsheets import escape_cell, read_sheets, write_tables
from test_sourcing_exchange import write_programme

HOSTILE = ["=HYPERLINK(\"https://example.com\",\"click\")", "+1+2", "-3+4", "@SUM(A1)", "\tindented", "\rreturn",
           "#N/A", "plain text", "a=b"]
HEADER = [c.name for c in SOURCE_COLUMNS]
GOOD_ROW = ["ex-gpu", "ex-austin", 70000, 30, 20, "estimate: onshore quote"]


def _xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def _rewrite_part(path: Path, part: str, edit) -> Path:
    """Rewrite one part of an .xlsx (a zip) with ``edit(text) -> text``."""
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    parts[part] = edit(parts[part].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    return path


def _problems(exc: pytest.ExceptionInfo[InputError]) -> str:
    return exc.value.render()


# -- writing: no live formulas -------------------------------------------------------------------

def test_escape_cell_quotes_formula_triggers_only():
    assert [escape_cell(v) for v in HOSTILE] == ["'" + v for v in HOSTILE[:6]] + HOSTILE[6:]
    assert escape_cell(-3) == -3 and escape_cell(None) is None


def test_csv_export_escapes_and_reads_back_exactly(tmp_path):
    frame = pd.DataFrame({"text": HOSTILE, "number": range(len(HOSTILE))})
    (written,) = write_tables({"t": frame}, tmp_path / "csv")
    raw = written.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in raw and "\n'+1+2," in raw and "\n'-3+4," in raw and "\n'@SUM(A1)," in raw
    assert not any(line.startswith(("=", "+", "-", "@")) for line in raw.splitlines())
    sheet = read_sheets(written)["t"]
    assert [r["text"] for _, r in sheet.rows] == [v.strip() or None for v in HOSTILE]


def test_xlsx_export_writes_text_cells_never_formulas(tmp_path):
    frame = pd.DataFrame({"text": HOSTILE, "=header": range(len(HOSTILE))})
    (written,) = write_tables({"t": frame}, tmp_path / "t.xlsx")
    ws = load_workbook(written)["t"]
    cells = [ws.cell(row=r, column=1) for r in range(2, len(HOSTILE) + 2)]
    assert [c.value for c in cells] == [v.replace("\r", "\n") for v in HOSTILE]  # XML keeps no bare CR
    assert {c.data_type for c in cells} == {"s"}
    assert ws.cell(row=1, column=2).data_type == "s"
    with zipfile.ZipFile(written) as book:
        assert b"<f>" not in book.read("xl/worksheets/sheet1.xml")


def test_results_workbook_writes_text_cells_never_formulas(tmp_path):
    from rackforge.report.workbook import write_workbook

    results = {"programme": {"name": "=cmd|' /C calc'!A0", "folder": None}, "generated": "2027-01-01",
               "rackforge_version": "0", "options": {"monte_carlo_scenarios": 1, "seed": 1},
               "executive_summary": {"sentences": [{"topic": "@topic", "text": "-1 racks"}]}}
    table = SimpleNamespace(sheet="names", frame=pd.DataFrame({"name": HOSTILE}))
    run = SimpleNamespace(results=results, absent=[{"title": "+x", "reason": "=y"}],
                          sections=[(None, SimpleNamespace(tables=[table]))])
    write_workbook(run, tmp_path / "results.xlsx")  # type: ignore[arg-type]
    book = load_workbook(tmp_path / "results.xlsx")
    formulas = [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    assert book["About"]["B1"].value == "=cmd|' /C calc'!A0"
    assert [book["names"].cell(row=r, column=1).value for r in range(2, len(HOSTILE) + 2)] == \
        [v.replace("\r", "\n") for v in HOSTILE]


# -- reading: untrusted workbooks and CSV ---------------------------------------------------------

def test_declared_dimension_is_not_trusted(tmp_path):
    path = _xlsx(tmp_path / "big.xlsx", {"sources": [HEADER, GOOD_ROW]})
    _rewrite_part(path, "xl/worksheets/sheet1.xml",
                  lambda t: re.sub(r'<dimension ref="[^"]*" ?/>', '<dimension ref="A1:XFD1048576"/>', t))
    assert b"XFD1048576" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert path.stat().st_size < 10_000
    tracemalloc.start()
    try:
        sources = read_sources(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(sources) == 1
    assert peak < 50 * 2**20


def test_formula_cells_are_refused_with_their_cell(tmp_path):
    path = _xlsx(tmp_path / "f.xlsx", {"sources": [HEADER, [*GOOD_ROW[:4], "=10*2", GOOD_ROW[5]]]})
    with pytest.raises(InputError) as err:
        read_sources(path)
    (problem,) = err.value.problems
    assert (problem.line, problem.field) == (2, "column E")
    assert "formula (=10*2)" in problem.message and "paste values" in problem.message
    assert "required value is empty" not in _problems(err)


def test_error_values_and_merged_cells_are_reported_as_such(tmp_path):
    path = _xlsx(tmp_path / "m.xlsx", {"sources": [HEADER, GOOD_ROW, ["ex-plate", "ex-austin", 1, 2, "#REF!",
                                                                      "estimate: x"], GOOD_ROW]})
    book = load_workbook(path)
    book["sources"].merge_cells("B2:B4")
    book["sources"]["E3"].data_type = "e"
    book.save(path)
    with pytest.raises(InputError) as err:
        read_sources(path)
    text = _problems(err)
    assert "cells B2:B4 are merged" in text and "Excel error #REF!" in text
    assert "required value is empty" not in text


def test_limits_on_rows_columns_and_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 3)
    path = _xlsx(tmp_path / "rows.xlsx", {"sources": [HEADER, GOOD_ROW, GOOD_ROW, GOOD_ROW]})
    with pytest.raises(InputError, match="more than 3 rows") as err:
        read_sources(path)
    assert err.value.problems[0].line == 4
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 100)
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(["x"] * 201) + "\n")
    with pytest.raises(InputError, match="more than 200 columns"):
        read_sheets(wide)
    long_cell = tmp_path / "long.csv"
    long_cell.write_text("part,site\n" + "x" * 20_000 + ",y\n")
    with pytest.raises(InputError, match="20,000 characters") as err:
        read_sheets(long_cell)
    assert (err.value.problems[0].line, err.value.problems[0].field) == (2, "column A")


def test_csv_field_over_the_csv_module_limit_is_bad_input(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text('part,site\n"' + "x" * 200_000 + '",y\n')
    with pytest.raises(InputError, match="not a valid CSV file") as err:
        read_sheets(path)
    assert err.value.problems[0].file == str(path)


@pytest.mark.parametrize("damage", ["not a zip", "truncated", "bad xml", "entities", "doctype"])
def test_corrupt_or_entity_laden_workbooks_are_bad_input(tmp_path, damage):
    path = _xlsx(tmp_path / "d.xlsx", {"sources": [HEADER, GOOD_ROW]})
    sheet = "xl/worksheets/sheet1.xml"
    if damage == "not a zip":
        path.write_bytes(b"PK\x03\x04 definitely not a workbook")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:400])
    elif damage == "bad xml":
        _rewrite_part(path, sheet, lambda t: t.replace("</sheetData>", "<row><c r=</sheetData>"))
    elif damage == "entities":
        bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        _rewrite_part(path, sheet, lambda t: bomb + t.replace(">ex-gpu<", ">&b;<"))
    else:
        _rewrite_part(path, "xl/workbook.xml", lambda t: '<!DOCTYPE w SYSTEM "file:///etc/passwd">' + t)
    with pytest.raises(InputError) as err:
        read_sources(path)
    assert str(path) in err.value.problems[0].file
    if damage in ("entities", "doctype"):
        assert "document type declaration" in _problems(err)


def test_sheet_names_differing_only_in_case_are_refused(tmp_path):
    path = _xlsx(tmp_path / "case.xlsx", {"sources": [HEADER, GOOD_ROW], "other": [HEADER]})
    _rewrite_part(path, "xl/workbook.xml", lambda t: t.replace('name="other"', 'name="Sources"'))
    with pytest.raises(InputError, match="'sources' and 'Sources' differ only in case"):
        read_sheets(path)


def test_cli_import_of_a_corrupt_workbook_exits_2_without_traceback(tmp_path):
    folder = write_programme(tmp_path / "prog")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    proc = subprocess.run([sys.executable, "-m", "rackforge", "sheets", "import", str(bad), str(folder)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "not a valid Excel workbook" in proc.stderr
    assert not (folder / "imported.yaml").exists()


# -- importing: messages in the user's coordinates -------------------------------------------------

def test_load_errors_name_the_sheet_row_and_column_not_the_generated_yaml(tmp_path):
    folder = write_programme(tmp_path / "prog")
    rows = [HEADER, GOOD_ROW, ["ex-plate", "ex-nowhere", 1, 2, 3, "estimate: a site that does not exist"]]
    path = _xlsx(tmp_path / "in.xlsx", {"sources": rows})
    with pytest.raises(InputError) as err:
        import_into_programme(path, folder)
    assert "imported.yaml" not in _problems(err)
    problem = err.value.problems[0]
    assert (problem.file, problem.line) == (f"{path} [sheet sources]", 3)
    assert problem.field.startswith("column site")


# -- importing: only files it owns, inside the folder, one at a time --------------------------------

def _one_source(tmp_path: Path) -> Path:
    return _xlsx(tmp_path / "one.xlsx", {"sources": [HEADER, GOOD_ROW]})


def test_import_never_replaces_a_hand_written_file(tmp_path):
    folder = write_programme(tmp_path / "prog")
    before = (folder / "sources.yaml").read_text()
    with pytest.raises(InputError, match="never replaces a hand-written file"):
        import_into_programme(_one_source(tmp_path), folder, "sources.yaml")
    assert (folder / "sources.yaml").read_text() == before
    result = import_into_programme(_one_source(tmp_path), folder)
    assert result.file.read_text().splitlines()[0] == IMPORT_MARKER
    # its own file is replaced by the next import
    assert import_into_programme(_one_source(tmp_path), folder).file == folder / "imported.yaml"


@pytest.mark.parametrize("name, message", [
    ("../outside.yaml", "'..' leaves it"),
    ("/tmp/abs.yaml", "not an absolute path"),
    ("notes.txt", "only .yaml and .yml"),
    (".hidden.yaml", "hidden files"),
    ("linked/imported.yaml", "outside the programme folder"),
])
def test_import_writes_only_inside_the_folder_names_the_loader_reads(tmp_path, name, message):
    folder = write_programme(tmp_path / "prog")
    (tmp_path / "elsewhere").mkdir()
    (folder / "linked").symlink_to(tmp_path / "elsewhere")
    spreadsheet = _one_source(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(InputError, match=message):
        import_into_programme(spreadsheet, folder, name)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_second_import_waits_for_the_lock_and_gives_up_with_exit_2(tmp_path):
    folder = write_programme(tmp_path / "prog")
    fd = os.open(folder, os.O_RDONLY)  # the lock another import holds: flock on the folder
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(InputError, match="another 'rackforge sheets import'"):
            import_into_programme(_one_source(tmp_path), folder, lock_wait_s=0.3)
        assert not (folder / "imported.yaml").exists()
    finally:
        os.close(fd)
    assert import_into_programme(_one_source(tmp_path), folder, lock_wait_s=0.3).sources == 1
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no lock file left behind


def test_two_imports_into_different_files_cannot_both_succeed(tmp_path):
    folder = write_programme(tmp_path / "prog")
    import_into_programme(_one_source(tmp_path), folder, "a.yaml")
    # the same row again is left out (already defined, unchanged); a changed one is a duplicate
    assert not import_into_programme(_one_source(tmp_path), folder, "b.yaml").written
    changed = _xlsx(tmp_path / "changed.xlsx", {"sources": [HEADER, [*GOOD_ROW[:2], 71000, *GOOD_ROW[3:]]]})
    with pytest.raises(InputError, match="duplicate sources entry") as err:
        import_into_programme(changed, folder, "b.yaml")
    assert err.value.problems[0].file == f"{changed} [sheet sources]" and err.value.problems[0].line == 2
    assert not (folder / "b.yaml").exists()
    load_programme(folder)


# -- the round trip ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ref") / "programme"
    shutil.copytree(REFERENCE_DIR, folder)
    return folder


@pytest.mark.parametrize("target", ["export.xlsx", "export-csv"])
def test_export_then_import_into_the_same_folder_is_a_no_op(reference_copy, tmp_path, target):
    original = load_programme(reference_copy)
    files_before = {p: p.read_bytes() for p in reference_copy.rglob("*") if p.is_file()}
    tables = {"sources": sources_frame(original.sources), "bom": bom_frame(original)}
    written = write_tables(tables, tmp_path / target)
    spreadsheet = written[0] if target.endswith(".xlsx") else written
    results = [import_into_programme(s, reference_copy) for s in
               (spreadsheet if isinstance(spreadsheet, list) else [spreadsheet])]
    assert all(not r.written and r.sources == 0 and r.assemblies == 0 for r in results)
    assert sum(r.unchanged for r in results) == len(original.sources) + \
        tables["bom"]["parent_kind"].isin([k for k in tables["bom"]["parent_kind"].dropna() if k != "design"]).sum()
    files_after = {p: p.read_bytes() for p in reference_copy.rglob("*") if p.is_file()}
    assert files_after == files_before
    again = load_programme(reference_copy)
    assert again.sources == original.sources and again.catalog == original.catalog


def test_edited_export_imports_only_the_changed_rows(reference_copy, tmp_path):
    original = load_programme(reference_copy)
    frame = sources_frame(original.sources)
    frame = pd.concat([frame, frame.iloc[[0]].assign(site="foxconn-houston", qualification="planned",
                                                      qualified_date=dt.date(2028, 1, 1))], ignore_index=True)
    if (frame["part"] + "@" + frame["site"]).duplicated().any():
        pytest.skip("the reference already sources that part at Houston")
    path = write_tables({"sources": frame}, tmp_path / "edited.xlsx")[0]
    try:
        result = import_into_programme(path, reference_copy)
        assert (result.sources, result.unchanged, result.written) == (1, len(original.sources), True)
        assert len(load_programme(reference_copy).sources) == len(original.sources) + 1
    finally:
        (reference_copy / "imported.yaml").unlink(missing_ok=True)
