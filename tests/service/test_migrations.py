"""Migrations: an empty database and one at every earlier revision upgrade to the models' schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from rackforge.service.db import make_engine
from rackforge.service.migrate import (
    MIGRATIONS_DIR,
    DatabaseNotCurrent,
    current_revisions,
    head_revisions,
    require_current,
    upgrade,
)
from rackforge.service.models import Base


def _schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    ours = set(Base.metadata.tables)
    # tables of other packages' migrations (issue 16's line-side tables) are theirs to compare
    return [d for d in diffs if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name not in ours)]


def test_empty_database_upgrades_to_the_models(empty_url: str) -> None:
    engine = make_engine(empty_url)
    with pytest.raises(DatabaseNotCurrent, match="rackforge db upgrade"):
        require_current(engine)
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()
    require_current(engine)
    upgrade(engine)  # again: nothing to do
    engine.dispose()
    assert _schema_differences(empty_url) == []


def test_every_earlier_revision_upgrades(empty_url: str) -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions[0] == "0001"
    engine = make_engine(empty_url)
    try:
        for step in revisions:
            upgrade(engine, step)
            assert current_revisions(engine) == {step}
            if {step} != head_revisions():
                with pytest.raises(DatabaseNotCurrent, match=f"at migration {step}"):
                    require_current(engine, "--data-dir X")
        upgrade(engine)
        require_current(engine)
    finally:
        engine.dispose()
    assert _schema_differences(empty_url) == []
