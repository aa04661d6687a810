"""Locate a field of a single programme section (``factory:``, ``readiness:``) for error messages.

Cross-references that need the whole programme (a route naming a design, an assessment naming
a part) are checked when the analysis runs; these helpers re-read the programme folder's YAML
to name the file and line of the offending field.
"""

from __future__ import annotations

from pathlib import Path

from rackforge.errors import InputError, Problem
from rackforge.io.yaml import LineMap, Path_, dotted
from rackforge.schema import Programme


def section_lines(programme: Programme, section: str) -> LineMap | None:
    """The line map of the file that holds ``section`` in the programme folder, if found."""
    from rackforge.io.loader import REFERENCE_DIR, _yaml_files
    from rackforge.io.yaml import read_yaml

    if programme.root is None:
        folder, prefix = REFERENCE_DIR, "rackforge/reference"
    else:
        folder, prefix = Path(programme.root), ""
    if not folder.is_dir():
        return None
    for path in _yaml_files(folder):
        display = f"{prefix}/{path.relative_to(folder).as_posix()}" if prefix else str(path)
        try:
            data, lines = read_yaml(path, display)
        except InputError:
            continue
        if isinstance(data, dict) and section in data:
            return lines
    return None


def section_problem(programme: Programme, path: Path_, message: str, lines: LineMap | None = None) -> Problem:
    """A :class:`Problem` at ``path`` (starting with the section name) of the programme."""
    lines = lines if lines is not None else section_lines(programme, str(path[0]))
    if lines is None:
        return Problem("(programme)", None, dotted(path), message)
    return lines.problem(path, message)
