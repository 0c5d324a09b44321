"""Who recorded a visit, and the per-draw prediction a follow-up is calibrated against."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.add_column(
            sa.Column("recorded_by", sa.String(200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("prediction_draws", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("prediction_draws")
        batch.drop_column("recorded_by")
