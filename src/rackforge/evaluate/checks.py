"""Cross-reference checks of the ``evaluations:`` section, located at file and line.

The loader validates the section's schema; these checks need the rest of the programme (design ids
in the catalog) or the whole section (unique ids, decisions naming evaluated systems), so they run
when the evaluation runs, and report every problem at once as an :class:`InputError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from rackforge.errors import InputError, Problem, did_you_mean
from rackforge.linemap import FieldPath

if TYPE_CHECKING:
    from rackforge.schema import Programme
    from rackforge.schema.evaluations import Evaluations


def evaluation_problems(programme: Programme, evaluations: Evaluations) -> list[Problem]:
    """Every cross-reference problem of the section, each located where it was written."""

    def at(path: FieldPath, message: str) -> Problem:
        return programme.problem(("evaluations", *path), message)

    return list(_problems(programme, evaluations, at))


def _problems(programme: Programme, ev: Evaluations, at: Callable[[FieldPath, str], Problem]) -> Iterator[Problem]:
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
