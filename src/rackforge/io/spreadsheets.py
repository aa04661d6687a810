"""Spreadsheets at the boundary, whatever they hold: CSV and .xlsx read safely, tables written safely.

Reading (:func:`read_sheets`): rows are read lazily (a workbook's declared dimensions are not
trusted), within limits on file size, expanded size, rows, columns and cell length; DTD/entity XML,
damaged archives, formulas, error values and merged ranges are reported in the user's coordinates
(file, sheet, row, column). Writing (:func:`write_tables`): text that a spreadsheet program would
read as a formula is escaped in CSV (OWASP's CSV-injection guidance, :func:`escape_cell`) and kept
as text in .xlsx (:func:`set_text_cell`); files are written as one output set. What the rows mean
(sources, BOMs) is :mod:`rackforge.io.exchange`'s business.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rackforge.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd




Row = tuple[int, dict[str, Any]]


@dataclass(frozen=True)
class Sheet:
    """Rows read from one sheet or CSV file, with where they came from."""

    display: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    issues: tuple[Problem, ...] = ()
    """Cells that cannot be read as values (formulas, errors, merged ranges), reported on import."""

    def problem(self, row: int | None, column: str | None, message: str) -> Problem:
        field = ""
        if column is not None:
            letter = _column_letter(self.header.index(column)) if column in self.header else ""
            field = f"column {column}" + (f" ({letter})" if letter else "")
        return Problem(self.display, row, field, message)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# -- reading ------------------------------------------------------------------------------------

MAX_ROWS = 100_000
"""Most rows read from one sheet or CSV file (header included)."""

MAX_COLUMNS = 200
"""Most columns read from one sheet or CSV file."""

MAX_CELL_CHARS = 10_000
"""Longest text accepted in one cell."""

MAX_SPREADSHEET_BYTES = 64 * 1024 * 1024
"""Largest spreadsheet file accepted (a CSV, or an .xlsx as stored)."""

MAX_XLSX_EXPANDED_BYTES = 256 * 1024 * 1024
"""Largest total size of an .xlsx's parts once decompressed (a zip bomb is refused up front)."""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet program read a cell as a formula (OWASP CSV injection)."""


def read_sheets(path: str | Path) -> dict[str, Sheet]:
    """Read every sheet of an .xlsx (by sheet name) or one CSV file (keyed by its stem).

    Nothing about the file is trusted: its size, an .xlsx's declared dimensions, its XML
    (document type declarations and entities are refused) and its cells (formulas, error
    values and merged ranges are reported on the sheets that are imported; rows, columns and
    cell text are limited by :data:`MAX_ROWS`, :data:`MAX_COLUMNS` and :data:`MAX_CELL_CHARS`).
    Every problem is an :class:`InputError` naming the file, sheet, row and column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), None, "", "no such file; give a .csv or .xlsx file")])
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputError([Problem(str(path), None, "", f"unknown spreadsheet type {path.suffix!r}; use .csv or .xlsx")])
    size = path.stat().st_size
    if size > MAX_SPREADSHEET_BYTES:
        raise InputError([Problem(str(path), None, "", f"file of {size / 2**20:.0f} MiB is larger than the "
                                  f"{MAX_SPREADSHEET_BYTES / 2**20:.0f} MiB limit; split it")])
    if suffix == ".xlsx":
        return _read_xlsx(path)
    return {path.stem: _read_csv(path)}


def unescape_csv_cell(text: str) -> str:
    """Undo :func:`escape_cell`'s quote for CSV: ``'=x`` -> ``=x`` (other text unchanged)."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


class _Limits:
    """Row, column and cell-size limits while reading one sheet, with the sheet's display name."""

    def __init__(self, display: str):
        self.display = display

    def check_row(self, row: int, values: Sequence[Any]) -> list[Any]:
        """``values`` without trailing empty cells; an InputError past a limit."""
        cells = list(values)
        while cells and (cells[-1] is None or cells[-1] == ""):
            cells.pop()
        if not cells:
            return cells
        if row > MAX_ROWS:
            raise InputError([Problem(self.display, row, "", f"more than {MAX_ROWS:,} rows; split the sheet")])
        if len(cells) > MAX_COLUMNS:
            raise InputError([Problem(self.display, row, f"column {_column_letter(len(cells) - 1)}",
                                      f"more than {MAX_COLUMNS} columns; remove the cells beyond column "
                                      f"{_column_letter(MAX_COLUMNS - 1)}")])
        for i, value in enumerate(cells):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise InputError([Problem(self.display, row, f"column {_column_letter(i)}",
                                          f"cell holds {len(value):,} characters, more than the "
                                          f"{MAX_CELL_CHARS:,} allowed")])
        return cells


def _read_csv(path: Path) -> Sheet:
    display = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # no newline translation: csv handles quoted CR/LF
    except UnicodeDecodeError as exc:
        raise InputError([Problem(display, None, "", f"not UTF-8 text ({exc.reason}); save the CSV as UTF-8")]) \
            from None
    limits = _Limits(display)
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, Sequence[Any]]] = []
    try:
        for record in reader:
            cells = limits.check_row(reader.line_num, [unescape_csv_cell(c) for c in record])
            if cells:
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise InputError([Problem(display, reader.line_num + 1, "", f"not a valid CSV file: {exc} "
                                  f"(cells are limited to {MAX_CELL_CHARS:,} characters)")]) from None
    return _sheet_from_rows(display, rows)


_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def _check_xlsx_archive(path: Path) -> None:
    """Refuse an .xlsx that is not a sound zip, expands too far, or holds XML with a DTD or entities."""
    import zipfile
    import zlib

    where = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            expanded = sum(i.file_size for i in infos)
            if len(infos) > 10_000 or expanded > MAX_XLSX_EXPANDED_BYTES:
                raise InputError([Problem(where, None, "", f"the workbook expands to {expanded / 2**20:,.0f} MiB "
                                          f"in {len(infos):,} parts, more than the "
                                          f"{MAX_XLSX_EXPANDED_BYTES / 2**20:.0f} MiB allowed")])
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    _check_xml_part(archive, info, where)
    except InputError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, ValueError,
            RuntimeError) as exc:
        raise InputError([Problem(where, None, "", f"not a valid Excel workbook (.xlsx): {exc}")]) from None


def _check_xml_part(archive: Any, info: Any, where: str) -> None:
    """Scan one XML part for document type declarations and entities (refused), in UTF-8 only."""
    tail = b""
    with archive.open(info) as stream:
        first = True
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                return
            if first and (chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:64]):
                raise InputError([Problem(where, None, "", f"part {info.filename} is not UTF-8 XML; "
                                          "save the workbook again from Excel")])
            first = False
            window = tail + chunk
            if any(marker in window for marker in _DTD_MARKERS):
                raise InputError([Problem(where, None, "", f"part {info.filename} holds a document type "
                                          "declaration or entities, which a workbook never needs; refused "
                                          "(save the workbook again from Excel)")])
            tail = window[-16:]


def _read_xlsx(path: Path) -> dict[str, Sheet]:
    from openpyxl import load_workbook

    _check_xlsx_archive(path)
    where = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # a third-party parser on untrusted bytes: every failure is bad input
        raise InputError([Problem(where, None, "", f"cannot read as an Excel workbook: "
                                  f"{type(exc).__name__}: {exc}")]) from None
    try:
        titles: dict[str, str] = {}
        for title in book.sheetnames:
            other = titles.setdefault(title.casefold(), title)
            if other != title:
                raise InputError([Problem(where, None, "", f"sheets {other!r} and {title!r} differ only in "
                                          "case, which Excel treats as the same name; rename or remove one")])
        out = {}
        for ws in book.worksheets:
            display = f"{path} [sheet {ws.title}]"
            try:
                out[ws.title] = _read_worksheet(book, ws, display)
            except InputError:
                raise
            except Exception as exc:  # as above: a malformed sheet part
                raise InputError([Problem(display, None, "", f"cannot read this sheet: "
                                          f"{type(exc).__name__}: {exc}")]) from None
        return out
    finally:
        book.close()


def _read_worksheet(book: Any, ws: Any, display: str) -> Sheet:
    """One worksheet, read row by row without trusting its declared dimensions.

    Formula cells and error values are recorded as problems (the cell counts as empty),
    as are merged ranges; they are reported when the sheet is imported.
    """
    ws.reset_dimensions()  # the declared dimension may claim the whole sheet
    limits = _Limits(display)
    rows: list[tuple[int, Sequence[Any]]] = []
    issues: list[Problem] = []
    for number, cells in enumerate(ws.iter_rows(), start=1):
        values = []
        for i, cell in enumerate(cells):
            value = getattr(cell, "value", None)
            kind = getattr(cell, "data_type", None)
            if kind == "f" and value is not None:
                if len(issues) < 50:
                    issues.append(Problem(display, number, f"column {_column_letter(i)}",
                                          f"holds a formula ({str(value)[:60]}); rackforge does not evaluate "
                                          "formulas: replace it by its value (copy, then paste values)"))
                value = None
            elif kind == "e":
                if len(issues) < 50:
                    issues.append(Problem(display, number, f"column {_column_letter(i)}",
                                          f"holds the Excel error {value}; give a value"))
                value = None
            values.append(value)
        cells_kept = limits.check_row(number, values)
        if cells_kept:
            rows.append((number, cells_kept))
    issues.extend(_merged_ranges(book, ws, display))
    sheet = _sheet_from_rows(display, rows)
    return Sheet(sheet.display, sheet.header, sheet.rows, tuple(issues))


def _merged_ranges(book: Any, ws: Any, display: str) -> list[Problem]:
    """Merged ranges of a sheet (read-only mode does not keep them), as problems."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    problems: list[Problem] = []
    archive, part = getattr(book, "_archive", None), getattr(ws, "_worksheet_path", None)
    if archive is None or part is None:
        return problems
    with archive.open(part) as stream:
        for _event, element in iterparse(stream, events=("end",)):
            if element.tag.endswith("}mergeCell") and len(problems) < 50:
                ref = element.get("ref", "")
                try:
                    col, row, _, _ = range_boundaries(ref)
                except (TypeError, ValueError):
                    col, row = None, None
                problems.append(Problem(display, row, f"column {_column_letter(col - 1)}" if col else "",
                                        f"cells {ref} are merged; rackforge reads one value per cell: unmerge "
                                        "them and fill every cell"))
            element.clear()
    return problems


def _sheet_from_rows(display: str, rows: Sequence[tuple[int, Sequence[Any]]]) -> Sheet:
    rows = [(n, r) for n, r in rows if any(_cell(v) is not None for v in r)]
    if not rows:
        return Sheet(display, (), ())
    _, header_cells = rows[0]
    header = tuple(str(_cell(c) or "").strip().lower() for c in header_cells)
    out = []
    for n, cells in rows[1:]:
        record = {}
        for name, value in zip(header, cells, strict=False):
            if name and _cell(value) is not None:
                record[name] = _cell(value)
        out.append((n, record))
    return Sheet(display, header, tuple(out))


_PLAIN_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][-+]?\d+)?$")


def _cell(value: Any) -> Any:
    """Normalise one cell: strip text, '' -> None, plain numbers in text ('1,200', '0.5') -> numbers,
    datetimes at midnight -> dates."""
    if isinstance(value, str):
        value = value.strip()
        if value and any(ch.isdigit() for ch in value) and _PLAIN_NUMBER.match(value):
            number = float(value.replace(",", ""))
            return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
        return value or None
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    return value




def _sheet_name(name: str) -> str:
    bad = '[]:*?/\\'
    return "".join("_" if ch in bad else ch for ch in name)[:31]


def escape_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet program reads as a formula (OWASP's CSV-injection guidance).

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading single
    quote (``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``); :func:`unescape_csv_cell` removes it on
    import. Other values are returned as they are. In .xlsx files text is written as text cells
    instead (:func:`set_text_cell`), which are never formulas, so no quote is added there.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell passed through :func:`escape_cell` (for CSV output)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("string", "str"):
            out[column] = out[column].map(escape_cell).astype(object)
    out.columns = [escape_cell(str(c)) for c in out.columns]
    return out


def set_text_cell(cell: Any, value: Any) -> None:
    """Set an openpyxl cell; text always stays text (never a formula, an error code or a number)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def write_tables(tables: Mapping[str, pd.DataFrame], path: str | Path) -> list[Path]:
    """Write tables to one .xlsx (a sheet each) or, for any other path, a folder of CSV files.

    Returns the files written. The .xlsx is written atomically; a folder of CSV files is an
    output set (:func:`rackforge.io.files.output_set`): written beside it and swapped in whole,
    so it holds the new tables or the previous ones, never a mix. Text that a spreadsheet
    program would read as a formula is escaped (:func:`escape_cell`, :func:`set_text_cell`).
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from rackforge.io.files import atomic_path, check_output_file

        check_output_file(path)
        with atomic_path(path) as tmp:
            _write_xlsx(tables, tmp)
        return [path]
    if path.suffix.lower() == ".csv":
        raise InputError([Problem(str(path), None, "", "CSV export writes one file per table: give a folder "
                                  "(e.g. out/sourcing) or an .xlsx file")])
    from rackforge.io.files import output_set

    names = [f"{name}.csv" for name in tables]
    with output_set(path, [*names, *_csv_names_in(path)]) as tmp:
        for name, frame in tables.items():
            # CRLF line ends (RFC 4180), so a carriage return inside a cell is quoted too
            escape_frame(frame).to_csv(tmp / f"{name}.csv", index=False, date_format="%Y-%m-%d", lineterminator="\r\n")
    return [path / name for name in names]


def check_tables_target(path: str | Path, names: Iterable[str] | None = None) -> Path:
    """Check a ``--xlsx FILE`` or ``--csv DIR`` target before any analysis runs (exit 2 if it cannot be written).

    ``names``: the tables the folder will hold, when known. A folder holding anything but CSV
    files is refused, since the new tables replace the whole folder.
    """
    from rackforge.io.files import check_output_dir, check_output_file

    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return check_output_file(path)
    if path.suffix.lower() == ".csv":
        raise InputError([Problem(str(path), None, "", "CSV export writes one file per table: give a folder "
                                  "(e.g. out/sourcing) or an .xlsx file")])
    return check_output_dir(path, [*_csv_names_in(path), *(f"{n}.csv" for n in names or ())])


def _csv_names_in(path: Path) -> list[str]:
    """The CSV files already in ``path`` (any set of tables may replace a folder of CSV tables)."""
    return [p.name for p in path.iterdir() if p.suffix == ".csv"] if path.is_dir() else []


def excel_value(value: Any) -> Any:
    """A value openpyxl can store: missing -> None, numpy scalars -> Python, containers -> text."""
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
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


def _write_xlsx(tables: Mapping[str, pd.DataFrame], target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    if first is not None:
        book.remove(first)
    for name, frame in tables.items():
        ws = book.create_sheet(_sheet_name(name))
        for i, column in enumerate(frame.columns, start=1):
            set_text_cell(ws.cell(row=1, column=i), str(column))
            ws.cell(row=1, column=i).font = Font(bold=True)
        for r, record in enumerate(frame.itertuples(index=False), start=2):
            for i, value in enumerate(record, start=1):
                value = excel_value(value)
                if value is not None:
                    set_text_cell(ws.cell(row=r, column=i), value)
        ws.freeze_panes = "A2"
        for i, column in enumerate(frame.columns):
            width = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200).tolist())])
            ws.column_dimensions[_column_letter(i)].width = min(60, width + 2)
    book.save(target)


