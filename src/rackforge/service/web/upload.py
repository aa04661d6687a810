"""An uploaded file as changes to a programme's files: a programme file replaces the file of that name;
a spreadsheet (.xlsx, .csv) of sources and BOM rows goes through :func:`rackforge.io.exchange.import_into_programme`
(the checks of ``rackforge sheets import``: every row, then the whole programme with the new file), into
``imported.yaml``. Problems name the uploaded file (and sheet), row and column, never a temporary folder."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from rackforge.errors import InputError, Problem

PROGRAMME_SUFFIXES = (".yaml", ".yml")
SHEET_SUFFIXES = (".xlsx", ".csv")
IMPORT_FILE = "imported.yaml"
MAX_UPLOAD_BYTES = 8 * 1024 * 1024


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name (no folders), or an input error saying what may be uploaded."""
    name = PurePosixPath((filename or "").replace("\\", "/")).name
    if not name or name.startswith(".") or PurePosixPath(name).suffix.lower() not in (*PROGRAMME_SUFFIXES,
                                                                                          *SHEET_SUFFIXES):
        raise InputError([Problem(name or "upload", None, "file", "upload a programme file (.yaml, .yml) or a "
                                  "spreadsheet of sources and BOM rows (.xlsx, .csv)")])
    return name


def changes_for_upload(current: Mapping[str, str], filename: str | None, data: bytes) -> dict[str, str | None]:
    """The file changes an upload makes to ``current`` (``{path: text}``; None removes a path)."""
    name = upload_name(filename)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError([Problem(name, None, "", f"{len(data):,} bytes; at most {MAX_UPLOAD_BYTES:,}")])
    if PurePosixPath(name).suffix.lower() in PROGRAMME_SUFFIXES:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError([Problem(name, None, "", f"not UTF-8 text (byte {exc.start}); save it as UTF-8")
                              ]) from None
        same_name = [p for p in current if PurePosixPath(p).name == name]
        return {same_name[0] if len(same_name) == 1 else name: text}
    return _sheet_changes(current, name, data)


def _sheet_changes(current: Mapping[str, str], name: str, data: bytes) -> dict[str, str | None]:
    from rackforge.io.exchange import import_into_programme
    from rackforge.service.uploads import programme_folder

    with tempfile.TemporaryDirectory(prefix="rackforge-sheet-") as tmp, programme_folder(current) as root:
        sheet = Path(tmp) / name
        sheet.write_bytes(data)
        try:
            import_into_programme(sheet, root, IMPORT_FILE, lock_wait_s=5.0)
        except InputError as exc:
            raise InputError([_relative(p, (tmp, str(root))) for p in exc.problems]) from None
        after = {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*"))
                 if p.is_file() and p.suffix in PROGRAMME_SUFFIXES
                 and not any(part.startswith(".") for part in p.relative_to(root).parts)}
    changes: dict[str, str | None] = {p: t for p, t in after.items() if current.get(p) != t}
    changes.update({p: None for p in current if p not in after})
    return changes


def _relative(problem: Problem, roots: tuple[str, ...]) -> Problem:
    """``problem`` with the temporary folders taken out of its file name and message."""
    file, message = problem.file, problem.message
    for root in roots:
        file = file.replace(root + "/", "")
        message = message.replace(root + "/", "")
    return Problem(file, problem.line, problem.field, message)
