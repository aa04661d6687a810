"""run outputs in a table of their own: results and report.html leave ``runs``

Revision ID: 0003
Revises: 0002

SQLite keeps a row's columns in order across overflow pages, so reading any column stored after a
multi-megabyte report walked all of it; see ``RunOutput`` in ``rackforge.service.models``. The outputs of
finished runs are moved, then the two columns dropped (``ALTER TABLE … DROP COLUMN``: SQLite ≥ 3.35
drops in place, without the table copy that would cascade-delete the runs' events).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_outputs",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("results", sa.Text(), nullable=True),
        sa.Column("report_html", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_run_outputs_run_id_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_outputs")),
    )
    op.execute("INSERT INTO run_outputs (run_id, results, report_html) SELECT id, results, report_html FROM runs "
               "WHERE results IS NOT NULL OR report_html IS NOT NULL")
    op.drop_column("runs", "report_html")
    op.drop_column("runs", "results")


def downgrade() -> None:
    op.add_column("runs", sa.Column("results", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("report_html", sa.Text(), nullable=True))
    op.execute("UPDATE runs SET results = (SELECT o.results FROM run_outputs o WHERE o.run_id = runs.id), "
               "report_html = (SELECT o.report_html FROM run_outputs o WHERE o.run_id = runs.id)")
    op.drop_table("run_outputs")
