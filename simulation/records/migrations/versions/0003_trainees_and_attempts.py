"""Trainees and their training attempts (issue 15: scores kept per trainee)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trainees",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("name", name="uq_trainee_name"),
    )
    op.create_table(
        "training_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "trainee_id",
            sa.Integer,
            sa.ForeignKey("trainees.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("case_id", sa.String(100), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("diagnosis_json", sa.Text, nullable=False),
        sa.Column("plan_json", sa.Text, nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("components_json", sa.Text, nullable=False),
        sa.Column("capped", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("training_attempts")
    op.drop_table("trainees")
