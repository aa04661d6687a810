"""FastAPI dependencies shared by every router: the database and the caller's :class:`Scope`.

A route that reads takes ``ReadScope``; one that writes takes ``WriteScope`` and calls
``scope.session.commit()`` once its change is complete (an exception rolls everything back).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials

from rackforge.service.access import Scope
from rackforge.service.auth import bearer_scheme, request_user
from rackforge.service.db import Database


async def database(request: Request) -> Database:
    """The app's :class:`Database` (async: no I/O, so no thread hop)."""
    db: Database = request.app.state.db
    return db


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def read_scope(request: Request, credentials: Credentials) -> Iterator[Scope]:
    """The caller's scope on a read-only session; the token is checked on the same session (one
    connection per request). Sync, so it runs in the thread pool: a blocking connection checkout on the
    event loop would deadlock once the pool is empty."""
    with request.app.state.db.reader() as session:
        yield Scope(session, request_user(request, credentials, session))


def write_scope(request: Request, credentials: Credentials) -> Iterator[Scope]:
    """The caller's scope on a session that writes (``BEGIN IMMEDIATE`` on SQLite, taken at the first
    statement, the token lookup); commit explicitly."""
    with request.app.state.db.writer() as session:
        yield Scope(session, request_user(request, credentials, session))


MAX_ID = 2**31 - 1
"""Largest id or revision number a route accepts (the databases' 32-bit INTEGER)."""

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A programme, run or revision number in a path."""

ReadScope = Annotated[Scope, Depends(read_scope)]
WriteScope = Annotated[Scope, Depends(write_scope)]
