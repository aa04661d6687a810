"""Cross-reference checks of the ``evaluations:`` section, located at file and line.

The loader validates the section's schema; these checks need the rest of the programme (design ids
in the catalog) or the whole section (unique ids, decisions naming evaluated systems), so they run
when the evaluation runs, and report every problem at once as an :class:`InputError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rackforge.errors import InputError, Problem, did_you_mean
from rackforge.io.yaml import LineMap, Path_, dotted, read_yaml

if TYPE_CHECKING:
    from rackforge.schema import Programme
    from rackforge.schema.evaluations import Evaluations

_SECTION = re.compile(r"^evaluations\s*:", re.MULTILINE)


def section_lines(programme: Programme) -> LineMap | None:
    """The line map of the file that holds the programme's ``evaluations:`` section, if found."""
    from rackforge.io.loader import REFERENCE_DIR

    folder, prefix = (Path(programme.root), "") if programme.root else (REFERENCE_DIR, "rackforge/reference")
    if not folder.is_dir():
        return None
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if _SECTION.search(text):
            display = f"{prefix}/{path.relative_to(folder).as_posix()}" if prefix else str(path)
            try:
                data, lines = read_yaml(path, display)
            except InputError:
                continue
            if isinstance(data, dict) and "evaluations" in data:
                return lines
    return None


def evaluation_problems(programme: Programme, evaluations: Evaluations) -> list[Problem]:
    """Every cross-reference problem of the section, each located where it was written."""
    lines = section_lines(programme)

    def at(path: Path_, message: str) -> Problem:
        full = ("evaluations", *path)
        if lines is not None:
            return lines.problem(full, message)
        return Problem("(programme folder)", None, dotted(full), message)

    return list(_problems(programme, evaluations, at))


def _problems(programme: Programme, ev: Evaluations, at: Callable[[Path_, str], Problem]) -> Iterator[Problem]:
    designs = programme.catalog.designs
    seen: dict[str, int] = {}
    for i, system in enumerate(ev.systems):
        if system.id in seen:
            yield at(("systems", i, "id"), f"system id {system.id!r} repeats systems[{seen[system.id]}]; "
                                           "give each evaluated system its own id")
        seen.setdefault(system.id, i)
        if system.design not in designs:
            yield at(("systems", i, "design"),
                     f"unknown design {system.design!r}{did_you_mean(system.design, designs)}; "
                     "an evaluated system must be a rack design of the catalog or programme")
        criteria = [c.id for c in ev.criteria]
        for key in system.values:
            if key not in criteria:
                yield at(("systems", i, "values", key),
                         f"{key!r} is not one of this evaluation's criteria{did_you_mean(key, criteria)}; "
                         f"criteria: {', '.join(criteria)}")
    cseen: set[str] = set()
    for i, criterion in enumerate(ev.criteria):
        if criterion.id in cseen:
            yield at(("criteria", i, "id"), f"criterion {criterion.id!r} is listed twice")
        cseen.add(criterion.id)
    for i, decision in enumerate(ev.decisions):
        if decision.system not in seen:
            yield at(("decisions", i, "system"),
                     f"unknown system {decision.system!r}{did_you_mean(decision.system, seen)}; "
                     f"evaluated systems: {', '.join(seen)}")


def check_evaluations(programme: Programme, evaluations: Evaluations) -> None:
    """Raise :class:`InputError` listing every cross-reference problem of the section."""
    problems = evaluation_problems(programme, evaluations)
    if problems:
        raise InputError(problems)
