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
imported unless every row is valid. Output files are written atomically. Reading and writing the
files themselves, safely, is :mod:`rackforge.io.spreadsheets`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from rackforge.errors import InputError, Problem, did_you_mean, valid_list
from rackforge.io.spreadsheets import Row, Sheet, read_sheets, write_tables
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
    """Hold the programme folder's exclusive import lock (``fcntl.flock`` on the folder itself) for the body.

    A second import waits up to :data:`LOCK_WAIT_S` seconds, then stops with exit 2, so two
    imports can never both check the programme and then both write. The lock is taken on the folder,
    not on a lock file, so an import that stops (bad rows, exit 2) leaves nothing behind.
    """
    import fcntl
    import time

    wait = LOCK_WAIT_S if wait_s is None else wait_s
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise InputError([Problem(str(folder), None, "", f"cannot open the programme folder: "
                                  f"{exc.strerror}")]) from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise InputError([Problem(str(folder), None, "", "another 'rackforge sheets import' is "
                                              "writing to this folder; try again when it has finished")]) from None
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
        """A problem in the generated file, moved to the sheet, row and column the record came from; a
        problem elsewhere that cites a line of the generated file (a duplicate first defined there) cites
        the sheet row instead."""
        problem = self.cited(problem, target)
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

    def cited(self, problem: Problem, target: str) -> Problem:
        """``problem`` with each ``TARGET:LINE`` in its message replaced by the sheet and row of that line."""
        def sheet_row(match: re.Match[str]) -> str:
            line = int(match.group(1))
            for first, last, sheet, row in self.spans:
                if first <= line <= last:
                    return f"{sheet.display} row {row}"
            return "the imported rows"

        message = re.sub(re.escape(target) + r":(\d+)", sheet_row, problem.message)
        return problem if message == problem.message else Problem(problem.file, problem.line, problem.field, message)


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
