"""What the service does to programmes, apart from HTTP: create, revise, baseline, members, audit.

Each function takes a session in a write transaction and the acting user, checks nothing about access
(the caller passes a programme it got from :class:`~rackforge.service.access.Scope`), and writes an audit
entry in the same transaction as the change. The web pages (issue 16) call these too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rackforge.service.models import (
    AuditEntry,
    Membership,
    Revision,
    RevisionFile,
    Role,
    StoredProgramme,
    User,
    utcnow,
)
from rackforge.service.uploads import content_sha256, load_files


def audit(session: Session, programme: StoredProgramme, user: User, action: str, detail: Mapping[str, Any],
          message: str = "") -> None:
    """Record who did ``action`` to ``programme``, when, with what and why."""
    session.add(AuditEntry(programme_id=programme.id, user_id=user.id, at=utcnow(), action=action,
                           detail=json.dumps(detail, sort_keys=True), message=message))


def revision_files(session: Session, revision: Revision) -> dict[str, str]:
    """Every file of a revision, ``{path: text}``, by path."""
    rows = session.execute(select(RevisionFile.path, RevisionFile.content)
                           .where(RevisionFile.revision_id == revision.id).order_by(RevisionFile.path)).all()
    return {path: content for path, content in rows}


def latest_revision(session: Session, programme: StoredProgramme) -> Revision:
    """The programme's newest revision (every programme has at least one)."""
    revision = session.scalar(select(Revision).where(Revision.programme_id == programme.id)
                              .order_by(Revision.number.desc()).limit(1))
    assert revision is not None, "a programme is created with revision 1"
    return revision


def _save_revision(session: Session, programme: StoredProgramme, user: User, number: int, files: Mapping[str, str],
                   message: str) -> Revision:
    revision = Revision(programme_id=programme.id, number=number, message=message, author_id=user.id,
                        created_at=utcnow(), content_sha256=content_sha256(files))
    session.add(revision)
    session.flush()
    session.add_all(RevisionFile(revision_id=revision.id, path=p, content=t) for p, t in sorted(files.items()))
    return revision


def create_programme(session: Session, user: User, name: str, files: Mapping[str, str],
                     message: str = "") -> tuple[StoredProgramme, Revision]:
    """A new programme owned by ``user`` with ``files`` as revision 1. The files are loaded first: an
    InputError leaves nothing stored."""
    load_files(files)
    programme = StoredProgramme(name=name, created_by=user.id, created_at=utcnow())
    session.add(programme)
    session.flush()
    session.add(Membership(programme_id=programme.id, user_id=user.id, role=Role.OWNER.value))
    revision = _save_revision(session, programme, user, 1, files, message or "created")
    audit(session, programme, user, "create", {"name": name, "revision": 1, "files": sorted(files)}, message)
    return programme, revision


def merged_files(current: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """``current`` with ``changes`` applied: a text replaces or adds a file, None removes it."""
    merged = dict(current)
    for path, text in changes.items():
        if text is None:
            merged.pop(path, None)
        else:
            merged[path] = text
    return merged


def add_revision(session: Session, programme: StoredProgramme, user: User, changes: Mapping[str, str | None],
                 message: str, *, loaded_on: int | None = None) -> Revision:
    """The next revision: the latest one's files with ``changes`` applied, loaded before anything is stored.
    ``loaded_on``: the caller already loaded ``changes`` applied to that revision without problems (see
    :func:`check_revision`); they are loaded again only if another revision came in between."""
    latest = latest_revision(session, programme)
    files = merged_files(revision_files(session, latest), changes)
    if loaded_on != latest.number:
        load_files(files)
    revision = _save_revision(session, programme, user, latest.number + 1, files, message)
    changed = {"changed": sorted(p for p, t in changes.items() if t is not None),
               "removed": sorted(p for p, t in changes.items() if t is None)}
    audit(session, programme, user, "revise", {"revision": revision.number, **changed}, message)
    return revision


def check_revision(session: Session, programme: StoredProgramme, changes: Mapping[str, str | None]) -> int:
    """Load the latest revision's files with ``changes`` applied (InputError with the problems); the
    number of the revision they were applied to. Meant for a read session, before the write transaction."""
    latest = latest_revision(session, programme)
    load_files(merged_files(revision_files(session, latest), changes))
    return latest.number


def set_baseline(session: Session, programme: StoredProgramme, user: User, revision: Revision,
                 message: str = "") -> None:
    """Mark ``revision`` as the programme's approved baseline."""
    previous = programme.baseline_revision
    programme.baseline_revision = revision.number
    audit(session, programme, user, "baseline", {"revision": revision.number, "previous": previous}, message)


def set_member(session: Session, programme: StoredProgramme, user: User, member: User, role: Role | None) -> None:
    """Give ``member`` ``role`` on the programme (None: remove them)."""
    row = session.scalar(select(Membership).where(Membership.programme_id == programme.id,
                                                  Membership.user_id == member.id))
    previous = None if row is None else row.role
    if role is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(Membership(programme_id=programme.id, user_id=member.id, role=role.value))
    else:
        row.role = role.value
    audit(session, programme, user, "member", {"user": member.name, "role": None if role is None else role.value,
                                               "previous": previous})


def owner_count(session: Session, programme: StoredProgramme) -> int:
    """How many owners the programme has (the last one cannot be removed or demoted)."""
    return session.scalar(select(func.count()).select_from(Membership).where(
        Membership.programme_id == programme.id, Membership.role == Role.OWNER.value)) or 0
