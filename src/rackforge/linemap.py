"""Where each field of the input was written: line maps of files, and of a programme's sections.

A :class:`LineMap` gives the line of every mapping key and sequence item of one file, by path
(``("designs", 0, "power", "shelf")``); :mod:`rackforge.io.yaml` builds one per file it reads.
:class:`SectionLines` keeps the line maps of every section a programme was loaded from, so that an
analysis run long after loading can still say ``file:line`` without reading any file again.

Foundation layer: imports nothing of rackforge but :mod:`rackforge.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rackforge.errors import Problem

FieldPath = tuple[str | int, ...]
"""Keys and list indexes from a file's (or programme's) top level down to one field."""

UNLOCATED = "(programme folder)"
"""The file named by a problem whose section was not read from any file (a programme built in memory)."""


def dotted(path: FieldPath) -> str:
    """``("designs", 0, "power")`` -> ``designs[0].power``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def nearest_line(lines: dict[FieldPath, int], path: FieldPath) -> int | None:
    """The line of ``path``, or of its deepest ancestor in ``lines`` (the document's, at worst), or None."""
    path = tuple(path)
    while path:
        line = lines.get(path)
        if line is not None:
            return line
        path = path[:-1]
    return lines.get(())


def without_repeated_lines(lines: dict[FieldPath, int]) -> dict[FieldPath, int]:
    """``lines`` less every entry on the same line as its parent: :func:`nearest_line` answers the same.

    ``lines`` must hold the parent of each path it holds (as a complete map does): then a dropped
    path's deepest kept ancestor is on its parent's line, by induction. One-line records
    (``- {id: a, name: b}``) shrink to one entry; a programme's maps shrink by about half.
    """
    return {path: line for path, line in lines.items() if not path or lines.get(path[:-1]) != line}


@dataclass
class LineMap:
    """Line numbers (1-based) of every mapping key and sequence item in one file."""

    file: str
    lines: dict[FieldPath, int] = field(default_factory=dict)

    def line_of(self, path: FieldPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        return nearest_line(self.lines, path)

    def problem(self, path: FieldPath, message: str) -> Problem:
        """A :class:`Problem` located at ``path`` in this file."""
        return Problem(self.file, self.line_of(path), dotted(path), message)

    def compacted(self) -> LineMap:
        """The same map with the entries :func:`nearest_line` does not need (:func:`without_repeated_lines`)."""
        return LineMap(self.file, without_repeated_lines(self.lines))


@dataclass(frozen=True, eq=False)
class SectionLines:
    """Where each section of a programme was written, kept by the loader for later messages.

    ``sections`` holds the line map of the file of each single-mapping section (``factory``,
    ``scenarios``, ...), ``records`` the line map and in-file path of each record of a list section
    under ``'section:key'`` (``'designs:gb200-nvl72'``). Files holding several sections share one
    map. It is never changed after loading, so copies share it; and where a programme was read from
    is no part of its value: any two compare equal.
    """

    sections: dict[str, LineMap] = field(default_factory=dict)
    records: dict[str, tuple[LineMap, FieldPath]] = field(default_factory=dict)

    def problem(self, path: FieldPath, message: str) -> Problem:
        """A :class:`Problem` at ``path`` of the programme, located at the deepest ancestor known.

        ``path`` starts with the section: ``("scenarios", "events", 0, "affects", "sites", 1)``, or for
        a list section with the record's key: ``("designs", "gb200-nvl72", "power")`` (reported at the
        record's own path in its file, ``designs[0].power``). A section not read from a file gives
        :data:`UNLOCATED` with no line.
        """
        if path:
            lines = self.sections.get(str(path[0]))
            if lines is not None:
                return lines.problem(path, message)
            if len(path) > 1 and (record := self.records.get(f"{path[0]}:{path[1]}")) is not None:
                lines, record_path = record
                return lines.problem((*record_path, *path[2:]), message)
        return Problem(UNLOCATED, None, dotted(path), message)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SectionLines)

    def __hash__(self) -> int:
        return hash(SectionLines)

    def __copy__(self) -> SectionLines:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SectionLines:
        return self
