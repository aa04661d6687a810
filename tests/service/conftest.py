"""Fixtures of the service tests: every database test runs on SQLite and on PostgreSQL.

PostgreSQL: ``RACKFORGE_TEST_PG_URL`` names a server (``.ci/run`` starts one); each test gets a fresh
schema, dropped afterwards. When the server cannot be reached the PostgreSQL variants skip, unless
``RACKFORGE_REQUIRE_POSTGRES=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from rackforge.service.db import Database
from rackforge.service.migrate import upgrade

PG_URL = os.environ.get("RACKFORGE_TEST_PG_URL", "postgresql+psycopg://rackforge:rackforge@127.0.0.1:5432/rackforge_test")
REQUIRE_PG = os.environ.get("RACKFORGE_REQUIRE_POSTGRES") == "1"


def pg_reachable() -> str | None:
    """None when the PostgreSQL test server answers, else why not."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


_PG_PROBLEM: list[str | None] = []


def _require_pg() -> None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(pg_reachable())
    problem = _PG_PROBLEM[0]
    if problem is None:
        return
    message = f"PostgreSQL at {make_url(PG_URL).render_as_string(hide_password=True)} unreachable: {problem}"
    if REQUIRE_PG:
        pytest.fail("RACKFORGE_REQUIRE_POSTGRES=1 but " + message)
    pytest.skip(message)


def pg_schema_url(schema: str) -> str:
    """The test server's URL with ``schema`` first on the search path."""
    return str(make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
               .render_as_string(hide_password=False))


def empty_database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of ``kind`` (sqlite or postgresql), removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    _require_pg()
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield pg_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on SQLite and once on PostgreSQL."""
    yield from empty_database_url(request.param, tmp_path)


@pytest.fixture
def db_url(empty_url: str) -> str:
    """A migrated database's URL (SQLite and PostgreSQL)."""
    database = Database.connect(empty_url)
    upgrade(database.engine)
    database.dispose()
    return empty_url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """An open, migrated database (SQLite and PostgreSQL)."""
    database = Database.connect(db_url)
    yield database
    database.dispose()


@pytest.fixture
def client(db: Database) -> Iterator[Any]:
    """A TestClient on the app over ``db`` (no worker threads: tests run the queue with :func:`drain`)."""
    from fastapi.testclient import TestClient

    from rackforge.service.app import create_app
    from rackforge.service.settings import Settings

    app = create_app(Settings(db_url="", workers=0, max_request_bytes=1_000_000), db)
    with TestClient(app) as test_client:
        yield test_client
