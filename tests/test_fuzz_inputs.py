"""Fuzz the input boundary: mutated programme folders never produce a traceback (docs/errors.md).

Hypothesis mutates a copy of the small test programme (tests/data/mini): values of every type at any
field (units, dates, infinities, huge numbers, markup, nested structures), raw YAML text (explicit tags,
dates that do not exist, deep nesting, aliases), references between records, encodings, and the files
themselves (suffix case, broken symlinks, FIFOs, empty and deleted files). Each mutated folder is run
through ``check``, ``bom --csv`` and ``sourcing`` in-process (mutated copies of the reference programme,
which has every section, through ``check`` and ``evaluate``); every run must end with exit 0, 1 or 2
(exit 3 is a bug found), print no traceback, write nothing on exit 2, and finish in bounded time.

The normal suite runs a small fixed budget; ``RACKFORGE_FUZZ_EXAMPLES=2000`` runs a longer search.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rackforge.cli import cli

MINI = Path(__file__).parent / "data" / "mini"
FILES = sorted(p.name for p in MINI.glob("*.yaml"))
REFERENCE = Path(__file__).parent.parent / "src" / "rackforge" / "reference"
REFERENCE_FILES = sorted(p.name for p in REFERENCE.glob("*.yaml"))
EXAMPLES = int(os.environ.get("RACKFORGE_FUZZ_EXAMPLES", "12"))
"""Examples per fuzz test: a small fixed budget in the normal suite, more from the environment."""

SECONDS_PER_RUN = 60.0
"""Longest one command may take on a mutated folder (the mini programme runs in well under a second)."""

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 50, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
"""Derandomised in the normal suite (the same examples every run), random in a long run."""

NASTY_STRINGS = [
    ".inf", "-.inf", ".nan", "NaN", "Infinity", "1e400 W", "-1e400 kW", "1e400", "2e15 MW", "0", "0 h", "-1",
    "2027-02-30", "9999Q4", "0001Q1", "2027Q5", "[bold]x[/]", "[/oops]", "[link=file:///etc]x[/link]", "", " ",
    "12 kg", "3,000 lb", "50 %", "150 kW", "1.5 L/min", "8 h", "estimate: a fuzzed figure with some reasoning",
    "\u202e\u0000\ufffd", "ü" * 50, "x" * 500, "=HYPERLINK(\"http://x\")", "../../etc/passwd",
]

RAW_VALUES = [
    "!!float abc", "!!timestamp nope", "!!int 1.5x", "!!bool maybe", "!!binary ~~~", "2027-02-30", "2026-13-01",
    ".inf", ".nan", "-.inf", "1.0e+400", "99999999999999999999999999", "!!python/object:os.system ls",
    "!!set {a, b}", "*undefined", "&a [*a, *a]", "{", "[", "'unterminated", "<<: {a: 1}", "!custom x",
    "[" * 100 + "]" * 100, "{a: " * 80 + "1" + "}" * 80, "9999-12-31", "0001-01-01", "2027Q1",
]

scalars = st.one_of(
    st.sampled_from(NASTY_STRINGS),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.booleans(),
    st.none(),
    st.dates(),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@contextmanager
def mini_copy(source: Path = MINI) -> Iterator[Path]:
    """A fresh writable copy of the mini programme (or of ``source``), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="rackforge-fuzz-"))
    try:
        folder = root / "programme"
        shutil.copytree(source, folder)
        yield folder
    finally:
        shutil.rmtree(root, ignore_errors=True)


def paths_in(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``data`` (maps and lists), the root excluded."""
    out: list[tuple[Any, ...]] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, child in items:
        out.append((*prefix, key))
        out.extend(paths_in(child, (*prefix, key)))
    return out


def set_at(data: Any, path: tuple[Any, ...], value: Any) -> None:
    """Replace the value at ``path`` in ``data``."""
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def strings_in(data: Any) -> list[str]:
    """Every string value in ``data`` (ids and references among them)."""
    if isinstance(data, dict):
        return [s for v in data.values() for s in strings_in(v)]
    if isinstance(data, list):
        return [s for v in data for s in strings_in(v)]
    return [data] if isinstance(data, str) else []


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Each entry under the folder's parent with its size and modification time (to detect writes)."""
    out = {}
    for path in sorted(folder.parent.rglob("*")):
        try:
            info = path.lstat()
        except OSError:
            continue
        out[str(path)] = (info.st_size, info.st_mtime_ns)
    return out


def run_commands(folder: Path, commands: tuple[str, ...] = ("check", "bom", "sourcing")) -> None:
    """Run the commands on ``folder`` and check the boundary's promises for each."""
    out_dir = folder.parent / "csv-out"
    options = {"bom": ["--csv", str(out_dir)]}
    for args in ([command, str(folder), *options.get(command, [])] for command in commands):
        before = snapshot(folder)
        started = time.monotonic()
        result = CliRunner().invoke(cli, args)
        elapsed = time.monotonic() - started
        text = result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"rackforge {args[0]} raised {result.exception!r}\n{text}") from result.exception
        assert result.exit_code in (0, 1, 2), f"rackforge {args[0]} exited {result.exit_code} (a bug):\n{text}"
        assert "Traceback" not in text, f"rackforge {args[0]} printed a traceback:\n{text}"
        assert elapsed < SECONDS_PER_RUN, f"rackforge {args[0]} took {elapsed:.0f} s"
        if result.exit_code == 2:
            assert snapshot(folder) == before, f"rackforge {args[0]} wrote files on exit 2"
            assert text.strip(), f"rackforge {args[0]} exited 2 without a message"


@FUZZ
@given(data=st.data())
def test_any_value_at_any_field_is_handled(data: st.DataObject) -> None:
    with mini_copy() as folder:
        for _ in range(data.draw(st.integers(1, 3), label="mutations")):
            name = data.draw(st.sampled_from(FILES), label="file")
            content = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
            paths = paths_in(content)
            path = data.draw(st.sampled_from(paths), label="path")
            set_at(content, path, data.draw(values, label="value"))
            (folder / name).write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
        run_commands(folder)


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))
@given(data=st.data())
def test_any_value_in_the_reference_programme_is_handled(data: st.DataObject) -> None:
    """The reference programme has every section (factory, scenarios, evaluations, readiness, rules)."""
    with mini_copy(REFERENCE) as folder:
        name = data.draw(st.sampled_from(REFERENCE_FILES), label="file")
        content = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
        path = data.draw(st.sampled_from(paths_in(content)), label="path")
        set_at(content, path, data.draw(values, label="value"))
        (folder / name).write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
        run_commands(folder, ("check", "evaluate"))


@FUZZ
@given(data=st.data())
def test_raw_yaml_text_is_handled(data: st.DataObject) -> None:
    with mini_copy() as folder:
        name = data.draw(st.sampled_from(FILES), label="file")
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        candidates = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]
        index = data.draw(st.sampled_from(candidates), label="line")
        key = lines[index].split(": ", 1)[0]
        lines[index] = f"{key}: {data.draw(st.sampled_from(RAW_VALUES), label='raw')}"
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        run_commands(folder)


@FUZZ
@given(data=st.data())
def test_broken_references_are_handled(data: st.DataObject) -> None:
    with mini_copy() as folder:
        texts = {name: (folder / name).read_text(encoding="utf-8") for name in FILES}
        ids = sorted({s for name in FILES for s in strings_in(yaml.safe_load(texts[name]))
                      if s.startswith("mini-")})
        old = data.draw(st.sampled_from(ids), label="id")
        new = data.draw(st.one_of(st.sampled_from(ids), st.sampled_from(["", "Mini-GPU", "mini gpu", "x" * 100]),
                                  st.text(max_size=10)), label="replacement")
        name = data.draw(st.sampled_from(FILES), label="file")
        everywhere = data.draw(st.booleans(), label="everywhere")
        texts[name] = texts[name].replace(old, new) if everywhere else texts[name].replace(old, new, 1)
        (folder / name).write_text(texts[name], encoding="utf-8")
        run_commands(folder)


ENCODINGS = ["utf-16", "utf-32", "latin-1", "utf-8-sig", "cp1252"]


@FUZZ
@given(data=st.data())
def test_files_and_encodings_are_handled(data: st.DataObject) -> None:
    with mini_copy() as folder:
        name = data.draw(st.sampled_from(FILES), label="file")
        path = folder / name
        action = data.draw(st.sampled_from(["encode", "bytes", "truncate", "rename", "symlink", "fifo", "empty",
                                            "delete", "folder", "hidden"]), label="action")
        text = path.read_text(encoding="utf-8")
        if action == "encode":
            encoding = data.draw(st.sampled_from(ENCODINGS), label="encoding")
            path.write_bytes(text.replace("Mini", "Mïni").encode(encoding, errors="replace"))
        elif action == "bytes":
            raw = path.read_bytes()
            at = data.draw(st.integers(0, len(raw)), label="offset")
            path.write_bytes(raw[:at] + data.draw(st.binary(min_size=1, max_size=8), label="bytes") + raw[at:])
        elif action == "truncate":
            path.write_text(text[: data.draw(st.integers(0, len(text)), label="length")], encoding="utf-8")
        elif action == "rename":
            suffix = data.draw(st.sampled_from([".YAML", ".Yml", ".yml", ".yaml.bak", ".txt"]), label="suffix")
            path.rename(path.with_suffix(suffix))
        elif action == "symlink":
            os.symlink(folder / "missing.yaml", folder / "dangling.yaml")
        elif action == "fifo" and hasattr(os, "mkfifo"):
            os.mkfifo(folder / "pipe.yaml")
        elif action == "empty":
            (folder / "empty.yaml").write_text(data.draw(st.sampled_from(["", "\n", "# only a comment\n", "---\n"])))
        elif action == "delete":
            path.unlink()
        elif action == "folder":
            (folder / "sub.yaml").mkdir()
            (folder / "sub.yaml" / name).write_text(text, encoding="utf-8")
        elif action == "hidden":
            (folder / ".hidden").mkdir()
            (folder / ".hidden" / name).write_text("{", encoding="utf-8")
        run_commands(folder)
