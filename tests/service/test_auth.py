"""Passwords (argon2id), API tokens (hashed, constant-time), and the users/tokens/db/serve commands."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from rackforge.cli import cli
from rackforge.service.auth import authenticate, hash_password, user_for_token, verify_password
from rackforge.service.db import Database
from rackforge.service.models import ApiToken, User

from .helpers import add_user


def test_password_hash_is_argon2id_and_verifies_only_the_password() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horsE")
    assert not verify_password("not a hash", "correct horse")


def test_tokens_are_stored_as_hashes_and_checked(db: Database) -> None:
    token = add_user(db, "alice")
    prefix, lookup, secret = token.split("_", 2)
    assert prefix == "rf" and len(secret) >= 43  # 32 random bytes, base64url
    with db.read() as session:
        row = session.scalar(select(ApiToken))
        assert row is not None
        assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in row.secret_sha256 and row.lookup == lookup
        user = user_for_token(session, token)
        assert user is not None and user.name == "alice"
        assert user_for_token(session, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert user_for_token(session, f"rf_{lookup}") is None
        assert user_for_token(session, "Bearer " + token) is None
        assert authenticate(session, "alice", "correct horse") is not None
        assert authenticate(session, "alice", "wrong") is None
        assert authenticate(session, "nobody", "correct horse") is None


@pytest.fixture(scope="module")
def token_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A SQLite database with one user and token, shared by the examples of a hypothesis test."""
    from rackforge.service.migrate import upgrade

    database = Database.connect(f"sqlite:///{tmp_path_factory.mktemp('tokens') / 'tokens.db'}")
    upgrade(database.engine)
    add_user(database, "alice")
    yield database
    database.dispose()


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(guess=st.text(max_size=80) | st.from_regex(r"rf_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", fullmatch=True))
def test_no_other_string_authenticates(token_db: Database, guess: str) -> None:
    with token_db.read() as session:
        assert user_for_token(session, guess) is None


def test_expired_and_revoked_tokens_are_refused(db: Database) -> None:
    token = add_user(db, "alice")
    with db.write() as session:
        session.execute(update(ApiToken).values(expires_at=dt.datetime(2000, 1, 1)))
    with db.read() as session:
        assert user_for_token(session, token) is None
    with db.write() as session:
        session.execute(update(ApiToken).values(expires_at=None, revoked=True))
    with db.read() as session:
        assert user_for_token(session, token) is None


def test_users_tokens_and_db_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "data"
    refused = runner.invoke(cli, ["users", "add", "alice", "--data-dir", str(data), "--password-stdin"],
                            input="long enough password\n")
    assert refused.exit_code == 2
    assert f"rackforge db upgrade --data-dir {data}" in refused.output
    upgraded = runner.invoke(cli, ["db", "upgrade", "--data-dir", str(data)])
    assert upgraded.exit_code == 0, upgraded.output
    assert "empty -> 0001" in upgraded.output or "empty ->" in upgraded.output
    added = runner.invoke(cli, ["users", "add", "alice", "--admin", "--data-dir", str(data), "--password-stdin"],
                          input="long enough password\n")
    assert added.exit_code == 0, added.output
    twice = runner.invoke(cli, ["users", "add", "alice", "--data-dir", str(data), "--password-stdin"],
                          input="long enough password\n")
    assert twice.exit_code == 2 and "exists already" in twice.output
    short = runner.invoke(cli, ["users", "add", "bob", "--data-dir", str(data), "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 8" in short.output
    created = runner.invoke(cli, ["tokens", "create", "alice", "--expires-days", "30", "--data-dir", str(data)])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[0]
    database = Database.connect(f"sqlite:///{data / 'rackforge.db'}")
    try:
        with database.read() as session:
            user = user_for_token(session, token)
            assert user is not None and user.name == "alice" and user.is_admin
            row = session.scalar(select(ApiToken))
            assert row is not None and row.expires_at is not None
            assert dt.timedelta(days=29) < row.expires_at - row.created_at <= dt.timedelta(days=30)
            stored = session.scalar(select(User.password_hash))
            assert stored is not None and verify_password(stored, "long enough password")
    finally:
        database.dispose()
    unknown = runner.invoke(cli, ["tokens", "create", "nobody", "--data-dir", str(data)])
    assert unknown.exit_code == 2 and "rackforge users add nobody" in unknown.output


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path / "fresh"), "--port", "0"])
    assert result.exit_code == 2
    assert "has no rackforge tables" in result.output and "rackforge db upgrade" in result.output
