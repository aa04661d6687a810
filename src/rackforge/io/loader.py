"""Load a programme folder (plus the built-in catalog) into one validated :class:`Programme`.

Loading runs in three passes and reports every problem it finds before giving up, each with
file, line, field and what would be valid:

1. read: every ``*.yaml``/``*.yml`` file (any case) under the folder is parsed safely
   (:mod:`rackforge.io.yaml`); its top-level keys name the sections it holds;
2. schema: each record is validated by its pydantic model (units converted, unknown keys
   rejected);
3. references: ids are resolved across files (:mod:`rackforge.io.refcheck`): unknown ids with
   did-you-mean, duplicates, dangling sites, circular assemblies;
4. the whole programme (:mod:`rackforge.io.validate`): every check an analysis relies on (the
   factory's routes against the build plan, the scenarios', evaluations' and readiness assessments'
   references), so a folder that loads cannot fail an analysis on its input.

Nothing is half-loaded: either a complete :class:`Programme` comes back or an
:class:`~rackforge.errors.InputError` listing every problem is raised.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from rackforge.errors import InputError, Problem, did_you_mean, valid_list
from rackforge.io.yaml import LineMap, Path_, read_yaml
from rackforge.linemap import SectionLines
from rackforge.schema import (
    Assembly,
    BuildPlan,
    Catalog,
    Facility,
    PartType,
    Programme,
    ProgrammeInfo,
    RackDesign,
    Rules,
    Site,
    Source,
    Supplier,
    TradeLane,
)
from rackforge.schema.evaluations import Evaluations
from rackforge.schema.factory import Factory
from rackforge.schema.readiness import Readiness
from rackforge.schema.scenarios import ScenarioLibrary

CATALOG_DIR = Path(__file__).parent.parent / "catalog" / "data"
REFERENCE_DIR = Path(__file__).parent.parent / "reference"
PACKAGE_ROOT = Path(__file__).parent.parent.parent


@dataclass(frozen=True)
class SectionSpec:
    """One top-level key of a programme file: a list of records or a single mapping."""

    name: str
    model: Any
    many: bool
    key: Callable[[Any], str] | None = None
    help: str = ""
    field: str | None = None
    """The :class:`Programme` field the section fills (default: its name); catalog sections fill the catalog."""


SECTIONS: dict[str, SectionSpec] = {
    spec.name: spec
    for spec in (
        SectionSpec("programme", ProgrammeInfo, False, help="name and integration site", field="info"),
        SectionSpec("parts", PartType, True, lambda r: r.id, "part types"),
        SectionSpec("assemblies", Assembly, True, lambda r: r.id, "trays, shelves, manifolds"),
        SectionSpec("designs", RackDesign, True, lambda r: r.id, "rack designs"),
        SectionSpec("suppliers", Supplier, True, lambda r: r.id, "companies"),
        SectionSpec("sites", Site, True, lambda r: r.id, "manufacturing sites"),
        SectionSpec("sources", Source, True, lambda r: f"{r.part}@{r.site}", "which site makes which part"),
        SectionSpec("trade", TradeLane, True, lambda r: f"{r.origin}->{r.destination}", "freight and duty"),
        SectionSpec("build_plan", BuildPlan, False, help="racks per quarter per design"),
        SectionSpec("facility", Facility, False, help="data-hall limits"),
        SectionSpec("scenarios", ScenarioLibrary, False, help="disruption scenarios (resilience)"),
        SectionSpec("factory", Factory, False, help="integration and test line"),
        SectionSpec("evaluations", Evaluations, False, help="early-access evaluation"),
        SectionSpec("readiness", Readiness, False, help="manufacturing readiness assessments"),
        SectionSpec("rules", Rules, False, help="domestic-content rules"),
    )
}
CATALOG_SECTIONS = ("parts", "assemblies", "designs", "suppliers", "sites")


@dataclass
class Record:
    """One validated record and where it came from."""

    value: Any
    file: str
    path: Path_
    lines: LineMap
    builtin: bool = False
    """Read from the built-in catalog (a programme's record of the same id replaces it)."""

    @property
    def line(self) -> int | None:
        return self.lines.line_of(self.path)

    def problem(self, sub: Path_, message: str) -> Problem:
        return self.lines.problem((*self.path, *sub), message)


@dataclass
class Collected:
    """Records gathered from all files, before cross-references are checked."""

    records: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    variants: list[Record] = field(default_factory=list)
    """Design records written as ``extends:`` and changes, still raw (:mod:`rackforge.io.variants`)."""

    def resolve_variants(self) -> None:
        """Turn every design variant into a full design record (problems go to ``problems``)."""
        from rackforge.io.variants import resolve_variants

        designs, problems = resolve_variants(self.records.get("designs", []), self.variants)
        if self.variants:
            self.records["designs"] = designs
        self.problems.extend(problems)
        self.variants = []

    def add(self, section: str, record: Record) -> None:
        self.records.setdefault(section, []).append(record)


_ADAPTERS: dict[int, TypeAdapter[Any]] = {}


def _adapter(model: Any) -> TypeAdapter[Any]:
    key = id(model)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(model)
    return _ADAPTERS[key]


def _problems_from_validation(exc: ValidationError, lines: LineMap, base: Path_, model: Any) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p != "[key]")
        loc = _strip_union_tags(loc)
        path = (*base, *loc)
        message = str(err["msg"]).removeprefix("Value error, ")
        kind = err["type"]
        if kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            hint = did_you_mean(str(loc[-1]), allowed) if allowed else ""
            message = f"unknown field {loc[-1]!r}{hint}" + (f"; {valid_list(allowed)}" if allowed and not hint else "")
        elif kind in ("greater_than", "greater_than_equal") and err.get("input") is not None:
            message = f"{message} (got {err['input']!r})"
        out.append(lines.problem(path, message))
    return out


def _strip_union_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic puts the union member's type name into loc (e.g. 'function-after[...]'); drop those.
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p and p.endswith("]"))))


def _fields_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the (nested) model at ``loc``, for did-you-mean on unknown keys."""
    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def read_file(path: Path, display: str, collected: Collected, builtin: bool = False) -> None:
    """Parse one file and validate each record it holds; problems go to ``collected``. A design written as
    ``extends:`` is kept raw, to be resolved once every file is read (:meth:`Collected.resolve_variants`)."""
    try:
        data, full_lines = read_yaml(path, display)
    except InputError as exc:
        collected.problems.extend(exc.problems)
        collected.unreadable.append(display)
        return
    lines = full_lines.compacted()  # kept by the records, then the programme: about half the entries
    if not isinstance(data, dict):
        collected.problems.append(Problem(display, 1, "", "a programme file is a mapping of sections, e.g. "
                                          "'parts:' or 'build_plan:'; " + valid_list(SECTIONS)))
        return
    for section, body in data.items():
        spec = SECTIONS.get(section)
        if spec is None:
            collected.problems.append(lines.problem(
                (section,), f"unknown section {section!r}{did_you_mean(section, SECTIONS)}; {valid_list(SECTIONS)}"))
            continue
        if spec.many:
            if not isinstance(body, list):
                collected.problems.append(lines.problem((section,), f"'{section}' must be a list of {spec.help}"))
                continue
            items: list[tuple[Path_, Any]] = [((section, i), item) for i, item in enumerate(body)]
        else:
            items = [((section,), body)]
        adapter = _adapter(spec.model)
        for item_path, item in items:
            if section == "designs" and isinstance(item, dict) and item.get("extends") is not None:
                collected.variants.append(Record(item, display, item_path, lines, builtin))
                continue
            try:
                value = adapter.validate_python(item)
            except ValidationError as exc:
                collected.problems.extend(_problems_from_validation(exc, lines, item_path, spec.model))
                continue
            collected.add(section, Record(value, display, item_path, lines, builtin))


YAML_SUFFIXES = (".yaml", ".yml")
"""Suffixes of programme files, matched without regard to case (``*.YAML`` is read too)."""


def _is_yaml_name(path: Path) -> bool:
    """Whether ``path`` is named like a programme file (``.yaml``/``.yml`` in any case)."""
    return path.suffix.lower() in YAML_SUFFIXES


def _yaml_candidates(folder: Path) -> list[Path]:
    """Every entry under ``folder`` named like a YAML file, hidden paths left out, in a stable order."""
    return sorted(p for p in folder.rglob("*") if _is_yaml_name(p)
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _yaml_files(folder: Path) -> list[Path]:
    """The regular YAML files under ``folder`` (see :func:`unreadable_entries` for the others)."""
    return [p for p in _yaml_candidates(folder) if p.is_file()]


def unreadable_entries(folder: Path, prefix: str) -> list[Problem]:
    """YAML-named entries that are not regular files: a broken symlink, a FIFO, a socket, a device.

    Each is reported rather than skipped (a skipped file would silently drop its sections) and none is
    opened (reading a FIFO would wait for a writer for ever).
    """
    problems = []
    for path in _yaml_candidates(folder):
        if path.is_file() or path.is_dir():
            continue
        display = f"{prefix}/{path.relative_to(folder).as_posix()}" if prefix else str(path)
        if path.is_symlink() and not path.exists():
            what = f"broken symbolic link (to {os.readlink(path)!r}); fix or remove it"
        else:
            what = "not a regular file (a pipe, socket or device); programme files must be plain files"
        problems.append(Problem(display, None, "", what))
    return problems


def collect(folders: list[tuple[Path, str]]) -> Collected:
    """Read every YAML file of each (folder, display prefix) into one :class:`Collected`."""
    collected = Collected()
    for folder, prefix in folders:
        for problem in unreadable_entries(folder, prefix):
            collected.problems.append(problem)
            collected.unreadable.append(problem.file)
        for path in _yaml_files(folder):
            display = f"{prefix}/{path.relative_to(folder).as_posix()}" if prefix else str(path)
            read_file(path, display, collected, builtin=folder == CATALOG_DIR)
    collected.resolve_variants()
    return collected


def builtin_catalog_folders() -> list[tuple[Path, str]]:
    """The built-in catalog's data folder with its display prefix."""
    return [(CATALOG_DIR, "rackforge/catalog/data")]


def load_programme(path: str | Path | None = None, *, builtin_catalog: bool = True) -> Programme:
    """Load and validate a programme folder (None: the built-in reference programme).

    Raises :class:`InputError` with every problem found; never returns a partial model.
    """
    if path is None:
        folder, prefix = REFERENCE_DIR, "rackforge/reference"
    else:
        folder, prefix = Path(path), ""
        if not folder.exists():
            raise InputError([Problem(str(folder), None, "", "no such folder; give a programme folder "
                                      "(write one with 'rackforge init DIR')")])
        if not folder.is_dir():
            raise InputError([Problem(str(folder), None, "", "expected a programme folder, got a file")])
    folders = (builtin_catalog_folders() if builtin_catalog else []) + [(folder, prefix)]
    collected = collect(folders)
    if not _yaml_files(folder) and not collected.problems:
        collected.problems.append(Problem(str(folder), None, "", "no .yaml files in this folder; "
                                          "write a starting programme with 'rackforge init DIR'"))
    return assemble(collected, root=None if path is None else str(folder))


def _index(records: dict[str, list[Record]], sections: tuple[str, ...]) -> tuple[dict[str, dict[str, Record]],
                                                                                list[Problem]]:
    """Key list sections by id, reporting duplicates; flag single sections given twice."""
    keyed: dict[str, dict[str, Record]] = {}
    problems: list[Problem] = []
    for section in sections:
        spec = SECTIONS[section]
        recs = records.get(section, [])
        if spec.many and spec.key is not None:
            table: dict[str, Record] = {}
            for rec in recs:
                key = spec.key(rec.value)
                if key in table and table[key].builtin and not rec.builtin:
                    table[key] = rec  # a programme's record replaces the built-in one of the same id
                    continue
                if key in table:
                    first = table[key]
                    problems.append(rec.problem((), f"duplicate {section} entry {key!r}; "
                                                f"first defined at {first.file}:{first.line}"))
                    continue
                table[key] = rec
            keyed[section] = table
        elif len(recs) > 1:
            first = recs[0]
            for rec in recs[1:]:
                problems.append(rec.problem((), f"section '{section}' given twice; first at {first.file}:{first.line}"))
    return keyed, problems


def assemble(collected: Collected, root: str | None) -> Programme:
    """Cross-check the collected records and build the :class:`Programme` (or raise)."""
    from rackforge.io.refcheck import check_references
    from rackforge.io.validate import validate_programme

    records = collected.records
    keyed, problems = _index(records, tuple(SECTIONS))
    problems = collected.problems + problems
    for required in ("programme", "build_plan", "facility"):
        # a section may sit in a file that could not be read; then its absence is not news
        if not records.get(required) and not collected.unreadable and \
                not any(p.field.startswith(required) for p in problems):
            problems.append(Problem("(programme folder)", None, required,
                                    f"required section '{required}' is missing from every file "
                                    f"({SECTIONS[required].help})"))
    if problems:
        raise InputError(problems)
    problems.extend(check_references(keyed, records))
    if problems:
        raise InputError(problems)

    def single(section: str) -> Any:
        recs = records.get(section)
        return recs[0].value if recs else None

    by_key = {f"{s}:{k}": r for s, table in keyed.items() for k, r in table.items()}
    locations = {key: (r.file, r.line) for key, r in by_key.items()}
    fields = {spec.field or spec.name: (tuple(r.value for r in keyed[spec.name].values()) if spec.many
                                        else single(spec.name))
              for spec in SECTIONS.values() if spec.name not in CATALOG_SECTIONS}
    programme = Programme(catalog=_catalog(keyed), root=root, locations=locations, **fields)
    return validate_programme(programme.with_section_lines(section_lines(records, by_key)))


def section_lines(records: dict[str, list[Record]], by_key: dict[str, Record]) -> SectionLines:
    """Where each loaded section was written: the line maps the records already hold (nothing is copied).

    Single sections by name (each is given once, checked above); records of list sections by their
    ``'section:key'`` (``by_key``), with their path in their file.
    """
    return SectionLines(
        sections={s: recs[0].lines for s, recs in records.items() if not SECTIONS[s].many and recs},
        records={key: (r.lines, r.path) for key, r in by_key.items()},
    )


def _catalog(keyed: dict[str, dict[str, Record]]) -> Catalog:
    return Catalog(**{s: {k: r.value for k, r in keyed[s].items()} for s in CATALOG_SECTIONS})


def load_catalog() -> Catalog:
    """The built-in catalog alone (parts, assemblies, designs, suppliers, sites), validated."""
    from rackforge.io.refcheck import check_references

    collected = collect(builtin_catalog_folders())
    keyed, problems = _index(collected.records, CATALOG_SECTIONS)
    problems = collected.problems + problems
    if not problems:
        problems.extend(check_references(keyed, collected.records))
    if problems:
        raise InputError(problems)
    return _catalog(keyed)
