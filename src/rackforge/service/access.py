"""Who may see and do what: the one place every programme and run query is restricted to the caller.

Routes never select programmes, revisions or runs themselves; they ask a :class:`Scope` (built per
request from the caller and a session), whose queries all join the caller's membership. A programme the
caller has no role on is not found (404), exactly as one that does not exist, so ids reveal nothing; a
role too low for the action is 403. Roles: viewer < planner (edit, run) < approver (baseline) < owner
(members); :class:`~rackforge.service.models.Role`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from fastapi import HTTPException, status
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from rackforge.service.models import Membership, Revision, Role, Run, StoredProgramme, User, newest_revision_number


def not_found(what: str = "programme") -> HTTPException:
    """The 404 of anything the caller may not see (or that does not exist)."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no such {what}")


def require_role(role: Role, need: Role) -> None:
    """403 unless ``role`` includes ``need``."""
    if role.rank < need.rank:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"this needs the {need.value} role on the programme; you are {role.value}")


def visible_programmes(user: User) -> Select[StoredProgramme, str]:
    """Programmes ``user`` has a role on, with the role: the base of every scoped query."""
    return (select(StoredProgramme, Membership.role)
            .join(Membership, Membership.programme_id == StoredProgramme.id)
            .where(Membership.user_id == user.id))


class Listed(NamedTuple):
    """A programme the caller may see, with their role on it and its newest revision's number."""

    programme: StoredProgramme
    role: Role
    latest_revision: int


def _listed(user: User) -> Select[StoredProgramme, str, int]:
    """:func:`visible_programmes` with each one's newest revision number, in one statement."""
    return visible_programmes(user).add_columns(newest_revision_number(StoredProgramme.id).scalar_subquery())


@dataclass(frozen=True)
class Scope:
    """The caller's view of the database: only programmes they have a role on, and their runs."""

    session: Session
    user: User

    def programmes(self) -> list[Listed]:
        """Every programme the caller may see, with their role and its latest revision, by id."""
        rows = self.session.execute(_listed(self.user).order_by(StoredProgramme.id)).all()
        return [Listed(p, Role(r), latest or 0) for p, r, latest in rows]

    def listed(self, programme_id: int) -> Listed:
        """One programme as :meth:`programmes` lists it; 404 if the caller has no role on it."""
        row = self.session.execute(_listed(self.user).where(StoredProgramme.id == programme_id)).first()
        if row is None:
            raise not_found()
        return Listed(row[0], Role(row[1]), row[2] or 0)

    def programme(self, programme_id: int, need: Role = Role.VIEWER) -> tuple[StoredProgramme, Role]:
        """The programme and the caller's role on it; 404 if they have none, 403 if it is below ``need``."""
        row = self.session.execute(visible_programmes(self.user).where(StoredProgramme.id == programme_id)).first()
        if row is None:
            raise not_found()
        role = Role(row[1])
        require_role(role, need)
        return row[0], role

    def revision(self, programme_id: int, number: int, need: Role = Role.VIEWER) -> Revision:
        """Revision ``number`` of a programme the caller may see; 404 otherwise."""
        self.programme(programme_id, need)
        revision = self.session.scalar(select(Revision).where(Revision.programme_id == programme_id,
                                                              Revision.number == number))
        if revision is None:
            raise not_found("revision")
        return revision

    def run(self, run_id: int, need: Role = Role.VIEWER) -> Run:
        """A run of a programme the caller may see; 404 otherwise (403 if their role is below ``need``)."""
        return self.run_and_revision(run_id, need)[0]

    def run_and_revision(self, run_id: int, need: Role = Role.VIEWER) -> tuple[Run, int]:
        """:meth:`run` and the number of the revision it analyses, in one statement."""
        row = self.session.execute(
            select(Run, Membership.role, Revision.number)
            .join(Membership, Membership.programme_id == Run.programme_id)
            .join(Revision, Revision.id == Run.revision_id)
            .where(Run.id == run_id, Membership.user_id == self.user.id)).first()
        if row is None:
            raise not_found("run")
        require_role(Role(row[1]), need)
        return row[0], row[2]
