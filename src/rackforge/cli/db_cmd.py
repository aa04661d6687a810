"""``rackforge db upgrade [--db URL] [--data-dir DIR]``: create or migrate the service database."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.service.settings import DEFAULT_DATA_DIR

db_url_option = click.option("--db", "db_url", metavar="URL", envvar="RACKFORGE_DB",
                             help="Database URL (postgresql+psycopg://user:pw@host/db); default: SQLite "
                                  "rackforge.db in --data-dir. Also $RACKFORGE_DB.")
data_dir_option = click.option("--data-dir", type=click.Path(path_type=Path), default=DEFAULT_DATA_DIR,
                               show_default=True, help="Folder of the embedded SQLite database.")


def resolve_url(db_url: str | None, data_dir: Path) -> str:
    """The URL given, or the embedded SQLite database in ``data_dir`` (created when missing)."""
    from rackforge.service.settings import sqlite_url

    if db_url:
        return db_url
    data_dir.mkdir(parents=True, exist_ok=True)
    return sqlite_url(data_dir)


def shown_url(url: str) -> str:
    """``url`` with any password hidden (never print or log secrets)."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def upgrade_hint(db_url: str | None, data_dir: Path) -> str:
    """The options that point 'rackforge db upgrade' at the same database (password hidden)."""
    if db_url:
        return f"--db {shown_url(db_url)}"
    return "" if data_dir == DEFAULT_DATA_DIR else f"--data-dir {data_dir}"


@click.group()
def db() -> None:
    """Create or migrate the service database."""


@db.command()
@db_url_option
@data_dir_option
def upgrade(db_url: str | None, data_dir: Path) -> None:
    """Create the tables, or migrate them to this rackforge's schema (safe to run again)."""
    from rackforge.service.db import make_engine
    from rackforge.service.migrate import current_revisions, head_revisions
    from rackforge.service.migrate import upgrade as run_upgrade

    url = resolve_url(db_url, data_dir)
    engine = make_engine(url)
    try:
        before = current_revisions(engine)
        run_upgrade(engine)
        after = head_revisions()
    finally:
        engine.dispose()
    was = ", ".join(sorted(before)) or "empty"
    click.echo(f"{shown_url(url)}: {was} -> {', '.join(sorted(after))}" if before != after
               else f"{shown_url(url)}: already at {', '.join(sorted(after))}")
