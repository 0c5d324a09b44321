"""The first schema: patients, visits, visit photos."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("birth_year", sa.Integer, nullable=True),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("photo_consent", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "patient_id",
            sa.Integer,
            sa.ForeignKey("patients.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("plan_json", sa.Text, nullable=True),
        sa.Column("product", sa.String(100), nullable=True),
        sa.Column("lot", sa.String(100), nullable=True),
        sa.Column("dilution_ml_per_100u", sa.Float, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("patient_id", "date", name="uq_visit_patient_date"),
    )
    op.create_table(
        "visit_photos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "visit_id",
            sa.Integer,
            sa.ForeignKey("visits.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("expression", sa.String(40), nullable=False),
        sa.Column("analysis_json", sa.Text, nullable=False),
        sa.Column("photo_png", sa.LargeBinary, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("visit_photos")
    op.drop_table("visits")
    op.drop_table("patients")
