"""The API's request and response bodies (pydantic; they make the OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from rackforge.service.models import Role


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` with its zone: the database stores UTC without one (:func:`~rackforge.service.models.utcnow`),
    the API says so (``…Z`` in JSON), so a client in another zone reads the right time."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


UtcTime = Annotated[dt.datetime, AfterValidator(as_utc)]
"""A time the API returns: ISO 8601 in UTC, with its zone."""

FileName = str
FILES_DESCRIPTION = "programme files: {relative path ending .yaml: its text}"


class ProblemOut(BaseModel):
    """One input problem, as the CLI prints it."""

    file: str
    line: int | None
    field: str
    message: str


class InputProblems(BaseModel):
    """422: the files have problems (each as the CLI prints it); nothing was stored."""

    detail: str
    problems: list[ProblemOut]


class ProgrammeIn(BaseModel):
    """A new programme: its name and files (revision 1)."""

    name: str = Field(min_length=1, max_length=200)
    files: dict[FileName, str] = Field(description=FILES_DESCRIPTION)
    message: str = Field("", max_length=10_000)


class Created(BaseModel):
    """A programme just created."""

    id: int
    revision: int


class ProgrammeOut(BaseModel):
    """A programme as the caller sees it."""

    id: int
    name: str
    role: Role
    baseline_revision: int | None
    latest_revision: int
    created_at: UtcTime


class RevisionIn(BaseModel):
    """Changed files of the next revision (null removes a file) and why."""

    files: dict[FileName, str | None] = Field(description="changed files; null removes one")
    message: str = Field(min_length=1, max_length=10_000)


class RevisionOut(BaseModel):
    """One revision's metadata."""

    number: int
    message: str
    author: str
    created_at: UtcTime
    content_sha256: str
    baseline: bool


class FilesOut(BaseModel):
    """A revision's files."""

    revision: int
    files: dict[FileName, str]


class BaselineIn(BaseModel):
    """The revision to approve as the baseline."""

    revision: int = Field(ge=1, le=2**31 - 1)
    message: str = Field("", max_length=10_000)


class MemberIn(BaseModel):
    """A member's role (null removes them)."""

    role: Role | None


class MemberOut(BaseModel):
    """A member of a programme."""

    user: str
    role: Role


class AuditOut(BaseModel):
    """An audit entry."""

    at: UtcTime
    user: str
    action: str
    detail: dict[str, Any]
    message: str


Analysis = Literal["assess", "check", "sourcing", "stress", "simulate", "optimize", "factory", "readiness",
                   "evaluate"]


class RunIn(BaseModel):
    """An analysis to run on a revision (default: the latest) with the CLI command's options."""

    analysis: Analysis
    revision: int | None = Field(None, ge=1, le=2**31 - 1)
    options: dict[str, Any] = Field(default_factory=dict)


class RunCreated(BaseModel):
    """A queued (or reused) run."""

    id: int
    status: str
    reused: bool


class RunOut(BaseModel):
    """A run's state."""

    id: int
    programme_id: int
    revision: int
    analysis: str
    options: dict[str, Any]
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    attempts: int
    error: str | None
    exit_status: int | None
    created_at: UtcTime
    started_at: UtcTime | None
    finished_at: UtcTime | None
    reused_from: int | None
