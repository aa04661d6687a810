"""``/api/programmes``: programmes, revisions, files, baseline, members, audit."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from rackforge.service import programmes as ops
from rackforge.service.access import Listed, Scope
from rackforge.service.deps import MAX_ID, Caller, CallerDep, PathId, WriteScope
from rackforge.service.models import AuditEntry, Membership, Revision, Role, StoredProgramme, User
from rackforge.service.schemas import (
    AuditOut,
    BaselineIn,
    Created,
    FilesOut,
    InputProblems,
    MemberIn,
    MemberOut,
    ProgrammeIn,
    ProgrammeOut,
    RevisionIn,
    RevisionOut,
)

router = APIRouter(prefix="/api/programmes", tags=["programmes"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    422: {"description": "the files have problems: file, line, field, message", "model": InputProblems},
    404: {"description": "no such programme (or no role on it)"}}


def _out(listed: Listed) -> ProgrammeOut:
    programme = listed.programme
    return ProgrammeOut(id=programme.id, name=programme.name, role=listed.role,
                        baseline_revision=programme.baseline_revision, latest_revision=listed.latest_revision,
                        created_at=programme.created_at)


def _conflict() -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, "someone saved a change at the same time; send it again")


@router.post("", status_code=201, response_model=Created, responses=PROBLEMS)
def create_programme(body: ProgrammeIn, scope: WriteScope) -> Created:
    """A new programme from its files; the caller owns it. Files with problems: 422, nothing stored."""
    programme, revision = ops.create_programme(scope.session, scope.user, body.name, body.files, body.message)
    scope.session.commit()
    return Created(id=programme.id, revision=revision.number)


@router.get("", response_model=list[ProgrammeOut])
async def list_programmes(caller: CallerDep) -> list[ProgrammeOut]:
    """The programmes the caller has a role on."""
    return await caller.run(lambda: programmes_out(caller))


def programmes_out(caller: Caller) -> list[ProgrammeOut]:
    """:func:`list_programmes`, read now (for the web pages, which render in the thread pool)."""
    with caller.read() as scope:
        return [_out(listed) for listed in scope.programmes()]


@router.get("/{programme_id}", response_model=ProgrammeOut, responses=PROBLEMS)
async def get_programme(programme_id: PathId, caller: CallerDep) -> ProgrammeOut:
    """One programme."""
    return await caller.run(lambda: programme_out(programme_id, caller))


def programme_out(programme_id: int, caller: Caller) -> ProgrammeOut:
    """:func:`get_programme`, read now (for the web pages, which render in the thread pool)."""
    with caller.read() as scope:
        return _out(scope.listed(programme_id))


@router.post("/{programme_id}/revisions", status_code=201, response_model=RevisionOut, responses=PROBLEMS)
def add_revision(programme_id: PathId, body: RevisionIn, caller: CallerDep, scope: WriteScope) -> RevisionOut:
    """The next revision from changed files (planner). Files with problems: 422, nothing stored."""
    with caller.read() as reader:  # the files are loaded before the write transaction begins
        programme, _ = reader.programme(programme_id, Role.PLANNER)
        loaded_on = ops.check_revision(reader.session, programme, body.files)
    programme, _ = scope.programme(programme_id, Role.PLANNER)
    try:
        revision = ops.add_revision(scope.session, programme, scope.user, body.files, body.message,
                                    loaded_on=loaded_on)
        scope.session.commit()
    except IntegrityError:
        raise _conflict() from None
    return _revision_out(revision, scope.user.name, programme)


def _revision_out(revision: Revision, author: str, programme: StoredProgramme) -> RevisionOut:
    return RevisionOut(number=revision.number, message=revision.message, author=author,
                       created_at=revision.created_at, content_sha256=revision.content_sha256,
                       baseline=programme.baseline_revision == revision.number)


@router.get("/{programme_id}/revisions", response_model=list[RevisionOut], responses=PROBLEMS)
def list_revisions(programme_id: PathId, caller: CallerDep) -> list[RevisionOut]:
    """Every revision, oldest first."""
    with caller.read() as scope:
        programme, _ = scope.programme(programme_id)
        rows = scope.session.execute(select(Revision, User.name).join(User, User.id == Revision.author_id)
                                     .where(Revision.programme_id == programme.id).order_by(Revision.number)).all()
        return [_revision_out(r, name, programme) for r, name in rows]


@router.get("/{programme_id}/revisions/{number}/files", response_model=FilesOut, responses=PROBLEMS)
def revision_files(programme_id: PathId, number: PathId, caller: CallerDep) -> FilesOut:
    """A revision's files."""
    with caller.read() as scope:
        revision = scope.revision(programme_id, number)
        return FilesOut(revision=number, files=ops.revision_files(scope.session, revision))


@router.get("/{programme_id}/revisions/{number}/diff", responses=PROBLEMS)
def revision_diff(programme_id: PathId, number: PathId, caller: CallerDep,
                  against: int = Query(..., ge=1, le=MAX_ID, description="the revision to compare with"),
                  ) -> dict[str, Any]:
    """What changed from revision ``against`` to ``number``: records added, removed and changed by section
    and id, and the key figures of both when each has a finished assess run."""
    from rackforge.service.diff import revision_diff as diff

    with caller.read() as scope:
        new, old = scope.revision(programme_id, number), scope.revision(programme_id, against)
        return diff(scope.session, old, new)


@router.post("/{programme_id}/baseline", response_model=ProgrammeOut, responses=PROBLEMS)
def set_baseline(programme_id: PathId, body: BaselineIn, scope: WriteScope) -> ProgrammeOut:
    """Approve a revision as the baseline (approver)."""
    programme, _ = scope.programme(programme_id, Role.APPROVER)
    revision = scope.revision(programme_id, body.revision, Role.APPROVER)
    ops.set_baseline(scope.session, programme, scope.user, revision, body.message)
    scope.session.commit()
    return _out(scope.listed(programme_id))


@router.get("/{programme_id}/audit", response_model=list[AuditOut], responses=PROBLEMS)
def audit_log(programme_id: PathId, caller: CallerDep) -> list[AuditOut]:
    """Every change to the programme: who, when, what and why, oldest first."""
    with caller.read() as scope:
        programme, _ = scope.programme(programme_id)
        rows = scope.session.execute(select(AuditEntry, User.name).join(User, User.id == AuditEntry.user_id)
                                     .where(AuditEntry.programme_id == programme.id).order_by(AuditEntry.id)).all()
        return [AuditOut(at=a.at, user=name, action=a.action, detail=json.loads(a.detail), message=a.message)
                for a, name in rows]


@router.get("/{programme_id}/members", response_model=list[MemberOut], responses=PROBLEMS)
def list_members(programme_id: PathId, caller: CallerDep) -> list[MemberOut]:
    """Who has which role on the programme."""
    with caller.read() as scope:
        return _members(scope, scope.programme(programme_id)[0])


def _members(scope: Scope, programme: StoredProgramme) -> list[MemberOut]:
    rows = scope.session.execute(select(User.name, Membership.role).join(User, User.id == Membership.user_id)
                                 .where(Membership.programme_id == programme.id).order_by(User.name)).all()
    return [MemberOut(user=name, role=Role(role)) for name, role in rows]


@router.put("/{programme_id}/members/{user_name}", response_model=list[MemberOut],
            responses={**PROBLEMS, 409: {"description": "the last owner cannot be removed or demoted"}})
def set_member(programme_id: PathId, user_name: str, body: MemberIn, scope: WriteScope) -> list[MemberOut]:
    """Give a user a role on the programme, change it, or remove them with null (owner)."""
    programme, _ = scope.programme(programme_id, Role.OWNER)
    member = scope.session.scalar(select(User).where(User.name == user_name))
    if member is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such user")
    current = scope.session.scalar(select(Membership.role).where(Membership.programme_id == programme.id,
                                                                 Membership.user_id == member.id))
    if current == Role.OWNER.value and body.role != Role.OWNER and ops.owner_count(scope.session, programme) <= 1:
        raise HTTPException(status.HTTP_409_CONFLICT, "the programme's last owner cannot be removed or demoted")
    ops.set_member(scope.session, programme, scope.user, member, body.role)
    scope.session.commit()
    return _members(scope, programme)

