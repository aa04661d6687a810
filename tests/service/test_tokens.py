"""Listing and revoking API tokens: ``rackforge tokens list|revoke`` and ``GET|DELETE /api/tokens``, on
SQLite and PostgreSQL. A revoked token is refused at once; one user can neither see nor revoke another's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from sqlalchemy import select, update

from rackforge.cli import cli
from rackforge.service.auth import TokenStatus, issue_token, token_status
from rackforge.service.db import Database
from rackforge.service.models import ApiToken, User
from rackforge.service.tokens import lookup_of

from .helpers import add_user, bearer, mini_files


def _parts(token: str) -> tuple[str, str]:
    """``(rf_<lookup>, secret)`` of a token ``rf_<lookup>_<secret>``."""
    prefix, lookup, secret = token.split("_", 2)
    return f"{prefix}_{lookup}", secret


def _cli(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["tokens", *args, "--db", db_url])


def _new_token(db: Database, user_name: str, label: str = "", expires_days: int | None = None) -> str:
    with db.write() as session:
        user = session.scalar(select(User).where(User.name == user_name))
        assert user is not None
        return issue_token(session, user, label, expires_days)


def _revoked(db: Database, shown: str) -> bool:
    with db.read() as session:
        revoked = session.scalar(select(ApiToken.revoked).where(ApiToken.lookup == shown.removeprefix("rf_")))
        assert revoked is not None
        return revoked


def test_lookup_of_takes_the_id_the_bare_lookup_or_a_whole_token() -> None:
    assert lookup_of("rf_0123abcd") == "0123abcd"
    assert lookup_of("0123abcd") == "0123abcd"
    assert lookup_of("rf_0123abcd_s3cr-et_with_underscores") == "0123abcd"
    assert lookup_of(" rf_0123abcd\n") == "0123abcd"
    for bad in ("", "rf_", "rf__secret", "xyz", "rf_0123ABCD", "0" * 33, "Bearer rf_0123abcd_x"):
        assert lookup_of(bad) is None, bad


def test_status_is_revoked_before_expired() -> None:
    now = dt.datetime(2026, 1, 1)
    token = ApiToken(lookup="ab", secret_sha256="", revoked=False, expires_at=None)
    assert token_status(token, now) is TokenStatus.ACTIVE
    token.expires_at = now + dt.timedelta(seconds=1)
    assert token_status(token, now) is TokenStatus.ACTIVE
    token.expires_at = now
    assert token_status(token, now) is TokenStatus.EXPIRED
    token.revoked = True
    assert token_status(token, now) is TokenStatus.REVOKED


def test_cli_lists_tokens_without_their_secrets(db: Database, db_url: str) -> None:
    alice = add_user(db, "alice")
    bob = add_user(db, "bob")
    expiring = _new_token(db, "alice", label="ci runner", expires_days=30)
    with db.write() as session:  # bob's token expired yesterday
        session.execute(update(ApiToken).where(ApiToken.lookup == _parts(bob)[0][3:])
                        .values(expires_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=1)))
    listed = _cli(db_url, "list")
    assert listed.exit_code == 0, listed.output
    with db.read() as session:
        hashes = list(session.scalars(select(ApiToken.secret_sha256)))
    for token in (alice, bob, expiring):
        assert _parts(token)[1] not in listed.output
    assert not any(digest in listed.output for digest in hashes)
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [(r[0], r[1], r[2], r[5]) for r in rows] == [
        ("alice", _parts(alice)[0], "test", "active"), ("alice", _parts(expiring)[0], "ci runner", "active"),
        ("bob", _parts(bob)[0], "test", "expired")]
    assert rows[0][4] == "never" and rows[1][4].endswith("Z") and rows[1][4] != "never"
    only_bob = _cli(db_url, "list", "bob")
    assert only_bob.exit_code == 0 and [line.split("\t")[0] for line in only_bob.stdout.splitlines()] == ["bob"]
    unknown = _cli(db_url, "list", "nobody")
    assert unknown.exit_code == 2 and "no user 'nobody'" in unknown.output and "Traceback" not in unknown.output


def test_cli_revokes_by_id_lookup_or_whole_token(db: Database, db_url: str) -> None:
    add_user(db, "alice")
    tokens = [_new_token(db, "alice", label=f"t{i}") for i in range(3)]
    forms = [_parts(tokens[0])[0], _parts(tokens[1])[0].removeprefix("rf_"), tokens[2]]
    for token, form in zip(tokens, forms, strict=True):
        revoked = _cli(db_url, "revoke", form)
        assert revoked.exit_code == 0, revoked.output
        assert f"revoked token {_parts(token)[0]} of alice" in revoked.output
        assert _parts(token)[1] not in revoked.output
        assert _revoked(db, _parts(token)[0])
    assert not _revoked(db, _parts(add_user(db, "bob"))[0])  # only the named tokens were revoked
    again = _cli(db_url, "revoke", forms[0])
    assert again.exit_code == 0 and "already revoked" in again.output
    listed = _cli(db_url, "list", "alice")
    assert [line.split("\t")[5] for line in listed.stdout.splitlines()] == ["active"] + ["revoked"] * 3
    unknown = _cli(db_url, "revoke", "rf_0123456789abcdef")
    assert unknown.exit_code == 2 and "no token rf_0123456789abcdef" in unknown.output
    malformed = _cli(db_url, "revoke", "rf_NOTHEX_secretpart")
    assert malformed.exit_code == 2 and "not a token id" in malformed.output
    assert "secretpart" not in malformed.output and "Traceback" not in malformed.output


def test_cli_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    for args in (["list"], ["revoke", "rf_00"]):
        result = CliRunner().invoke(cli, ["tokens", *args, "--data-dir", str(data)])
        assert result.exit_code == 2 and f"rackforge db upgrade --data-dir {data}" in result.output, args


def test_api_lists_only_the_callers_tokens(client: Any, db: Database) -> None:
    alice = add_user(db, "alice")
    second = _new_token(db, "alice", label="laptop", expires_days=7)
    bob = add_user(db, "bob")
    answer = client.get("/api/tokens", headers=bearer(alice))
    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert [(t["user"], t["lookup"], t["label"], t["status"]) for t in listed] == [
        ("alice", _parts(alice)[0], "test", "active"), ("alice", _parts(second)[0], "laptop", "active")]
    assert listed[0]["expires_at"] is None and listed[1]["expires_at"] is not None
    assert set(listed[0]) == {"user", "lookup", "label", "created_at", "expires_at", "status"}
    for token in (alice, second, bob):
        assert _parts(token)[1] not in answer.text
    assert [t["user"] for t in client.get("/api/tokens", headers=bearer(bob)).json()] == ["bob"]
    refused = client.get("/api/tokens?all=true", headers=bearer(bob))
    assert refused.status_code == 403


def test_a_user_cannot_revoke_anothers_token(client: Any, db: Database) -> None:
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    for form in (_parts(alice)[0], _parts(alice)[0].removeprefix("rf_")):
        hidden = client.delete(f"/api/tokens/{form}", headers=bearer(bob))
        missing = client.delete("/api/tokens/rf_0123456789abcdef", headers=bearer(bob))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
    assert not _revoked(db, _parts(alice)[0])
    assert client.get("/api/tokens", headers=bearer(alice)).status_code == 200
    # a whole token in the path (it would be logged) is refused, not used
    assert client.delete(f"/api/tokens/{alice}", headers=bearer(alice)).status_code == 422
    assert not _revoked(db, _parts(alice)[0])


def test_an_administrator_lists_and_revokes_anyones_token(client: Any, db: Database) -> None:
    admin = add_user(db, "root", admin=True)
    alice, bob = add_user(db, "alice"), add_user(db, "bob")
    everyone = client.get("/api/tokens?all=true", headers=bearer(admin)).json()
    assert [(t["user"], t["lookup"]) for t in everyone] == [
        ("alice", _parts(alice)[0]), ("bob", _parts(bob)[0]), ("root", _parts(admin)[0])]
    assert [t["user"] for t in client.get("/api/tokens", headers=bearer(admin)).json()] == ["root"]
    assert client.delete(f"/api/tokens/{_parts(alice)[0]}", headers=bearer(admin)).status_code == 204
    assert _revoked(db, _parts(alice)[0]) and not _revoked(db, _parts(bob)[0])
    assert client.get("/api/programmes", headers=bearer(alice)).status_code == 401


def test_a_revoked_token_is_refused_at_once(client: Any, db: Database, db_url: str) -> None:
    alice = add_user(db, "alice")
    spare = _new_token(db, "alice", label="spare")
    pid = client.post("/api/programmes", json={"name": "mini", "files": mini_files()},
                      headers=bearer(spare)).json()["id"]
    assert client.get(f"/api/programmes/{pid}", headers=bearer(spare)).status_code == 200
    revoked = client.delete(f"/api/tokens/{_parts(spare)[0]}", headers=bearer(alice))
    assert revoked.status_code == 204 and revoked.content == b""
    for method, url in (("GET", "/api/programmes"), ("GET", f"/api/programmes/{pid}"), ("GET", "/api/tokens"),
                        ("DELETE", f"/api/tokens/{_parts(alice)[0]}")):
        refused = client.request(method, url, headers=bearer(spare))
        assert refused.status_code == 401, (method, url, refused.text)
    assert client.delete(f"/api/tokens/{_parts(spare)[0]}", headers=bearer(alice)).status_code == 204  # again
    statuses = {t["lookup"]: t["status"] for t in client.get("/api/tokens", headers=bearer(alice)).json()}
    assert statuses == {_parts(alice)[0]: "active", _parts(spare)[0]: "revoked"}
    # revoked from the command line while the service runs: refused on the next request
    assert _cli(db_url, "revoke", _parts(alice)[0]).exit_code == 0
    assert client.get("/api/programmes", headers=bearer(alice)).status_code == 401
