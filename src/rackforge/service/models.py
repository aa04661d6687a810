"""The service's tables (SQLAlchemy 2 typed ORM). Migration 0001 creates them; a test checks that the
migrations and these models agree.

Times are UTC, stored without a zone (SQLite keeps none); :func:`utcnow` makes them.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Select,
    SQLColumnExpression,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}
"""Constraint names, so migrations can name what they alter on every database."""


def utcnow() -> dt.datetime:
    """Now in UTC, without a zone (how every time is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Base of every table."""

    metadata = MetaData(naming_convention=NAMING)


class Role(enum.StrEnum):
    """A member's role on a programme; each includes the ones before it."""

    VIEWER = "viewer"
    PLANNER = "planner"
    APPROVER = "approver"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        """Position in viewer < planner < approver < owner."""
        return list(Role).index(self)


class RunStatus(enum.StrEnum):
    """Where a run is in the queue."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class User(Base):
    """A person who signs in (password, argon2id) or calls the API (tokens)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    """An API token ``rf_<lookup>_<secret>``: ``lookup`` finds the row, only SHA-256 of the secret is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lookup: Mapped[str] = mapped_column(String(32), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    user: Mapped[User] = relationship(lazy="joined")


class StoredProgramme(Base):
    """A team's programme: its revisions, members, baseline and runs."""

    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    baseline_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Membership(Base):
    """A user's role on a programme; without one the programme does not exist for them."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("programme_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))


class Revision(Base):
    """One saved state of a programme's files (numbered 1, 2, … per programme)."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    content_sha256: Mapped[str] = mapped_column(String(64))


def newest_revision_number(programme_id: int | SQLColumnExpression[int]) -> Select[int]:
    """The number of a programme's newest revision (None without one): for an id, or correlated with a
    column of an enclosing query (``StoredProgramme.id``). The one definition of "latest revision"."""
    return select(func.max(Revision.number)).where(Revision.programme_id == programme_id)


class RevisionFile(Base):
    """One file of a revision, as text (every revision holds all its files)."""

    __tablename__ = "revision_files"
    __table_args__ = (UniqueConstraint("revision_id", "path"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Who did what to a programme, when, and why."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    message: Mapped[str] = mapped_column(Text, default="")


class Run(Base):
    """An analysis of one revision; the table is the job queue (docs/service.md)."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_status_id", "status", "id"), Index("ix_runs_inputs_key", "inputs_key"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    analysis: Mapped[str] = mapped_column(String(20))
    options: Mapped[str] = mapped_column(Text, default="{}")
    inputs_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default=RunStatus.QUEUED.value)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    exit_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reused_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class RunOutput(Base):
    """What a finished run wrote: its results JSON and (assess) its report.html, megabytes each.

    A table of its own, not columns of ``runs``: SQLite keeps a row's columns in order across a chain of
    overflow pages, so a status poll that reads a column stored after a 5 MB report walked the whole
    chain (a third of the read API's time after one assess run). Written in the same transaction as the
    run's ``done`` (:func:`rackforge.service.queue.finish`)."""

    __tablename__ = "run_outputs"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    results: Mapped[str | None] = mapped_column(Text, nullable=True)
    report_html: Mapped[str | None] = mapped_column(Text, nullable=True)


class RunEvent(Base):
    """A progress event of a run (streamed as server-sent events)."""

    __tablename__ = "run_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    data: Mapped[str] = mapped_column(Text, default="{}")
