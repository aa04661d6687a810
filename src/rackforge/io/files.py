"""Output files that are never half-written, and output sets that are never mixed.

- :func:`atomic_path` / :func:`atomic_write_text`: one file, written to a temporary file beside
  it and renamed onto it; the file gets the process umask's mode (an existing file keeps its
  mode).
- :func:`output_set`: several files (a report, a folder of CSV tables) written into a staging
  folder beside the target and swapped in as a whole, so a kill at any moment leaves either
  the previous set or the new one, never a new ``report.html`` beside an old ``results.json``.
- :func:`check_output_dir` / :func:`check_output_file`: output paths checked before any analysis
  runs (an existing file where a folder is wanted, a read-only folder, a folder holding files
  the set does not own): an :class:`~rackforge.errors.InputError`, exit 2, nothing written.
- :func:`clean_stale_staging`: staging folders (``.rackforge-PID-XXXX/``) left by killed runs are
  removed on the next run, when their process is gone (or, naming none, they are older than a
  minute).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Collection, Iterator
from pathlib import Path

from rackforge.errors import InputError, Problem

STAGING_PREFIX = ".rackforge-"
"""Name prefix of staging folders (``.rackforge-PID-XXXX``) beside an output set."""

STALE_AFTER_S = 60.0
"""A staging folder whose process is gone (or that names none) and is older than this is left over."""

STALE_LIVE_AFTER_S = 3600.0
"""A staging folder whose process id is still in use is left over only when older than this (the
id may have been reused), so a concurrent run's staging folder is never removed while it writes."""


def process_umask() -> int:
    """The process umask (read without changing it where /proc allows)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(target: Path, directory: bool = False) -> int:
    """Mode for ``target`` when it is (re)written: its current mode if it exists, else the umask's."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return (0o777 if directory else 0o666) & ~process_umask()


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    If the body raises, the temporary file is removed and ``target`` is untouched. The file
    ends with the mode of the file it replaces, or the process umask's for a new file.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        tmp_path.chmod(new_file_mode(target))
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write_text(target: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_bytes(target: str | Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


@contextlib.contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success its files are moved into ``target`` (created if needed).

    For folders the user owns (``rackforge init`` into a programme folder): files already in
    ``target`` with the same names are replaced only when the whole body succeeds, other files
    are kept; on failure nothing in ``target`` changes. Output sets use :func:`output_set`.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(target)
    tmp = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=target))
    try:
        yield tmp
        for path in sorted(tmp.rglob("*")):
            if path.is_file():
                dest = target / path.relative_to(tmp)
                dest.parent.mkdir(parents=True, exist_ok=True)
                path.chmod(new_file_mode(dest))
                os.replace(path, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- output sets ----------------------------------------------------------------------------------

def _staging_pid(folder: Path) -> int | None:
    """The process id in a staging folder's name (``.rackforge-PID-XXXX``), if any."""
    head = folder.name[len(STAGING_PREFIX):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def is_stale_staging(folder: Path, now: float | None = None) -> bool:
    """True for a staging folder left by a killed run.

    That is: its process is gone; or it names no process and is older than a minute; or it is
    older than an hour (its process id reused by another process).
    """
    if not folder.name.startswith(STAGING_PREFIX) or folder.is_symlink() or not folder.is_dir():
        return False
    try:
        age = (time.time() if now is None else now) - folder.stat().st_mtime
    except OSError:
        return False
    pid = _staging_pid(folder)
    if pid is None:
        return age > STALE_AFTER_S
    if pid != os.getpid() and not _process_alive(pid):
        return True
    return age > STALE_LIVE_AFTER_S


def clean_stale_staging(folder: str | Path) -> list[Path]:
    """Remove stale staging folders directly inside ``folder``; returns the ones removed."""
    folder = Path(folder)
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        if is_stale_staging(entry):
            previous = _interrupted_swap_target(entry)
            if previous is not None and not (previous.exists() or previous.is_symlink()):
                with contextlib.suppress(OSError):
                    os.rename(entry, previous)  # killed between the renames: the previous set comes back
                    continue
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


_OLD_MARK = "-old-"


def _aside_name(target: Path) -> str:
    """Name of the previous set while it is renamed aside: ``.rackforge-PID-old-NAME``."""
    name = f"{STAGING_PREFIX}{os.getpid()}{_OLD_MARK}{target.name}"
    if len(name.encode()) > 240 or (target.parent / name).exists():
        name = f"{STAGING_PREFIX}{os.getpid()}-aside-{secrets.token_hex(4)}"
    return name


def _interrupted_swap_target(entry: Path) -> Path | None:
    """The output folder a renamed-aside previous set belongs to (``.rackforge-PID-old-NAME``), if any."""
    head, mark, name = entry.name[len(STAGING_PREFIX):].partition(_OLD_MARK)
    return entry.parent / name if mark and head.isdigit() and name else None


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(".")


def foreign_entries(folder: Path, owned: Collection[str]) -> list[str]:
    """Names in ``folder`` that an output set owning ``owned`` would not write (hidden staging ignored)."""
    return sorted(p.name for p in folder.iterdir()
                  if not p.name.startswith(STAGING_PREFIX) and (p.name not in owned or not p.is_file()))


def check_output_dir(path: str | Path, owned: Collection[str] | None = None) -> Path:
    """Check an output folder before any analysis runs; an :class:`InputError` (exit 2) if it cannot be written.

    Refused: an existing file (or anything not a folder) at ``path``; a folder, or the folder
    that would hold it, that this process may not write; with ``owned`` (the names the set
    writes), an existing folder holding anything else, since the new set replaces the whole
    folder. Stale staging folders beside it are removed. Returns ``path``.
    """
    path = Path(path)
    where = str(path)
    if path.exists() and not path.is_dir():
        raise InputError([Problem(where, None, "", "exists and is not a folder; give a folder name for the "
                                  "output (a new folder, or one written by rackforge before)")])
    parent = path.absolute().parent
    if path.is_dir():
        if not _writable(path) or not _writable(parent):
            blocked = path if not _writable(path) else parent
            raise InputError([Problem(where, None, "", f"cannot write here: {blocked} is read-only for this user")])
        if owned is not None:
            others = foreign_entries(path, owned)
            if others:
                shown = ", ".join(others[:5]) + (f", … ({len(others) - 5} more)" if len(others) > 5 else "")
                raise InputError([Problem(where, None, "", f"holds files rackforge did not write here ({shown}); "
                                          "the output replaces the whole folder: give a new or empty folder")])
        clean_stale_staging(path)
    else:
        base = _nearest_existing(parent)
        if not base.is_dir():
            raise InputError([Problem(where, None, "", f"cannot create this folder: {base} is a file, not a folder")])
        if not _writable(base):
            raise InputError([Problem(where, None, "", f"cannot create this folder: {base} is read-only "
                                      "for this user")])
    if parent.is_dir():
        clean_stale_staging(parent)
    return path


def check_output_file(path: str | Path) -> Path:
    """Check an output file's path before any analysis runs (not a folder, in a writable folder); exit 2 if not."""
    path = Path(path)
    where = str(path)
    if path.is_dir():
        raise InputError([Problem(where, None, "", "is a folder; give a file name")])
    base = _nearest_existing(path.absolute().parent)
    if not base.is_dir():
        raise InputError([Problem(where, None, "", f"cannot write this file: {base} is a file, not a folder")])
    if not _writable(base) or (path.exists() and not os.access(path.parent, os.W_OK)):
        raise InputError([Problem(where, None, "", f"cannot write this file: {base} is read-only for this user")])
    return path


def swap_in(stage: Path, target: Path) -> None:
    """Replace folder ``target`` by folder ``stage`` (same parent) with two renames.

    The previous folder is renamed aside first (``.rackforge-PID-old-NAME``) and removed only once
    the new one is in place; if the second rename fails it is put back, and if the process is
    killed between the renames the next run puts it back (:func:`clean_stale_staging`). At no
    moment does ``target`` hold a mix.
    """
    if not target.exists():
        os.rename(stage, target)
        return
    old = target.parent / _aside_name(target)
    os.rename(target, old)
    try:
        os.rename(stage, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def output_set(target: str | Path, owned: Collection[str] | None = None) -> Iterator[Path]:
    """Yield a staging folder beside ``target``; on success it replaces ``target`` as a whole.

    On failure (or a kill) ``target`` is untouched; the staging folder is removed, or cleaned
    up by the next run (:func:`clean_stale_staging`). ``owned`` is checked as in
    :func:`check_output_dir`. The folder keeps the mode of the one it replaces (else the
    umask's); files written inside it get the umask's mode.
    """
    target = Path(target)
    check_output_dir(target, owned)
    parent = target.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))
    try:
        yield stage
        stage.chmod(new_file_mode(target, directory=True))
        swap_in(stage, target.absolute())
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
