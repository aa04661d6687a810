"""``rackforge tokens create NAME [--expires-days N]``, ``tokens list [NAME]``, ``tokens revoke LOOKUP``:
API tokens."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rackforge.cli.db_cmd import data_dir_option, db_url_option

if TYPE_CHECKING:
    from rackforge.service.db import Database


@click.group()
def tokens() -> None:
    """Create, list and revoke API tokens of the service's users."""


def _open_database(db_url: str | None, data_dir: Path) -> Database:
    """The service database of --db or --data-dir, refused (exit 2, naming 'rackforge db upgrade') when it
    is not migrated to this rackforge's schema."""
    from rackforge.cli.db_cmd import resolve_url, upgrade_hint
    from rackforge.service.db import Database
    from rackforge.service.migrate import require_current

    database = Database.connect(resolve_url(db_url, data_dir))
    try:
        require_current(database.engine, upgrade_hint(db_url, data_dir))
    except BaseException:
        database.dispose()
        raise
    return database


@tokens.command()
@click.argument("name")
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None, metavar="N",
              help="The token stops working after N days (default: never).")
@click.option("--label", default="", help="What the token is for (shown in listings, never secret).")
@db_url_option
@data_dir_option
def create(name: str, expires_days: int | None, label: str, db_url: str | None, data_dir: Path) -> None:
    """Create an API token for user NAME and print it once (only its hash is stored).

    Send it as 'Authorization: Bearer <token>'.
    """
    from sqlalchemy import select

    from rackforge.errors import UsageError
    from rackforge.service.auth import issue_token
    from rackforge.service.models import User

    database = _open_database(db_url, data_dir)
    try:
        with database.write() as session:
            user = session.scalar(select(User).where(User.name == name))
            if user is None:
                raise UsageError(f"no user {name!r}: add one with 'rackforge users add {name}'")
            token = issue_token(session, user, label, expires_days)
    finally:
        database.dispose()
    click.echo(token)
    expiry = f"expires in {expires_days} days" if expires_days else "does not expire"
    click.echo(f"token for {name} ({expiry}); it is shown only now", err=True)


@tokens.command("list")
@click.argument("name", required=False)
@db_url_option
@data_dir_option
def list_(name: str | None, db_url: str | None, data_dir: Path) -> None:
    """List the API tokens of user NAME, or of every user.

    One line per token, tab-separated: user, id (rf_<lookup>, the part of a token that is not secret),
    label, created, expires (or 'never'), status (active, expired or revoked). Never a secret or its hash.
    """
    from sqlalchemy import select

    from rackforge.errors import UsageError
    from rackforge.service.auth import token_status
    from rackforge.service.models import User, utcnow
    from rackforge.service.tokens import list_tokens, shown_lookup

    database = _open_database(db_url, data_dir)
    try:
        with database.read() as session:
            owner = None
            if name is not None:
                owner = session.scalar(select(User).where(User.name == name))
                if owner is None:
                    raise UsageError(f"no user {name!r}: see 'rackforge users list'")
            now = utcnow()
            for token in list_tokens(session, owner):
                expires = "never" if token.expires_at is None else f"{token.expires_at:%Y-%m-%d %H:%M}Z"
                click.echo(f"{token.user.name}\t{shown_lookup(token)}\t{token.label}\t"
                           f"{token.created_at:%Y-%m-%d %H:%M}Z\t{expires}\t{token_status(token, now)}")
    finally:
        database.dispose()


@tokens.command()
@click.argument("lookup")
@db_url_option
@data_dir_option
def revoke(lookup: str, db_url: str | None, data_dir: Path) -> None:
    """Revoke the token LOOKUP: it is refused from the next request on.

    LOOKUP is its rf_<lookup> id from 'rackforge tokens list', the bare lookup, or the whole token (only
    its lookup part is used). Revoking a revoked token changes nothing.
    """
    from rackforge.errors import UsageError
    from rackforge.service.tokens import find_token, lookup_of, revoke, shown_lookup

    found = lookup_of(lookup)
    if found is None:
        named = "_".join(lookup.strip().split("_")[:2])[:40]  # never echo a secret part
        raise UsageError(f"{named!r} is not a token id: give rf_<lookup> as 'rackforge tokens list' shows it "
                         "(up to 32 hex digits), the bare lookup, or the whole token")
    database = _open_database(db_url, data_dir)
    try:
        with database.write() as session:
            token = find_token(session, found, None)
            if token is None:
                raise UsageError(f"no token rf_{found}: see 'rackforge tokens list'")
            changed = revoke(token)
            message = (f"revoked token {shown_lookup(token)} of {token.user.name}" if changed
                       else f"token {shown_lookup(token)} of {token.user.name} was already revoked")
    finally:
        database.dispose()
    click.echo(message)
