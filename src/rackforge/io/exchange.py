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

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
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

def read_sheets(path: str | Path) -> dict[str, Sheet]:
    """Read every sheet of an .xlsx (by sheet name) or one CSV file (keyed by its stem)."""
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), None, "", "no such file; give a .csv or .xlsx file")])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".csv":
        return {path.stem: _read_csv(path)}
    raise InputError([Problem(str(path), None, "", f"unknown spreadsheet type {path.suffix!r}; use .csv or .xlsx")])


def _read_csv(path: Path) -> Sheet:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), None, "", f"not UTF-8 text ({exc.reason}); save the CSV as UTF-8")]) \
            from None
    records = list(csv.reader(io.StringIO(text)))
    return _sheet_from_rows(str(path), [(i + 1, r) for i, r in enumerate(records)])


def _read_xlsx(path: Path) -> dict[str, Sheet]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError([Problem(str(path), None, "", f"cannot read as an Excel workbook: {exc}")]) from None
    try:
        out = {}
        for ws in book.worksheets:
            rows = [(i + 1, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True))]
            out[ws.title] = _sheet_from_rows(f"{path} [sheet {ws.title}]", rows)
        return out
    finally:
        book.close()


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
    known = {c.name for c in columns}
    problems = []
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
    problems = _check_header(sheet, SOURCE_COLUMNS)
    if problems:
        raise InputError(problems)
    out = []
    for n, record in sheet.rows:
        data = {k: v for k, v in record.items() if k not in IGNORED_COLUMNS}
        if isinstance(data.get("qualification"), str):
            data["qualification"] = data["qualification"].lower()
        try:
            out.append(Source.model_validate(data))
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


def parse_bom(sheet: Sheet) -> BomImport:
    """Group BOM rows by parent into assemblies (or design item lists); validate each."""
    problems = _check_header(sheet, BOM_COLUMNS)
    if problems:
        raise InputError(problems)
    groups: dict[str, list[Row]] = {}
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
    return BomImport(tuple(assemblies), designs)


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

@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_into_programme` wrote."""

    file: Path
    sources: int
    assemblies: int
    designs_updated: tuple[str, ...]


def import_into_programme(spreadsheet: str | Path, folder: str | Path,
                          file_name: str = "imported.yaml") -> ImportResult:
    """Convert a spreadsheet's sources and assemblies into ``folder/file_name`` (replacing that file).

    The programme folder is first copied to a scratch folder with the new file added and
    loaded in full (schema and references); only if that succeeds is the file written, so a
    bad row leaves the programme untouched. Rows that would duplicate a source or assembly
    defined in another file are errors. BOM rows of a design (``parent_kind: design``, as
    :func:`bom_frame` exports them) are checked against the design's items and not written:
    a design is edited in its own file.
    """
    import shutil
    import tempfile

    import yaml

    from rackforge.io.files import atomic_write_text
    from rackforge.io.loader import load_programme

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, "", "no such programme folder")])
    sheets = read_sheets(spreadsheet)
    source_sheet, bom_sheet = find_sheet(sheets, "sources"), find_sheet(sheets, "bom")
    if source_sheet is None and bom_sheet is None:
        raise InputError([Problem(str(spreadsheet), None, "", "found neither a sources nor a bom sheet; "
                                  "see 'rackforge sheets template'")])
    if not any(sheet.rows for sheet in (source_sheet, bom_sheet) if sheet is not None):
        raise InputError([Problem(str(spreadsheet), None, "", "the sources and bom sheets have no rows "
                                  "below their header; nothing to import")])
    problems: list[Problem] = []
    sources: tuple[Source, ...] = ()
    bom = BomImport((), {})
    for parse, sheet in ((parse_sources, source_sheet), (parse_bom, bom_sheet)):
        if sheet is None:
            continue
        try:
            result = parse(sheet)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(result, BomImport):
            bom = result
        else:
            sources = result
    if problems:
        raise InputError(problems)
    programme = load_programme(folder)
    data: dict[str, Any] = {}
    if sources:
        data["sources"] = [_source_last(s.model_dump(mode="json", exclude_defaults=True)) for s in sources]
    if bom.assemblies:
        data["assemblies"] = [_source_last(a.model_dump(mode="json", exclude_defaults=True)) for a in bom.assemblies]
    problems.extend(_check_design_rows(bom, programme, bom_sheet))
    if problems:
        raise InputError(problems)
    text = (f"# Imported from {Path(spreadsheet).name} by 'rackforge sheets import'. Edit the spreadsheet and\n"
            "# import again, or edit this file; a new import replaces it.\n"
            + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    with tempfile.TemporaryDirectory(prefix="rackforge-import-") as scratch:
        copy = Path(scratch) / "programme"
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(".*"))
        (copy / file_name).write_text(text, encoding="utf-8")
        try:
            load_programme(copy)
        except InputError as exc:
            raise InputError([Problem(p.file.replace(str(copy), str(folder)), p.line, p.field,
                                      p.message.replace(str(copy), str(folder))) for p in exc.problems]) from None
    target = folder / file_name
    atomic_write_text(target, text)
    return ImportResult(target, len(sources), len(bom.assemblies), tuple(bom.design_items))


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


def write_tables(tables: Mapping[str, pd.DataFrame], path: str | Path) -> list[Path]:
    """Write tables to one .xlsx (a sheet each) or, for any other path, a folder of CSV files.

    Returns the files written. Every file is written atomically; a folder's files appear only
    when all of them are complete.
    """
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from rackforge.io.files import atomic_path

        with atomic_path(path) as tmp:
            _write_xlsx(tables, tmp)
        return [path]
    if path.suffix.lower() == ".csv":
        raise InputError([Problem(str(path), None, "", "CSV export writes one file per table: give a folder "
                                  "(e.g. out/sourcing) or an .xlsx file")])
    from rackforge.io.files import atomic_directory

    written = []
    with atomic_directory(path) as tmp:
        for name, frame in tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False, date_format="%Y-%m-%d")
            written.append(path / f"{name}.csv")
    return written


def _write_xlsx(tables: Mapping[str, pd.DataFrame], target: Path) -> None:
    import pandas as pd
    from openpyxl.styles import Font

    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in tables.items():
            sheet = _sheet_name(name)
            frame.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for i, column in enumerate(frame.columns):
                width = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200).tolist())])
                ws.column_dimensions[_column_letter(i)].width = min(60, width + 2)


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
