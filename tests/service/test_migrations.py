"""Migrations: an empty database and one at every earlier revision upgrade to the models' schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from rackforge.service.db import make_engine
from rackforge.service.line import models as line_models
from rackforge.service.migrate import (
    MIGRATIONS_DIR,
    DatabaseNotCurrent,
    current_revisions,
    head_revisions,
    require_current,
    upgrade,
)
from rackforge.service.models import Base

assert line_models.LineEventRow.__table__.metadata is Base.metadata  # every table is compared, whatever ran first


def _schema_differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    return list(diffs)


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


def test_0003_moves_finished_runs_outputs_and_keeps_their_events(empty_url: str) -> None:
    """A database with a finished assess run at 0002 upgrades with its results, report and events intact
    (the columns are dropped in place: a table copy would have cascade-deleted the events)."""
    from sqlalchemy import text

    engine = make_engine(empty_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as connection:
            for statement in (
                "INSERT INTO users (id, name, password_hash, is_admin, created_at) "
                "VALUES (1, 'a', 'x', false, '2026-01-01')",
                "INSERT INTO programmes (id, name, created_by, created_at) VALUES (1, 'p', 1, '2026-01-01')",
                "INSERT INTO revisions (id, programme_id, number, message, author_id, created_at, content_sha256) "
                "VALUES (1, 1, 1, '', 1, '2026-01-01', 'h')",
                "INSERT INTO runs (id, programme_id, revision_id, analysis, options, inputs_key, status, progress, "
                "attempts, results, report_html, created_by, created_at) VALUES (1, 1, 1, 'assess', '{}', 'k', 'done', "
                "1.0, 1, '{\"r\": 1}', '<html>report</html>', 1, '2026-01-01')",
                "INSERT INTO runs (id, programme_id, revision_id, analysis, options, inputs_key, status, progress, "
                "attempts, created_by, created_at) "
                "VALUES (2, 1, 1, 'check', '{}', 'k2', 'queued', 0, 0, 1, '2026-01-01')",
                "INSERT INTO run_events (run_id, at, kind, data) VALUES (1, '2026-01-01', 'done', '{}')",
            ):
                connection.execute(text(statement))
        upgrade(engine)
        with engine.connect() as connection:
            outputs = connection.execute(text("SELECT run_id, results, report_html FROM run_outputs")).all()
            events = connection.execute(text("SELECT run_id, kind FROM run_events")).all()
            runs = connection.execute(text("SELECT id, status FROM runs ORDER BY id")).all()
        assert [tuple(r) for r in outputs] == [(1, '{"r": 1}', "<html>report</html>")]
        assert [tuple(e) for e in events] == [(1, "done")]
        assert [tuple(r) for r in runs] == [(1, "done"), (2, "queued")]
    finally:
        engine.dispose()
    assert _schema_differences(empty_url) == []
