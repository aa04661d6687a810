"""line board: station tokens, line events, posted test results, service secrets (issue 16)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("lookup", sa.String(length=32), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"],
                                name=op.f("fk_station_tokens_programme_id_programmes"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_station_tokens_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_tokens")),
        sa.UniqueConstraint("lookup", name=op.f("uq_station_tokens_lookup")),
    )
    op.create_index(op.f("ix_station_tokens_programme_id"), "station_tokens", ["programme_id"], unique=False)
    op.create_table(
        "line_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("station", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("serial", sa.String(length=80), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"],
                                name=op.f("fk_line_events_programme_id_programmes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_events")),
    )
    op.create_index("ix_line_events_programme_at", "line_events", ["programme_id", "at"], unique=False)
    op.create_table(
        "line_test_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=80), nullable=False),
        sa.Column("design", sa.String(length=100), nullable=False),
        sa.Column("station", sa.String(length=100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("failure_mode", sa.String(length=100), nullable=True),
        sa.Column("started", sa.DateTime(), nullable=False),
        sa.Column("duration_h", sa.Float(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"],
                                name=op.f("fk_line_test_results_programme_id_programmes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_test_results")),
    )
    op.create_index("ix_line_test_results_programme_started", "line_test_results", ["programme_id", "started"],
                    unique=False)
    op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_secrets")),
    )


def downgrade() -> None:
    op.drop_table("service_secrets")
    op.drop_index("ix_line_test_results_programme_started", table_name="line_test_results")
    op.drop_table("line_test_results")
    op.drop_index("ix_line_events_programme_at", table_name="line_events")
    op.drop_table("line_events")
    op.drop_index(op.f("ix_station_tokens_programme_id"), table_name="station_tokens")
    op.drop_table("station_tokens")
