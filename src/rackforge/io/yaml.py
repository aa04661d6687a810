"""Safe YAML reading with a line for every field.

:func:`read_yaml` parses a file into plain Python data (dicts, lists, scalars) and a
:class:`LineMap` from each field's path (``("designs", 0, "power", "shelf")``) to its line,
so that schema and reference errors can name the line. It refuses, with a located message:
files over :data:`MAX_FILE_BYTES`, bytes that are not UTF-8, empty files, several documents
in one file, duplicate keys, and any YAML tag outside the plain JSON-like set (so
``!!python/object`` tags are rejected before anything is constructed, never executed).
Aliases are expanded with a node budget that stops "billion laughs" documents.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import Any

import yaml

from rackforge.errors import InputError, Problem
from rackforge.linemap import FieldPath, LineMap, dotted

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Largest input file accepted [bytes]; a programme file is text and never needs more."""

MAX_NODES = 2_000_000
"""Largest number of YAML nodes after expanding aliases."""

MAX_INTEGER = 10**15
"""Largest whole number accepted (as for quantities, :data:`rackforge.units.MAX_MAGNITUDE`); larger ones
would overflow the 64-bit arrays the analyses compute with."""

MAX_DEPTH = 64
"""Deepest nesting of maps and lists in one file; a programme file needs fewer than ten levels."""

_SAFE_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}

Path_ = FieldPath
"""A field's path in a file. It, :class:`LineMap` and :func:`dotted` live in :mod:`rackforge.linemap`
(foundation layer), so that a loaded programme can keep its line maps without the schema importing io."""

__all__ = ["MAX_FILE_BYTES", "MAX_NODES", "LineMap", "Path_", "dotted", "parse_yaml", "read_text", "read_yaml"]

# libyaml's C parser when PyYAML was built with it (the wheels are): ~10x faster, same marks
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path, display: str | None = None) -> str:
    """Read a UTF-8 text file with the size limit; errors name the file (and line for bad bytes)."""
    name = display or str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError([Problem(name, None, "", "not a regular file (a folder, pipe, socket or device)")])
        if info.st_size > MAX_FILE_BYTES:
            raise InputError([Problem(name, None, "", f"file is {info.st_size / 2**20:.1f} MiB; the limit is "
                                      f"{MAX_FILE_BYTES / 2**20:.0f} MiB per input file")])
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # never more than the limit, even if the file grew
    except OSError as exc:
        raise InputError([Problem(name, None, "", f"cannot read file: {exc.strerror or exc}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError([Problem(name, None, "", f"file grew past the limit of {MAX_FILE_BYTES / 2**20:.0f} MiB "
                                  "while being read")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError([Problem(name, line, "", f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                                  f"offset {exc.start}); save it as UTF-8")]) from None


def read_yaml(path: Path, display: str | None = None) -> tuple[Any, LineMap]:
    """Parse one YAML file into plain data and its :class:`LineMap`."""
    name = display or str(path)
    return parse_yaml(read_text(path, name), name)


def parse_yaml(text: str, name: str) -> tuple[Any, LineMap]:
    """Parse YAML ``text`` (named ``name`` in messages) into plain data and a line map."""
    if not text.strip() or all(ln.strip().startswith("#") or not ln.strip() for ln in text.splitlines()):
        raise InputError([Problem(name, None, "", "file is empty; remove it or give it content")])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc)
        if "expected a single document" in str(exc):
            what = "several YAML documents in one file; put each in its own file"
        raise InputError([Problem(name, line, "", f"malformed YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, None, "", f"malformed YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise InputError([Problem(name, None, "", "file is empty; remove it or give it content")])
    lines = LineMap(name)
    builder = _Builder(name, lines, loader)
    data = builder.build(node, ())
    if builder.problems:
        raise InputError(builder.problems)
    return data, lines


class _Builder:
    def __init__(self, name: str, lines: LineMap, loader: yaml.SafeLoader):
        self.name = name
        self.lines = lines
        self.loader = loader
        self.count = 0
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, path: Path_) -> Any:
        """Plain data of ``node`` at ``path``; problems are collected, limits raise at once."""
        self.count += 1
        if len(path) > MAX_DEPTH:
            raise InputError([Problem(self.name, node.start_mark.line + 1, dotted(path[:8]) + ".…",
                                      f"maps and lists nested more than {MAX_DEPTH} levels deep; "
                                      "a programme file needs only a few")])
        if self.count > MAX_NODES:  # read at call time so tests may lower it
            raise InputError([Problem(self.name, node.start_mark.line + 1, dotted(path),
                                      f"document expands to more than {MAX_NODES:,} values "
                                      "(aliases nested too deeply?)")])
        if node.tag not in _SAFE_TAGS:
            self.problems.append(Problem(
                self.name, node.start_mark.line + 1, dotted(path),
                f"YAML tag {node.tag!r} is not allowed; programme files hold plain data only "
                "(maps, lists, strings, numbers, booleans, dates)"))
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problems.append(Problem(self.name, key_node.start_mark.line + 1, dotted(path),
                                                 "YAML merge keys (<<) are not supported; write the fields out"))
                    continue
                key = self.build(key_node, path)
                if not isinstance(key, str | int | float | bool) or key is None:
                    self.problems.append(Problem(self.name, key_node.start_mark.line + 1, dotted(path),
                                                 "mapping keys must be plain strings"))
                    continue
                key = sys.intern(str(key))  # one string per distinct key: the kept line maps stay small
                child = (*path, key)
                if key in out:
                    self.problems.append(Problem(
                        self.name, key_node.start_mark.line + 1, dotted(child),
                        f"duplicate key {key!r} (first on line {self.lines.lines[child]})"))
                    continue
                self.lines.lines[child] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, child)
            self.lines.lines.setdefault(path, node.start_mark.line + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                child = (*path, index)
                self.lines.lines[child] = item.start_mark.line + 1
                items.append(self.build(item, child))
            self.lines.lines.setdefault(path, node.start_mark.line + 1)
            return items
        try:
            value = self.loader.construct_object(node, deep=True)
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
                self.problems.append(Problem(self.name, node.start_mark.line + 1, dotted(path),
                                             f"{node.value!r} is too large; whole numbers are limited to "
                                             f"±{MAX_INTEGER:.0e}"))
                return None
            return value
        except yaml.YAMLError as exc:
            self.problems.append(Problem(self.name, node.start_mark.line + 1, dotted(path), f"bad value: {exc}"))
            return None
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            # an explicit tag whose text does not fit it (!!float abc, !!timestamp nope) or a date that
            # does not exist (2027-02-30): PyYAML's constructors raise plain Python errors for these
            self.problems.append(Problem(self.name, node.start_mark.line + 1, dotted(path),
                                         f"{node.value!r} is not a valid {_tag_name(node.tag)}"
                                         + _tag_hint(node.tag)))
            return None


def _tag_name(tag: str) -> str:
    """The short name of a YAML tag: ``tag:yaml.org,2002:float`` -> ``float``; timestamps are dates."""
    short = tag.rsplit(":", 1)[-1]
    return "date" if short == "timestamp" else short


def _tag_hint(tag: str) -> str:
    """What a valid value of ``tag`` looks like, for the message."""
    hints = {"timestamp": "; write a date that exists, as YYYY-MM-DD (e.g. 2027-02-28)",
             "float": "; write a number such as 1.5", "int": "; write a whole number such as 12",
             "bool": "; write true or false"}
    return hints.get(tag.rsplit(":", 1)[-1], "")
