"""One row of a sweep: a programme with some input fields set to new values.

A field path (:data:`rackforge.schema.sweep.FIELD_PATTERN`) names a top-level section of the
programme, then fields, with ``[ID]`` choosing a list entry by id (``part@site`` for sources).
Setting a field re-validates that section with its own pydantic type (so a probability of 1.5 or a
negative capacity is refused exactly as in a programme file) and replaces it on a copy of the
programme; nothing else is touched. Two names are not fields of the files: ``build_plan.scale``
multiplies every quarter's racks (rounded half up to whole racks), and ``optimize.domestic_target``
is the optimiser's target (an analysis option).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from rackforge.errors import InputError, Problem

if TYPE_CHECKING:
    from rackforge.schema import Programme

SCALE_FIELD = "build_plan.scale"
OPTION_FIELDS = {"optimize.domestic_target": ("optimize", "domestic_target")}
"""Input fields that set an analysis option instead of a programme field: field → (analysis, option)."""

_SEGMENT = re.compile(r"([a-z_]+)(?:\[([^\]]+)\])?")


def _segments(path: str) -> list[tuple[str, str | None]]:
    out = []
    for part in path.split("."):
        match = _SEGMENT.fullmatch(part)
        if match is None:
            raise ValueError(f"bad path segment {part!r}")
        out.append((match.group(1), match.group(2)))
    return out


def _entry_id(entry: Any) -> str | None:
    if isinstance(entry, dict):
        if "id" in entry:
            return str(entry["id"])
        if "part" in entry and "site" in entry:
            return f"{entry['part']}@{entry['site']}"
    return None


def _step(node: Any, name: str, key: str | None, path: str) -> Any:
    """The child ``name`` (then the list entry with id ``key``) of ``node``, or a ValueError naming what is there."""
    if not isinstance(node, dict) or name not in node:
        there = ", ".join(sorted(node)) if isinstance(node, dict) else type(node).__name__
        raise ValueError(f"{path}: no field {name!r} here (fields: {there})")
    child = node[name]
    if key is None:
        return child
    if isinstance(child, dict) and key in child:
        return child[key]
    if isinstance(child, list | tuple):
        for entry in child:
            if _entry_id(entry) == key:
                return entry
        ids = [i for i in (_entry_id(e) for e in child) if i is not None]
        raise ValueError(f"{path}: no {name} entry {key!r} (there are: {', '.join(ids[:8])}"
                         f"{', …' if len(ids) > 8 else ''})")
    raise ValueError(f"{path}: {name!r} is not a list or mapping to choose [{key}] from")


def _section_data(programme: Programme, top: str) -> Any:
    from rackforge.schema import Programme as ProgrammeType

    if top not in ProgrammeType.model_fields or top in ("catalog", "root", "locations"):
        raise ValueError(f"{top!r} is not a programme section a sweep can vary")
    value = getattr(programme, top)
    if value is None:
        raise ValueError(f"the programme has no {top!r} section")
    if isinstance(value, tuple):
        return [v.model_dump(mode="python") for v in value]
    return value.model_dump(mode="python")


def current_value(programme: Programme, path: str) -> Any:
    """The value ``path`` names in ``programme`` (1.0 for ``build_plan.scale``; the option's name for
    an option field); a ValueError saying what is there when it names nothing."""
    if path == SCALE_FIELD:
        return 1.0
    if path in OPTION_FIELDS:
        return None
    segments = _segments(path)
    top, key = segments[0]
    node: Any = {top: _section_data(programme, top)}
    for name, entry_key in [(top, key), *segments[1:]]:
        node = _step(node, name, entry_key, path)
    if isinstance(node, dict | list):
        raise ValueError(f"{path} is a whole record, not one field; name a field inside it")
    return node


def round_half_up(value: float) -> int:
    """``value`` rounded to the nearest whole number, halves up (12.5 → 13) [same unit]."""
    return math.floor(value + 0.5)


def _scaled_plan(data: dict[str, Any], scale: float) -> dict[str, Any]:
    quarters = {q: {d: round_half_up(n * scale ) for d, n in row.items()} for q, row in data["quarters"].items()}
    return {**data, "quarters": quarters}


def _typed(value: Any, like: Any) -> Any:
    """``value`` in the type of the field's current value: whole numbers rounded for int fields, dates
    from ISO text or day ordinals."""
    if isinstance(like, bool):
        return value
    if isinstance(like, int) and isinstance(value, float):
        return round_half_up(value )
    if isinstance(like, dt.date) and isinstance(value, float | int):
        return dt.date.fromordinal(round_half_up(value ))
    return value


def with_inputs(programme: Programme, values: Mapping[str, Any]) -> Programme:
    """A copy of ``programme`` with each field of ``values`` set (option fields are skipped: see
    :func:`options_from`). A value its section refuses is an :class:`~rackforge.errors.InputError`
    naming the field and pydantic's reason."""
    from rackforge.schema import Programme as ProgrammeType

    updates: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for path, value in values.items():
        if path in OPTION_FIELDS:
            continue
        top = _segments(path)[0][0]
        if top not in data:
            data[top] = _section_data(programme, top)
        if path == SCALE_FIELD:
            data[top] = _scaled_plan(data[top], float(value))
            continue
        segments = _segments(path)
        node: Any = {top: data[top]}
        for name, key in [(top, segments[0][1]), *segments[1:-1]]:
            node = _step(node, name, key, path)
        leaf, leaf_key = segments[-1]
        if leaf_key is not None:
            raise ValueError(f"{path}: the last segment names a field, not a list entry")
        node[leaf] = _typed(value, node.get(leaf))
    for top, section in data.items():
        annotation: Any = ProgrammeType.model_fields[top].annotation
        try:
            updates[top] = TypeAdapter(annotation).validate_python(section)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ", ".join(p for p in values if p.split(".")[0].split("[")[0] == top)
            loc = ".".join(str(p) for p in (top, *first["loc"]))
            message = str(first["msg"]).removeprefix("Value error, ")
            raise InputError([Problem("(sweep row)", None, where, f"{message} (at {loc})")]) from None
    return programme.model_copy(update=updates)


def options_from(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Analysis options the row's option fields set: analysis → {option: value}."""
    out: dict[str, dict[str, Any]] = {}
    for path, value in values.items():
        if path in OPTION_FIELDS:
            analysis, option = OPTION_FIELDS[path]
            out.setdefault(analysis, {})[option] = value
    return out
