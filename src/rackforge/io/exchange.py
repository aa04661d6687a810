"""Exchange with spreadsheets: read sources and BOMs from CSV/.xlsx, write result tables.

Layout (also written by :func:`write_template` and documented in docs/sourcing.md): the first
row of a sheet holds column names (any order, any case; a ``notes`` column is ignored); each
further row is one record; empty rows are skipped; empty cells mean "not given".

- ``sources`` (sheet ``sources`` or a CSV whose header has ``part`` and ``site``): the columns
  of :data:`SOURCE_COLUMNS`; values may carry units like the YAML files ("12 weeks", "1,200
  USD", "5 %").
- ``bom`` (sheet ``bom`` or a CSV whose header has ``parent`` and ``ref``): one row per item,
  ``parent, ref, quantity``; the rows of one parent form an assembly (give ``parent_kind`` -
  tray, shelf, manifold, chassis, cartridge, module, server, other - ``parent_name`` and
  ``source`` on at least one of its rows). Rows of a design (``parent_kind: design``) list its
  top-level items as exported; an import checks them against the design and does not write
  designs (a design is edited in its own YAML file).

Every row is validated by the same models as the YAML files. A bad cell is an
:class:`~rackforge.errors.InputError` naming the file and sheet, the row (as the spreadsheet
numbers it, header = 1) and the column; all problems are reported together and nothing is
imported unless every row is valid. Output files are written atomically.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from rackforge.errors import InputError, Problem, did_you_mean, valid_list
from rackforge.schema import Assembly, AssemblyKind, Item, Source

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme


@dataclass(frozen=True)
class Column:
    """One documented spreadsheet column."""

    name: str
    required: bool
    unit: str
    meaning: str
    example: str


SOURCE_COLUMNS: tuple[Column, ...] = (
    Column("part", True, "", "part type id (see 'rackforge catalog list')", "cx8-nic"),
    Column("site", True, "", "site id that makes it", "foxconn-guadalajara"),
    Column("price_usd", True, "USD", "unit price ex works", "1450"),
    Column("lead_time_weeks", True, "weeks", "order-to-ship lead time", "12"),
    Column("capacity_per_quarter", True, "units", "units the site can supply per quarter", "20000"),
    Column("source", True, "", "public URL/document or 'estimate: <reasoning>'", "estimate: supplier quote Q3"),
    Column("share", False, "fraction", "planned share of the part's demand (0-1 or '40 %')", "0.6"),
    Column("qualification", False, "", "qualified, qualifying, planned or disqualified", "qualified"),
    Column("qualified_date", False, "date", "date qualified or expected (needed unless qualified)", "2027-07-01"),
    Column("moq", False, "units", "minimum order quantity", "100"),
    Column("freight_usd", False, "USD", "transport per unit (default: trade lane)", "12.5"),
    Column("duty_rate", False, "fraction", "ad-valorem duty (default: trade lane)", "0.025"),
    Column("open_cost_usd", False, "USD", "fixed cost to open or qualify this source", "250000"),
    Column("open_lead_time_weeks", False, "weeks", "time from decision to first shipment", "26"),
)

BOM_COLUMNS: tuple[Column, ...] = (
    Column("parent", True, "", "assembly id (new or existing) or design id", "compute-tray"),
    Column("ref", True, "", "part or assembly id it holds", "gb200-superchip"),
    Column("quantity", True, "units", "how many per parent", "2"),
    Column("parent_kind", False, "", "tray, shelf, manifold, chassis, cartridge, module, server, other; "
           "or 'design' to replace a design's items", "tray"),
    Column("parent_name", False, "", "name of a new assembly", "Compute tray"),
    Column("source", False, "", "source of a new assembly's figures", "estimate: from the tray drawing"),
)

IGNORED_COLUMNS = ("notes",)

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


def _check_header(sheet: Sheet, columns: Sequence[Column]) -> list[Problem]:
    """Unknown and missing columns, and the sheet's unreadable cells (formulas, errors, merges)."""
    known = {c.name for c in columns}
    problems = list(sheet.issues)
    for name in sheet.header:
        if name and name not in known and name not in IGNORED_COLUMNS:
            problems.append(sheet.problem(1, name, f"unknown column {name!r}{did_you_mean(name, known)}; "
                                          + valid_list(known | set(IGNORED_COLUMNS), limit=20)))
    for col in columns:
        if col.required and col.name not in sheet.header:
            problems.append(sheet.problem(1, None, f"missing column {col.name!r} ({col.meaning})"))
    return problems


def parse_sources(sheet: Sheet) -> tuple[Source, ...]:
    """Validate every row of a sources sheet; all problems together, or every source."""
    return tuple(source for _, source in parse_source_rows(sheet))


def parse_source_rows(sheet: Sheet) -> tuple[tuple[int, Source], ...]:
    """Like :func:`parse_sources`, each source with the sheet row it was read from."""
    problems = _check_header(sheet, SOURCE_COLUMNS)
    if problems:
        raise InputError(problems)
    out = []
    for n, record in sheet.rows:
        data = {k: v for k, v in record.items() if k not in IGNORED_COLUMNS}
        if isinstance(data.get("qualification"), str):
            data["qualification"] = data["qualification"].lower()
        try:
            out.append((n, Source.model_validate(data)))
        except ValidationError as exc:
            problems.extend(_row_problems(sheet, n, exc))
    if problems:
        raise InputError(problems)
    return tuple(out)


def _row_problems(sheet: Sheet, row: int, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = [p for p in err["loc"] if isinstance(p, str) and "[" not in p]
        column = loc[0] if loc else None
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required value is empty"
        elif "input" in err and column is not None:
            message = f"{message} (got {err['input']!r})"
        out.append(sheet.problem(row, column if column in sheet.header else None,
                                 message if column in sheet.header or column is None else f"{column}: {message}"))
    return out


@dataclass(frozen=True)
class BomImport:
    """Assemblies defined by a BOM sheet, and new item lists for existing designs."""

    assemblies: tuple[Assembly, ...]
    design_items: dict[str, tuple[Item, ...]]
    rows: Mapping[str, int] = dataclasses.field(default_factory=dict)
    """The first sheet row of each assembly and design (by id)."""


def parse_bom(sheet: Sheet) -> BomImport:
    """Group BOM rows by parent into assemblies (or design item lists); validate each."""
    problems = _check_header(sheet, BOM_COLUMNS)
    if problems:
        raise InputError(problems)
    groups: dict[str, list[Row]] = {}
    first_rows: dict[str, int] = {}
    for n, record in sheet.rows:
        parent = record.get("parent")
        if parent is None:
            problems.append(sheet.problem(n, "parent", "required value is empty"))
            continue
        groups.setdefault(str(parent), []).append((n, record))
    assemblies, designs = [], {}
    kinds = [k.value for k in AssemblyKind]
    for parent, rows in groups.items():
        first = rows[0][0]
        first_rows[parent] = first
        meta: dict[str, Any] = {}
        for key in ("parent_kind", "parent_name", "source"):
            values = {(n, str(r[key])) for n, r in rows if r.get(key) is not None}
            distinct = {v for _, v in values}
            if len(distinct) > 1:
                n = min(n for n, _ in values)
                problems.append(sheet.problem(n, key, f"parent {parent!r} has different {key} values "
                                              f"{sorted(distinct)}; give one"))
            meta[key] = next(iter(distinct)) if distinct else None
        items = []
        for n, record in rows:
            try:
                items.append(Item.model_validate({k: record.get(k) for k in ("ref", "quantity")
                                                  if record.get(k) is not None}))
            except ValidationError as exc:
                problems.extend(_row_problems(sheet, n, exc))
        kind = (meta["parent_kind"] or "").lower()
        if kind == "design":
            designs[parent] = tuple(items)
            continue
        if kind not in kinds:
            problems.append(sheet.problem(first, "parent_kind" if "parent_kind" in sheet.header else None,
                                          f"parent {parent!r}: give parent_kind, one of {', '.join(kinds)} or "
                                          "'design'"))
            continue
        try:
            assemblies.append(Assembly.model_validate({"id": parent, "name": meta["parent_name"] or parent,
                                                       "kind": kind, "items": [i.model_dump() for i in items],
                                                       "source": meta["source"]}))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = [p for p in err["loc"] if isinstance(p, str)]
                column = {"id": "parent", "name": "parent_name", "kind": "parent_kind"}.get(loc[0], loc[0]) \
                    if loc else None
                message = "required on one of its rows" if err["type"] == "missing" else \
                    str(err["msg"]).removeprefix("Value error, ")
                problems.append(sheet.problem(first, column if column in sheet.header else None,
                                              f"parent {parent!r}: {column}: {message}"))
    if problems:
        raise InputError(problems)
    return BomImport(tuple(assemblies), designs, first_rows)


def find_sheet(sheets: Mapping[str, Sheet], kind: str) -> Sheet | None:
    """The sheet holding ``kind`` ('sources' or 'bom'): by name, else by its header columns."""
    key = {"sources": ("part", "site"), "bom": ("parent", "ref")}[kind]
    for name, sheet in sheets.items():
        if name.lower() == kind:
            return sheet
    for sheet in sheets.values():
        if all(k in sheet.header for k in key):
            return sheet
    return None


def read_sources(path: str | Path) -> tuple[Source, ...]:
    """Sources from a .csv or .xlsx (sheet ``sources``) in the documented layout."""
    sheet = find_sheet(read_sheets(path), "sources")
    if sheet is None:
        raise InputError([Problem(str(path), None, "", "no sources sheet: name a sheet 'sources' or give columns "
                                  "part, site, price_usd, ... (write a template with 'rackforge sheets template')")])
    return parse_sources(sheet)


def read_bom(path: str | Path) -> BomImport:
    """Assemblies (and design item lists) from a .csv or .xlsx (sheet ``bom``)."""
    sheet = find_sheet(read_sheets(path), "bom")
    if sheet is None:
        raise InputError([Problem(str(path), None, "", "no bom sheet: name a sheet 'bom' or give columns "
                                  "parent, ref, quantity")])
    return parse_bom(sheet)


# -- importing into a programme folder ----------------------------------------------------------

IMPORT_MARKER = "# rackforge-sheets-import: this file is written by 'rackforge sheets import'"
"""First line of every file ``sheets import`` writes; a file without it is never replaced."""

_LEGACY_MARKER = "by 'rackforge sheets import'"
"""What the first line of files written by earlier versions said (they are replaced too)."""

LOCK_NAME = ".rackforge-import.lock"
"""Lock file in the programme folder; one import at a time holds it."""

LOCK_WAIT_S = 30.0
"""How long an import waits for another one in the same folder to finish."""


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_into_programme` wrote."""

    file: Path
    sources: int
    assemblies: int
    designs_updated: tuple[str, ...]
    unchanged: int = 0
    """Rows equal to a source or assembly already defined in another file (skipped)."""
    written: bool = True
    """False when the file already held exactly this import (or there was nothing to write)."""


def import_target(folder: Path, file_name: str) -> Path:
    """The file an import writes: a ``.yaml``/``.yml`` name inside ``folder`` that the loader reads.

    Refused (exit 2): absolute paths, ``..``, hidden names or folders (the loader skips them),
    other suffixes, a path that resolves outside the folder (through a symlink), and an existing
    file without the :data:`IMPORT_MARKER` line (a hand-written file is never replaced).
    """
    given = Path(file_name)
    where = str(file_name)

    def refuse(message: str) -> InputError:
        return InputError([Problem(where, None, "--file", message)])

    if not file_name or given.is_absolute() or given.anchor:
        raise refuse("give a file name inside the programme folder, not an absolute path")
    if any(part == ".." for part in given.parts):
        raise refuse("give a file name inside the programme folder ('..' leaves it)")
    if any(part.startswith(".") for part in given.parts):
        raise refuse("hidden files and folders are not read by the loader; give a visible name")
    if given.suffix not in (".yaml", ".yml"):
        raise refuse("the loader reads only .yaml and .yml files; give a name ending in .yaml")
    target = folder / given
    root = folder.resolve()
    if not target.resolve().is_relative_to(root):
        raise refuse(f"resolves outside the programme folder {folder} (a symlink?)")
    if target.exists() or target.is_symlink():
        if not target.is_file() or target.is_symlink():
            raise refuse(f"{target} exists and is not a regular file; give another name")
        if not is_import_file(target):
            raise InputError([Problem(str(target), 1, "", "was not written by 'rackforge sheets import' (its "
                                      "first line is not the import marker); an import never replaces a "
                                      "hand-written file: give another --file name")])
    return target


def is_import_file(path: Path) -> bool:
    """True if ``path`` starts with the marker line of a file ``sheets import`` wrote."""
    try:
        with path.open(encoding="utf-8", errors="replace") as stream:
            first = stream.readline(4096).rstrip("\n")
    except OSError:
        return False
    return first == IMPORT_MARKER or (first.startswith("# Imported from ") and _LEGACY_MARKER in first)


@contextlib.contextmanager
def import_lock(folder: Path, wait_s: float | None = None) -> Iterator[None]:
    """Hold the folder's exclusive import lock (:data:`LOCK_NAME`, ``fcntl.flock``) for the body.

    A second import waits up to :data:`LOCK_WAIT_S` seconds, then stops with exit 2, so two
    imports can never both check the programme and then both write.
    """
    import fcntl
    import time

    wait = LOCK_WAIT_S if wait_s is None else wait_s
    lock_path = folder / LOCK_NAME
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise InputError([Problem(str(folder), None, "", f"cannot write in the programme folder: "
                                  f"{exc.strerror}")]) from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise InputError([Problem(str(folder), None, "", f"another 'rackforge sheets import' is "
                                              f"writing to this folder (lock {LOCK_NAME}); try again when it "
                                              "has finished")]) from None
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)


@dataclass(frozen=True)
class _Written:
    """The generated YAML text and, per record, its lines and the sheet row it came from."""

    text: str
    spans: tuple[tuple[int, int, Sheet, int], ...]

    def locate(self, problem: Problem, target: str) -> Problem:
        """A problem in the generated file, moved to the sheet, row and column the record came from."""
        if problem.file != target or problem.line is None:
            return problem
        for first, last, sheet, row in self.spans:
            if first <= problem.line <= last:
                column = next((c for c in reversed(re.findall(r"[A-Za-z_]+", problem.field)) if c in sheet.header),
                              None)
                located = sheet.problem(row, column, problem.message)
                if column is None and problem.field:
                    return Problem(located.file, located.line, problem.field, located.message)
                return located
        return Problem(problem.file, None, problem.field, problem.message)


def _render_import(spreadsheet: Path, sections: Sequence[tuple[str, Sequence[tuple[Sheet, int, dict[str, Any]]]]]
                   ) -> _Written:
    """The import file's text (marker line first), remembering which lines each record holds."""
    import yaml

    lines = [IMPORT_MARKER,
             f"# Imported from {spreadsheet.name}. Edit the spreadsheet and import again, or edit this file;",
             "# a new import replaces it. Rows equal to records defined in other files are left out."]
    spans = []
    for section, records in sections:
        if not records:
            continue
        lines.append(f"{section}:")
        for sheet, row, record in records:
            first = len(lines) + 1
            chunk = yaml.safe_dump([record], sort_keys=False, allow_unicode=True).rstrip("\n").splitlines()
            lines.extend("  " + line for line in chunk)
            spans.append((first, len(lines), sheet, row))
    return _Written("\n".join(lines) + "\n", tuple(spans))


def _defined_elsewhere(programme: Programme, kind: str, key: str, target: Path) -> bool:
    """True if record ``kind:key`` is defined in a file other than ``target``."""
    where = programme.location(kind, key)
    if where is None:
        return False
    try:
        return Path(where[0]).resolve() != target.resolve()
    except OSError:
        return True


def _source_row(source: Source) -> dict[str, Any]:
    """A source's values in the spreadsheet's columns (what an import can change)."""
    data = source.model_dump(mode="json")
    return {c.name: data.get(c.name) for c in SOURCE_COLUMNS}


def _assembly_row(assembly: Assembly) -> tuple[Any, ...]:
    """An assembly's values in the BOM sheet's columns."""
    return (assembly.id, assembly.name, assembly.kind.value, assembly.source,
            tuple((i.ref, i.quantity) for i in assembly.items))


def import_into_programme(spreadsheet: str | Path, folder: str | Path,
                          file_name: str = "imported.yaml", *, lock_wait_s: float | None = None) -> ImportResult:
    """Convert a spreadsheet's sources and assemblies into ``folder/file_name`` (replacing that file).

    The file must be a ``.yaml`` name inside the folder that is new or was written by an
    earlier import (:func:`import_target`); the import holds the folder's lock
    (:func:`import_lock`). Rows equal to a source or assembly already defined in another file
    (built-in catalog included) are left out, so exporting a programme and importing the
    export into the same folder changes nothing. The programme folder is then copied to a
    scratch folder with the new file and loaded in full (schema and references); only if that
    succeeds is the file written, so a bad row leaves the programme untouched, and every
    problem names the spreadsheet's file, sheet, row and column. Rows that would duplicate a
    source or assembly defined differently in another file are errors. BOM rows of a design
    (``parent_kind: design``, as :func:`bom_frame` exports them) are checked against the
    design's items and not written: a design is edited in its own file.
    """
    import shutil
    import tempfile

    from rackforge.io.files import atomic_write_text
    from rackforge.io.loader import load_programme

    folder = Path(folder)
    spreadsheet = Path(spreadsheet)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, "", "no such programme folder")])
    target = import_target(folder, file_name)
    sheets = read_sheets(spreadsheet)
    source_sheet, bom_sheet = find_sheet(sheets, "sources"), find_sheet(sheets, "bom")
    if source_sheet is None and bom_sheet is None:
        raise InputError([Problem(str(spreadsheet), None, "", "found neither a sources nor a bom sheet; "
                                  "see 'rackforge sheets template'")])
    if not any(sheet.rows for sheet in (source_sheet, bom_sheet) if sheet is not None):
        raise InputError([Problem(str(spreadsheet), None, "", "the sources and bom sheets have no rows "
                                  "below their header; nothing to import")])
    problems: list[Problem] = []
    source_rows: tuple[tuple[int, Source], ...] = ()
    bom = BomImport((), {})
    if source_sheet is not None:
        try:
            source_rows = parse_source_rows(source_sheet)
        except InputError as exc:
            problems.extend(exc.problems)
    if bom_sheet is not None:
        try:
            bom = parse_bom(bom_sheet)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    with import_lock(folder, lock_wait_s):
        target = import_target(folder, file_name)  # again, under the lock
        programme = load_programme(folder)
        problems.extend(_check_design_rows(bom, programme, bom_sheet))
        if problems:
            raise InputError(problems)
        unchanged = 0
        new_sources: list[tuple[Sheet, int, dict[str, Any]]] = []
        existing_sources = {f"{s.part}@{s.site}": s for s in programme.sources}
        for row, source in source_rows:
            key = f"{source.part}@{source.site}"
            current = existing_sources.get(key)
            if current is not None and _defined_elsewhere(programme, "sources", key, target) \
                    and _source_row(current) == _source_row(source):
                unchanged += 1
                continue
            assert source_sheet is not None
            new_sources.append((source_sheet, row,
                                _source_last(source.model_dump(mode="json", exclude_defaults=True))))
        new_assemblies: list[tuple[Sheet, int, dict[str, Any]]] = []
        for assembly in bom.assemblies:
            current_asm = programme.catalog.assemblies.get(assembly.id)
            if current_asm is not None and _defined_elsewhere(programme, "assemblies", assembly.id, target) \
                    and _assembly_row(current_asm) == _assembly_row(assembly):
                unchanged += 1
                continue
            assert bom_sheet is not None
            new_assemblies.append((bom_sheet, bom.rows.get(assembly.id, 1),
                                   _source_last(assembly.model_dump(mode="json", exclude_defaults=True))))
        written = _render_import(spreadsheet, (("sources", new_sources), ("assemblies", new_assemblies)))
        nothing = not new_sources and not new_assemblies
        with tempfile.TemporaryDirectory(prefix="rackforge-import-") as scratch:
            copy = Path(scratch) / "programme"
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".*"))
            scratch_target = copy / target.relative_to(folder)
            if nothing:
                scratch_target.unlink(missing_ok=True)
            else:
                scratch_target.parent.mkdir(parents=True, exist_ok=True)
                scratch_target.write_text(written.text, encoding="utf-8")
            try:
                load_programme(copy)
            except InputError as exc:
                raise InputError([written.locate(Problem(p.file.replace(str(copy), str(folder)), p.line, p.field,
                                                         p.message.replace(str(copy), str(folder))), str(target))
                                  for p in exc.problems]) from None
        old_text = target.read_text(encoding="utf-8") if target.exists() else None
        if nothing:
            if old_text is not None:
                target.unlink()
            changed = old_text is not None
        else:
            changed = old_text != written.text
            if changed:
                atomic_write_text(target, written.text)
    return ImportResult(target, len(new_sources), len(new_assemblies), tuple(bom.design_items), unchanged, changed)


def _source_last(record: dict[str, Any]) -> dict[str, Any]:
    """Key order for written YAML: the record's own fields first, its ``source`` last."""
    return {k: v for k, v in record.items() if k not in ("source", "figure_sources")} | \
        {k: record[k] for k in ("source", "figure_sources") if k in record}


def _check_design_rows(bom: BomImport, programme: Programme, sheet: Sheet | None) -> list[Problem]:
    """Design rows must match the design's items as defined (imports write assemblies, not designs)."""
    problems = []
    for design, items in bom.design_items.items():
        row = next((n for n, r in (sheet.rows if sheet else ()) if r.get("parent") == design), None)
        display = sheet.display if sheet else ""
        if design not in programme.catalog.designs:
            problems.append(Problem(display, row, "column parent", f"unknown design {design!r}"
                                    f"{did_you_mean(design, programme.catalog.designs)}"))
            continue
        current = {i.ref: i.quantity for i in programme.catalog.designs[design].items}
        given = {i.ref: i.quantity for i in items}
        if current != given:
            where = programme.location("designs", design)
            place = f" in {where[0]}:{where[1]}" if where else ""
            problems.append(Problem(display, row, "column parent",
                                    f"the rows for design {design!r} differ from its items{place} "
                                    f"({', '.join(f'{k}×{v}' for k, v in current.items())}); an import writes "
                                    "sources and assemblies only: change the design's items in its file"))
    return problems


# -- writing ------------------------------------------------------------------------------------

def sources_frame(sources: Iterable[Source]) -> pd.DataFrame:
    """Sources in the import layout (one column per :data:`SOURCE_COLUMNS`)."""
    import pandas as pd

    rows = []
    for s in sources:
        data = s.model_dump(mode="python")
        rows.append({c.name: (data[c.name].value if hasattr(data[c.name], "value") else data[c.name])
                     for c in SOURCE_COLUMNS})
    return pd.DataFrame(rows, columns=[c.name for c in SOURCE_COLUMNS])


def bom_frame(programme: Programme, designs: Sequence[str] | None = None) -> pd.DataFrame:
    """Assemblies (and designs' top-level items) reachable from ``designs`` in the import layout."""
    import pandas as pd

    catalog = programme.catalog
    designs = list(designs) if designs is not None else programme.build_plan.designs
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add_assembly(aid: str) -> None:
        if aid in seen:
            return
        seen.add(aid)
        asm = catalog.assemblies[aid]
        for i, item in enumerate(asm.items):
            rows.append({"parent": aid, "ref": item.ref, "quantity": item.quantity,
                         "parent_kind": asm.kind.value if i == 0 else None,
                         "parent_name": asm.name if i == 0 else None, "source": asm.source if i == 0 else None})
        for item in asm.items:
            if item.ref in catalog.assemblies:
                add_assembly(item.ref)

    for d in designs:
        for i, item in enumerate(catalog.designs[d].items):
            rows.append({"parent": d, "ref": item.ref, "quantity": item.quantity,
                         "parent_kind": "design" if i == 0 else None, "parent_name": None, "source": None})
        for item in catalog.designs[d].items:
            if item.ref in catalog.assemblies:
                add_assembly(item.ref)
    return pd.DataFrame(rows, columns=[c.name for c in BOM_COLUMNS])


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


def write_template(path: str | Path) -> list[Path]:
    """Write an empty import workbook (.xlsx: sheets sources, bom, README) or CSV files into a folder."""
    import pandas as pd

    sources = pd.DataFrame(columns=[c.name for c in SOURCE_COLUMNS])
    bom = pd.DataFrame(columns=[c.name for c in BOM_COLUMNS])
    readme = pd.DataFrame(
        [{"sheet": sheet, "column": c.name, "required": "yes" if c.required else "", "unit": c.unit,
          "meaning": c.meaning, "example": c.example}
         for sheet, cols in (("sources", SOURCE_COLUMNS), ("bom", BOM_COLUMNS)) for c in cols])
    if Path(path).suffix.lower() == ".xlsx":
        return write_tables({"sources": sources, "bom": bom, "README": readme}, path)
    return write_tables({"sources": sources, "bom": bom}, path)
