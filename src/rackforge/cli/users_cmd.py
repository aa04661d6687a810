"""``rackforge users add NAME [--admin]``: people who use the service."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.db_cmd import data_dir_option, db_url_option


@click.group()
def users() -> None:
    """Add and list the service's users."""


@users.command()
@click.argument("name")
@click.option("--admin", is_flag=True, help="An administrator: may add users through the API (POST /api/users).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin "
              "instead of prompting.")
@db_url_option
@data_dir_option
def add(name: str, admin: bool, password_stdin: bool, db_url: str | None, data_dir: Path) -> None:
    """Add user NAME; the password is asked for (twice) or read from stdin, and stored as an argon2id hash."""
    import re
    import sys

    from sqlalchemy import select

    from rackforge.cli.db_cmd import resolve_url, upgrade_hint
    from rackforge.errors import UsageError
    from rackforge.service.auth import hash_password
    from rackforge.service.db import Database
    from rackforge.service.migrate import require_current
    from rackforge.service.models import User, utcnow
    from rackforge.service.routes.users import MIN_PASSWORD, USER_NAME_PATTERN

    if not re.match(USER_NAME_PATTERN, name):
        raise UsageError(f"user name {name!r}: 1-64 letters, digits, '.', '_', '@' or '-', starting with a "
                         "letter or digit")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    url = resolve_url(db_url, data_dir)
    database = Database.connect(url)
    try:
        require_current(database.engine, upgrade_hint(db_url, data_dir))
        with database.write() as session:
            if session.scalar(select(User).where(User.name == name)) is not None:
                raise UsageError(f"user {name!r} exists already")
            session.add(User(name=name, password_hash=hash_password(password), is_admin=admin, created_at=utcnow()))
    finally:
        database.dispose()
    click.echo(f"added user {name}" + (" (admin)" if admin else ""))


@users.command("list")
@db_url_option
@data_dir_option
def list_(db_url: str | None, data_dir: Path) -> None:
    """List the users (name, admin, when added)."""
    from sqlalchemy import select

    from rackforge.cli.db_cmd import resolve_url, upgrade_hint
    from rackforge.service.db import Database
    from rackforge.service.migrate import require_current
    from rackforge.service.models import User

    database = Database.connect(resolve_url(db_url, data_dir))
    try:
        require_current(database.engine, upgrade_hint(db_url, data_dir))
        with database.read() as session:
            for user in session.scalars(select(User).order_by(User.name)):
                click.echo(f"{user.name}\t{'admin' if user.is_admin else ''}\t{user.created_at:%Y-%m-%d %H:%M}Z")
    finally:
        database.dispose()
