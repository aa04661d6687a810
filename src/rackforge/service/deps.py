"""FastAPI dependencies shared by every router: the database and the caller's :class:`Scope`.

A route that reads takes ``ReadScope``; one that writes takes ``WriteScope`` and calls
``scope.session.commit()`` once its change is complete (an exception rolls everything back).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request

from rackforge.service.access import Scope
from rackforge.service.auth import CurrentUser
from rackforge.service.db import Database


def database(request: Request) -> Database:
    """The app's :class:`Database`."""
    db: Database = request.app.state.db
    return db


def read_scope(user: CurrentUser, db: Annotated[Database, Depends(database)]) -> Iterator[Scope]:
    """The caller's scope on a read-only session."""
    with db.reader() as session:
        yield Scope(session, user)


def write_scope(user: CurrentUser, db: Annotated[Database, Depends(database)]) -> Iterator[Scope]:
    """The caller's scope on a session that writes (``BEGIN IMMEDIATE`` on SQLite); commit explicitly."""
    with db.writer() as session:
        yield Scope(session, user)


MAX_ID = 2**31 - 1
"""Largest id or revision number a route accepts (the databases' 32-bit INTEGER)."""

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A programme, run or revision number in a path."""

ReadScope = Annotated[Scope, Depends(read_scope)]
WriteScope = Annotated[Scope, Depends(write_scope)]
