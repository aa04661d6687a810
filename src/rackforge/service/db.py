"""Engine and sessions: SQLite (WAL) by default, PostgreSQL by URL.

SQLite gets WAL (readers never wait for the writer), foreign keys, a busy timeout, and transactions
that say up front whether they write: :meth:`Database.write` begins with ``BEGIN IMMEDIATE`` so two
writers queue on the lock instead of one failing when it upgrades a read snapshot to a write
(SQLITE_BUSY_SNAPSHOT). On PostgreSQL writes are READ COMMITTED transactions and reads run in
autocommit: under READ COMMITTED every statement takes its own snapshot, so a read-only transaction
would see nothing more consistent, and autocommit saves its BEGIN and ROLLBACK round trips (two of a
status poll's five). A reading session must therefore never write: it would not be rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for the lock before giving up [ms]."""

POOL_SIZE = 10
POOL_OVERFLOW = 40
"""Connections kept open, and opened beyond them at peaks: enough for FastAPI's 40 request threads and
the worker threads, so a request waits for a connection only under more load than threads."""

READ_THREADS = 4
"""Threads that run the API's short reads on PostgreSQL (token, scope, a row or two; see
:meth:`rackforge.service.deps.Caller.run`). Few on purpose: they keep their pooled connections warm and
do not convoy on the GIL. With 32 clients, 4 threads served 657-708 requests/s (p99 56-64 ms) where
FastAPI's 40 shared threads served 433-483 (p99 159-204 ms): BENCHMARKS.md, "Shared service"."""

_BEGIN_OPTION = "rackforge_sqlite_begin"


def is_sqlite(engine: Engine) -> bool:
    """Is ``engine`` an SQLite database (single writer, no row locks)?"""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the service's connection settings (see the module docstring)."""
    parsed = make_url(url)
    if parsed.database not in (None, "", ":memory:"):  # an in-memory SQLite database has one connection
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _sqlite_setup(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (SQLAlchemy's pysqlite recipe)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@dataclass(frozen=True)
class Database:
    """An engine and its two session factories: ``reader`` for transactions that only read,
    ``writer`` for those that write (``BEGIN IMMEDIATE`` on SQLite)."""

    engine: Engine
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]
    read_threads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(READ_THREADS, thread_name_prefix="rackforge-read"))
    """Where the API's short reads run on PostgreSQL (:data:`READ_THREADS`)."""

    @classmethod
    def connect(cls, url: str, **kwargs: Any) -> Database:
        """Open ``url`` (nothing is created or migrated: see :mod:`rackforge.service.migrate`)."""
        engine = make_engine(url, **kwargs)
        reading: Engine
        writing: Engine
        if is_sqlite(engine):
            reading, writing = engine, engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        else:  # READ COMMITTED gives each statement its own snapshot anyway: a read needs no BEGIN/ROLLBACK
            reading, writing = engine.execution_options(isolation_level="AUTOCOMMIT"), engine
        return cls(engine, sessionmaker(reading, expire_on_commit=False),
                   sessionmaker(writing, expire_on_commit=False))

    @property
    def sqlite(self) -> bool:
        """Is this the embedded SQLite database?"""
        return is_sqlite(self.engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading, closed at the end (it must not write: on PostgreSQL it autocommits)."""
        with self.reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session that commits at the end, or rolls back if the block raises."""
        with self.writer() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Stop the read threads and close every pooled connection."""
        self.read_threads.shutdown(wait=True)
        self.engine.dispose()
