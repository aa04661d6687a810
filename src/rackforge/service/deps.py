"""FastAPI dependencies shared by every router: the database and the caller's :class:`Scope`.

A route that reads takes ``ReadScope``; one that writes takes ``WriteScope`` and calls
``scope.session.commit()`` once its change is complete (an exception rolls everything back).
The API's own read routes take a :class:`Caller` instead and open the scope in their body
(``with caller.read() as scope``): the same scope and checks, one thread-pool hop per request instead
of three (a yield dependency enters and leaves in the pool), which is most of a read's CPU time beyond
its queries (BENCHMARKS.md, "Shared service").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, TypeVar

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
    """The caller's scope on a session that writes; commit explicitly. The token is checked on a read
    session, so the write transaction (``BEGIN IMMEDIATE``: SQLite's one write lock) starts only at the
    route's first statement, after any slow work the route does first (loading uploaded files)."""
    db = request.app.state.db
    with db.reader() as session:
        user = request_user(request, credentials, session)
        if user in session:
            session.expunge(user)
    with db.writer() as session:
        yield Scope(session, session.merge(user, load=False))


T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """Who is asking (the request and its bearer credentials), not yet checked: :meth:`read` checks the
    token and gives the caller's scope."""

    request: Request
    credentials: HTTPAuthorizationCredentials | None

    @contextmanager
    def read(self) -> Iterator[Scope]:
        """The caller's scope on a read-only session (401 for a bad token); closed at the end."""
        with self.request.app.state.db.reader() as session:
            yield Scope(session, request_user(self.request, self.credentials, session))

    async def run(self, read: Callable[[], T]) -> T:
        """``read()`` (a short read that opens :meth:`read`) where it costs least: on the event loop for
        SQLite, whose queries are in-process calls with no network wait, so the request makes no thread hop
        (the hop and the GIL handover between 32 pool threads were most of a status poll's CPU: 307 → 742
        requests/s, BENCHMARKS.md "Shared service"); for PostgreSQL, whose round trips would stall the
        loop, on the database's few read threads (:data:`~rackforge.service.db.READ_THREADS`), not
        FastAPI's 40 shared ones."""
        db: Database = self.request.app.state.db
        if db.sqlite:
            return read()
        return await asyncio.get_running_loop().run_in_executor(db.read_threads, read)


async def caller(request: Request, credentials: Credentials) -> Caller:
    """The :class:`Caller` (async: no I/O here, so no thread hop)."""
    return Caller(request, credentials)


CallerDep = Annotated[Caller, Depends(caller)]

MAX_ID = 2**31 - 1
"""Largest id or revision number a route accepts (the databases' 32-bit INTEGER)."""

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A programme, run or revision number in a path."""

ReadScope = Annotated[Scope, Depends(read_scope)]
WriteScope = Annotated[Scope, Depends(write_scope)]
