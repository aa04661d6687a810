"""Schema migrations (Alembic, shipped in the package): upgrade a database, and tell whether it is current.

``rackforge serve`` calls :func:`require_current` and refuses a database that is empty or behind,
naming the command that migrates it (``rackforge db upgrade``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from rackforge.errors import RackforgeError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class DatabaseNotCurrent(RackforgeError):
    """The database has no schema yet, or an older one than this rackforge (exit status 2)."""


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration for the package's migrations, bound to ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revisions() -> set[str]:
    """The newest migration(s) this rackforge ships."""
    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """The migration(s) the database is at (empty: never migrated)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Upgrade the database to ``revision`` (default: the newest), each step in a transaction."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def require_current(engine: Engine, options_hint: str = "") -> None:
    """Raise :class:`DatabaseNotCurrent` unless the database is at the newest migration; the message
    names the command to run, with ``options_hint`` (``--db URL`` or ``--data-dir DIR``)."""
    current, heads = current_revisions(engine), head_revisions()
    if current == heads:
        return
    db = f" {options_hint}" if options_hint else ""
    state = "has no rackforge tables" if not current else f"is at migration {', '.join(sorted(current))}"
    unknown = current - {r.revision for r in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}
    if unknown:
        raise DatabaseNotCurrent(f"the database is at migration {', '.join(sorted(unknown))}, which this rackforge "
                                 "does not know: it was migrated by a newer rackforge; upgrade rackforge")
    raise DatabaseNotCurrent(f"the database {state}, this rackforge needs {', '.join(sorted(heads))}: "
                             f"run 'rackforge db upgrade{db}' first")
