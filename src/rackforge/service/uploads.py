"""Programme files sent to the API: checked names, written into a temporary folder and loaded with the
CLI's loader (:func:`rackforge.io.loader.load_programme`), so an upload has exactly the problems the
same files have on disk, named by the file's own name instead of the temporary folder."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from rackforge.errors import InputError, Problem
from rackforge.schema import Programme

MAX_FILES = 200
"""Most files one programme revision may hold."""


def file_problems(files: Mapping[str, str]) -> list[Problem]:
    """Names that cannot be a programme file: absolute, with ``..``, hidden, or not ``.yaml``/``.yml``."""
    problems = []
    if not files:
        problems.append(Problem("files", None, "", "no files: send at least one .yaml file of the programme"))
    if len(files) > MAX_FILES:
        problems.append(Problem("files", None, "", f"{len(files)} files; at most {MAX_FILES}"))
    for name in files:
        path = PurePosixPath(name)
        if (not name or "\\" in name or "\0" in name or path.is_absolute() or len(name) > 255
                or any(part in ("", ".", "..") or part.startswith(".") for part in name.split("/"))):
            problems.append(Problem(name, None, "", "a file name is a relative path like 'build_plan.yaml' or "
                                    "'parts/cables.yaml' without '..', hidden parts or a leading '/'"))
        elif path.suffix.lower() not in (".yaml", ".yml"):
            problems.append(Problem(name, None, "", "programme files end in .yaml or .yml"))
    return problems


def content_sha256(files: Mapping[str, str]) -> str:
    """One hash of a set of files (names and contents), the same whatever their order."""
    canonical = json.dumps(sorted(files.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@contextmanager
def programme_folder(files: Mapping[str, str]) -> Iterator[Path]:
    """The files written into a temporary folder, removed afterwards; bad names raise InputError."""
    problems = file_problems(files)
    if problems:
        raise InputError(problems)
    with tempfile.TemporaryDirectory(prefix="rackforge-upload-") as tmp:
        root = Path(tmp)
        for name, text in files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        yield root


def _relative(problem: Problem, root: Path) -> Problem:
    prefix = str(root) + "/"
    name = problem.file[len(prefix):] if problem.file.startswith(prefix) else problem.file
    return Problem(name, problem.line, problem.field, problem.message.replace(prefix, ""))


def load_in(root: Path) -> Programme:
    """Load the programme in ``root`` with the CLI's loader; problems name files relative to ``root``."""
    from rackforge.io.loader import load_programme

    try:
        return load_programme(root)
    except InputError as exc:
        raise InputError([_relative(p, root) for p in exc.problems]) from None


def load_files(files: Mapping[str, str]) -> Programme:
    """Load a programme from ``{name: text}`` (raises InputError with every problem)."""
    with programme_folder(files) as root:
        return load_in(root)
