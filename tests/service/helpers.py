"""Helpers of the service tests (fixtures are in conftest.py)."""

from __future__ import annotations

import functools
from pathlib import Path

from rackforge.service.auth import hash_password, issue_token
from rackforge.service.db import Database
from rackforge.service.models import User, utcnow

MINI = Path(__file__).parents[1] / "data" / "mini"


@functools.cache
def password_hash(password: str) -> str:
    """argon2id of ``password``, computed once per test session (each hash takes a quarter second)."""
    return hash_password(password)


def add_user(db: Database, name: str, password: str = "correct horse", admin: bool = False) -> str:
    """Add a user and return a new API token of theirs."""
    with db.write() as session:
        user = User(name=name, password_hash=password_hash(password), is_admin=admin, created_at=utcnow())
        session.add(user)
        session.flush()
        return issue_token(session, user, "test")


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def mini_files() -> dict[str, str]:
    """tests/data/mini as ``{name: text}`` (a complete small programme)."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(MINI.glob("*.yaml"))}


def drain(db: Database, limit: int = 50) -> int:
    """Run queued runs in this thread until none is left; how many ran."""
    import threading

    from rackforge.service.settings import Settings
    from rackforge.service.worker import Worker

    worker = Worker(db, Settings(db_url="", workers=0, heartbeat_s=0.2), threading.Event())
    count = 0
    while count < limit and worker.run_one():
        count += 1
    return count
