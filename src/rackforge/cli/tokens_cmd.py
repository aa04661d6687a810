"""``rackforge tokens create NAME [--expires-days N]``: API tokens."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.db_cmd import data_dir_option, db_url_option


@click.group()
def tokens() -> None:
    """Create API tokens for the service's users."""


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

    from rackforge.cli.db_cmd import resolve_url, upgrade_hint
    from rackforge.errors import UsageError
    from rackforge.service.auth import issue_token
    from rackforge.service.db import Database
    from rackforge.service.migrate import require_current
    from rackforge.service.models import User

    database = Database.connect(resolve_url(db_url, data_dir))
    try:
        require_current(database.engine, upgrade_hint(db_url, data_dir))
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
